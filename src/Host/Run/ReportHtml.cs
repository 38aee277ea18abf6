using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using OxyPlot;
using OxyPlot.Axes;
using OxyPlot.Series;

namespace AmiSim.Host.Run;

/// <summary>
/// report.html: one self-contained page (no network needed) drawn from report.json alone, with the
/// charts made by OxyPlot's SVG exporter: completion over virtual time per wave, outcomes, success by
/// collector and by hop depth, airtime per collector.
/// </summary>
public static class ReportHtml
{
    public static string Render(JsonObject report)
    {
        var html = new StringBuilder();
        string E(object? text) => WebUtility.HtmlEncode(text?.ToString() ?? "");
        var program = report["program"]!;
        html.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>AmiSim run: ").Append(E(report["scenario"])).Append("</title>");
        html.Append("<style>body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px;color:#222}h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.6em}")
            .Append("table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .7em;text-align:right}th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}")
            .Append(".charts{display:flex;flex-wrap:wrap;gap:1em}.chart{border:1px solid #eee}</style></head><body>");
        html.Append("<h1>AmiSim run: ").Append(E(report["scenario"])).Append(" (seed ").Append(E(report["seed"])).Append(")</h1>");
        html.Append("<p>").Append(E(program["kind"])).Append(' ').Append(E(program["id"])).Append(' ').Append(E(program["version"]))
            .Append(", ").Append(E(program["bytes"])).Append(" bytes in ").Append(E(program["blocks"])).Append(" blocks, to ")
            .Append(E(report["fleet"]!["meters"])).Append(" meters under ").Append(E(report["fleet"]!["collectors"])).Append(" collectors by ")
            .Append(E(report["campaign"]!["distribution"])).Append(". Campaign ").Append(E(report["campaign"]!["status"]))
            .Append(". Virtual ").Append(E(report["virtualTime"]!["start"])).Append(" to ").Append(E(report["virtualTime"]!["end"]))
            .Append(" (").Append(E(report["virtualTime"]!["durationHours"])).Append(" h).</p>");

        html.Append("<h2>Outcomes</h2><table><tr><th>final state</th><th>meters</th></tr>");
        foreach (var (phase, count) in report["outcomes"]!.AsObject()) html.Append("<tr><td>").Append(E(phase)).Append("</td><td>").Append(E(count)).Append("</td></tr>");
        html.Append("</table><p>MDM holds the new program for ").Append(E(report["mdm"]!["metersOnProgramVersion"])).Append(" meters (agrees with the campaign: ")
            .Append(E(report["mdm"]!["agreesWithCampaign"])).Append("), ").Append(E(report["mdm"]!["cimMessages"])).Append(" CIM messages; ")
            .Append(E(report["retries"])).Append(" retried commands.</p>");

        html.Append("<h2>Charts</h2><div class=\"charts\">");
        foreach (var chart in new[] { Completion(report), Outcomes(report), ByCollector(report), ByDepth(report), Airtime(report) })
            html.Append("<div class=\"chart\">").Append(Svg(chart)).Append("</div>");
        html.Append("</div>");

        html.Append("<h2>Waves</h2><table><tr><th>wave</th><th>meters</th><th>outcomes</th><th>last finished (h)</th></tr>");
        foreach (var wave in report["waves"]!.AsArray())
            html.Append("<tr><td>").Append(E(wave!["wave"])).Append("</td><td>").Append(E(wave["meters"])).Append("</td><td>")
                .Append(E(string.Join(", ", wave["outcomes"]!.AsObject().Select(o => $"{o.Key} {o.Value}")))).Append("</td><td>").Append(E(wave["lastFinishedHours"])).Append("</td></tr>");
        html.Append("</table><h2>Collectors</h2><table><tr><th>collector</th><th>meters</th><th>succeeded</th><th>airtime (s)</th><th>blocks sent</th><th>blocks lost</th><th>queueing (s)</th></tr>");
        foreach (var c in report["collectors"]!.AsArray())
            html.Append("<tr><td>").Append(E(c!["collector"])).Append("</td><td>").Append(E(c["meters"])).Append("</td><td>").Append(E(c["succeeded"]))
                .Append("</td><td>").Append(E(c["airtimeSeconds"])).Append("</td><td>").Append(E(c["blocksSent"])).Append("</td><td>").Append(E(c["blocksLost"]))
                .Append("</td><td>").Append(E(c["queueingSeconds"])).Append("</td></tr>");
        html.Append("</table>");
        if (report["run"] is JsonObject run)
            html.Append("<h2>Run</h2><p>").Append(E(run["eventsHandled"])).Append(" events in ").Append(E(run["wallSeconds"])).Append(" s wall, peak ")
                .Append(E(run["peakWorkingSetMB"])).Append(" MB. Result digest <code>").Append(E(report["resultDigest"])).Append("</code>.</p>");
        html.Append("</body></html>");
        return html.ToString();
    }

    private static string Svg(PlotModel model) => new SvgExporter { Width = 520, Height = 320 }.ExportToString(model);

    private static PlotModel Completion(JsonObject report)
    {
        var model = new PlotModel { Title = "Meters succeeded over virtual time" };
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Bottom, Title = "virtual hours" });
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Left, Title = "meters", Minimum = 0 });
        var points = report["completion"]!.AsArray().Select(p => p!.AsObject()).ToList();
        var names = points.SelectMany(p => p.Select(kv => kv.Key)).Where(k => k != "hour").Distinct().ToList();
        foreach (var name in names)
        {
            var series = new LineSeries { Title = name == "succeeded" ? "all waves" : name };
            foreach (var point in points) series.Points.Add(new DataPoint(point["hour"]!.GetValue<int>(), point[name]?.GetValue<int>() ?? 0));
            model.Series.Add(series);
        }
        model.Legends.Add(new OxyPlot.Legends.Legend { LegendPosition = OxyPlot.Legends.LegendPosition.RightBottom });
        return model;
    }

    private static PlotModel Bars(string title, string axis, IEnumerable<(string Label, double Value)> bars)
    {
        var model = new PlotModel { Title = title };
        var list = bars.ToList();
        model.Axes.Add(new CategoryAxis { Position = AxisPosition.Left, ItemsSource = list.Select(b => b.Label).ToList() });
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Bottom, Title = axis, Minimum = 0 });
        var series = new BarSeries();
        foreach (var bar in list) series.Items.Add(new BarItem(bar.Value));
        model.Series.Add(series);
        return model;
    }

    private static PlotModel Outcomes(JsonObject report) =>
        Bars("Outcomes", "meters", report["outcomes"]!.AsObject().Select(o => (o.Key, (double)o.Value!.GetValue<int>())));

    private static PlotModel ByCollector(JsonObject report) =>
        Bars("Success by collector", "% succeeded", report["collectors"]!.AsArray().Select(c =>
            ($"collector {c!["collector"]}", 100.0 * c["succeeded"]!.GetValue<int>() / Math.Max(1, c["meters"]!.GetValue<int>()))));

    private static PlotModel ByDepth(JsonObject report) =>
        Bars("Success by hop depth", "% succeeded", report["depths"]!.AsArray().Select(d =>
            ($"depth {d!["depth"]}", 100.0 * d["succeeded"]!.GetValue<int>() / Math.Max(1, d["meters"]!.GetValue<int>()))));

    private static PlotModel Airtime(JsonObject report) =>
        Bars("Airtime by collector", "seconds", report["collectors"]!.AsArray().Select(c => ($"collector {c!["collector"]}", c["airtimeSeconds"]!.GetValue<double>())));
}
