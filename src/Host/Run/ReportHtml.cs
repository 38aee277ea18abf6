using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using AmiSim.HeadEnd.Campaign;
using OxyPlot;
using OxyPlot.Axes;
using OxyPlot.Series;

namespace AmiSim.Host.Run;

/// <summary>
/// report.html: one self-contained page (no network needed) drawn from report.json (and, for the map,
/// meters.csv): what the campaign did and how long it took to reach each share of its meters, what
/// failed and why, the scenario that made it, charts made by OxyPlot's SVG exporter (each with ids of
/// its own), and the network map. Sections whose data an older report.json lacks are left out.
/// </summary>
public static class ReportHtml
{
    private static readonly CultureInfo En = CultureInfo.InvariantCulture;

    public static string Render(JsonObject report, NetworkMap? map = null)
    {
        var html = new StringBuilder();
        var program = report["program"]!;
        var campaign = report["campaign"]!;
        var time = report["virtualTime"]!;
        var fleet = report["fleet"]!;
        html.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>AmiSim run: ").Append(E(report["scenario"])).Append("</title><style>")
            .Append("body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px;color:#222}h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.6em}")
            .Append("table{border-collapse:collapse;margin:.4em 0}td,th{border:1px solid #ccc;padding:.3em .7em;text-align:right}th{background:#f3f3f3}")
            .Append("td:first-child,th:first-child,td.text,th.text{text-align:left}.note{color:#555}.callout{border-left:4px solid #d62728;background:#fff4f4;padding:.5em 1em}")
            .Append(".charts{display:flex;flex-wrap:wrap;gap:1em}.chart{border:1px solid #eee}code{font-size:.9em}")
            .Append(".mapwrap{position:relative;border:1px solid #ddd;width:1060px;max-width:100%}#mapcanvas{display:block;max-width:100%;cursor:grab}")
            .Append(".maptip{position:absolute;background:#222;color:#fff;padding:.25em .5em;border-radius:3px;font-size:.85em;pointer-events:none;white-space:nowrap}")
            .Append(".legend span{margin-right:1.2em;white-space:nowrap}.legend i{display:inline-block;width:.8em;height:.8em;margin-right:.35em;vertical-align:middle}")
            .Append(".mapbar{margin:.4em 0}</style></head><body>");

        html.Append("<h1>AmiSim run: ").Append(E(report["scenario"])).Append(" (seed ").Append(E(report["seed"])).Append(")</h1>");
        html.Append("<p>").Append(E(program["kind"])).Append(' ').Append(E(program["id"])).Append(' ').Append(E(program["version"])).Append(", ")
            .Append(N(program["bytes"])).Append(" bytes in ").Append(N(program["blocks"])).Append(" blocks, to ").Append(N(fleet["meters"]))
            .Append(" meters under ").Append(N(fleet["collectors"])).Append(" collectors by ").Append(E(campaign["distribution"]).ToLowerInvariant())
            .Append(". Campaign <b>").Append(E(campaign["status"])).Append("</b>. Virtual time ").Append(E(When(time["start"]))).Append(" to ")
            .Append(E(When(time["end"]))).Append(" (").Append(E(Duration(D(time["durationHours"]!)))).Append(").</p>");
        if (campaign["pauseReason"]?.GetValue<string>() is { Length: > 0 } reason)
            html.Append("<p class=\"callout\">The campaign ended <b>").Append(E(campaign["status"])).Append("</b>: ").Append(E(reason)).Append("</p>");

        if (report["timeToShare"] is JsonObject shares) TimeToShare(html, shares);
        Outcomes(html, report);

        html.Append("<h2>Charts</h2><div class=\"charts\">");
        var charts = new[] { Completion(report), OutcomeChart(report), ByCollector(report), ByDepth(report), Airtime(report) };
        for (var i = 0; i < charts.Length; i++) html.Append("<div class=\"chart\" id=\"chart").Append(i + 1).Append("\">").Append(SvgChart.WithLegend(charts[i], 520, 320, $"chart{i + 1}-")).Append("</div>");
        html.Append("</div>");

        if (map is not null) html.Append(map.Html());

        Waves(html, report);
        Collectors(html, report);
        Scenario(html, report);
        if (report["run"] is JsonObject run)
            html.Append("<h2>Run</h2><p>").Append(N(run["eventsHandled"])).Append(" events in ").Append(E(run["wallSeconds"])).Append(" s wall, peak ")
                .Append(N(run["peakWorkingSetMB"])).Append(" MiB. Result digest <code>").Append(E(report["resultDigest"])).Append("</code>")
                .Append(report["amisim"] is JsonObject amisim ? $"; amisim {E(amisim["version"])}" : "").Append(".</p>");
        html.Append("</body></html>");
        return html.ToString();
    }

    private static string E(object? text) => WebUtility.HtmlEncode(text?.ToString() ?? "");

    /// <summary>A whole number with thousands separators (1,234,567).</summary>
    private static string N(JsonNode? value) => value is null ? "" : D(value).ToString("N0", En);

    /// <summary>A JSON number as a double, whether it was written as a whole number or not.</summary>
    private static double D(JsonNode value) => double.Parse(value.ToJsonString(), NumberStyles.Float, En);

    /// <summary>An ISO instant as "Mon 5 Jan 2026 00:00 UTC".</summary>
    public static string When(JsonNode? iso) =>
        DateTime.TryParse(iso?.GetValue<string>(), En, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var t)
            ? t.ToString("ddd d MMM yyyy HH:mm", En) + " UTC" : iso?.ToString() ?? "";

    /// <summary>Virtual hours as "2 d 18 h 20 min" (minutes alone under an hour).</summary>
    public static string Duration(double hours)
    {
        var minutes = (long)Math.Round(hours * 60);
        if (minutes < 60) return $"{minutes} min";
        var (d, h, m) = (minutes / 1440, minutes % 1440 / 60, minutes % 60);
        return string.Join(' ', new[] { d > 0 ? $"{d} d" : "", $"{h} h", m > 0 ? $"{m} min" : "" }.Where(s => s.Length > 0));
    }

    private static string Hours(JsonNode? hours) => hours is null ? "never" : Duration(D(hours));

    private static void TimeToShare(StringBuilder html, JsonObject shares)
    {
        var percentiles = shares["percentiles"]!.AsArray().Select(p => p!.GetValue<int>()).ToList();
        void Header(string first) => html.Append("<tr><th>").Append(first).Append("</th><th>meters</th>")
            .Append(string.Concat(percentiles.Select(p => $"<th>{p} %</th>"))).Append("</tr>");
        void Row(string label, JsonNode? meters, JsonNode times) => html.Append("<tr><td>").Append(E(label)).Append("</td><td>").Append(N(meters)).Append("</td>")
            .Append(string.Concat(percentiles.Select(p => $"<td>{E(Hours(times[$"p{p}"]))}</td>")))
            .Append("</tr>");
        html.Append("<h2>Time to reach a share of the targeted meters</h2><p class=\"note\">Virtual time from the campaign's start until that share of its meters had succeeded; never: fewer ever did.</p><table>");
        Header("");
        var waves = shares["waves"]!.AsArray();
        Row("all waves", waves.Sum(w => w!["meters"]!.GetValue<int>()), shares["all"]!);
        foreach (var wave in waves) Row($"wave {wave!["wave"]}", wave["meters"], wave["hours"]!);
        html.Append("</table>");
    }

    private static void Outcomes(StringBuilder html, JsonObject report)
    {
        html.Append("<h2>Outcomes</h2><table><tr><th>final state</th><th>meters</th></tr>");
        foreach (var (phase, count) in report["outcomes"]!.AsObject()) html.Append("<tr><td>").Append(E(phase)).Append("</td><td>").Append(N(count)).Append("</td></tr>");
        html.Append("</table>");
        if (report["skipped"]?["reasons"] is JsonObject skipped && skipped.Count > 0)
            html.Append("<p class=\"note\">Skipped: ").Append(E(string.Join("; ", skipped.Select(s => $"{s.Key} ({s.Value!.GetValue<int>():N0})")))).Append(".</p>");
        var mdm = report["mdm"]!;
        html.Append("<p>The MDM holds the new program for ").Append(N(mdm["metersOnProgramVersion"])).Append(" meters (")
            .Append(mdm["agreesWithCampaign"]!.GetValue<bool>() ? "as the campaign says" : "<b>not</b> what the campaign says").Append("), after ")
            .Append(N(mdm["cimMessages"])).Append(" CIM messages; ").Append(N(report["retries"])).Append(" commands were retried.</p>");
        if (report["notSucceeded"] is not JsonArray failed) return;
        if (failed.Count == 0)
        {
            html.Append("<p>Every targeted meter succeeded.</p>");
            return;
        }
        html.Append("<h2>What did not succeed, and why</h2><table><tr><th>final state</th><th class=\"text\">reason</th><th>meters</th><th class=\"text\">first meters</th></tr>");
        foreach (var group in failed)
            html.Append("<tr><td>").Append(E(group!["state"])).Append("</td><td class=\"text\">").Append(E(group["reason"]!.GetValue<string>() is { Length: > 0 } r ? r : "(not finished when the campaign ended)"))
                .Append("</td><td>").Append(N(group["meters"])).Append("</td><td class=\"text\">").Append(E(string.Join(", ", group["first"]!.AsArray().Select(m => m!.ToString()))))
                .Append(group["meters"]!.GetValue<int>() > group["first"]!.AsArray().Count ? ", …" : "").Append("</td></tr>");
        html.Append("</table><p class=\"note\">Every meter's own line is in meters.csv.</p>");
    }

    private static void Waves(StringBuilder html, JsonObject report)
    {
        html.Append("<h2>Waves</h2><table><tr><th>wave</th><th>meters</th><th>outcomes</th><th>last finished</th></tr>");
        foreach (var wave in report["waves"]!.AsArray())
            html.Append("<tr><td>").Append(E(wave!["wave"])).Append("</td><td>").Append(N(wave["meters"])).Append("</td><td class=\"text\">")
                .Append(E(string.Join(", ", wave["outcomes"]!.AsObject().Select(o => $"{o.Key} {o.Value!.GetValue<int>():N0}")))).Append("</td><td>")
                .Append(wave["outcomes"]!.AsObject().Any(o => Enum.TryParse<MeterPhase>(o.Key, out var p) && p.IsFinal()) ? E(Hours(wave["lastFinishedHours"])) : "none finished").Append("</td></tr>");
        html.Append("</table>");
    }

    private static void Collectors(StringBuilder html, JsonObject report)
    {
        var times = (report["timeToShare"]?["collectors"] as JsonArray)?.ToDictionary(c => c!["collector"]!.GetValue<int>(), c => c!["hours"]!) ?? [];
        html.Append("<h2>Collectors</h2><table><tr><th>collector</th><th>meters</th><th>succeeded</th>")
            .Append(times.Count > 0 ? "<th>time to 95 %</th><th>time to 100 %</th>" : "")
            .Append("<th>airtime</th><th>blocks sent</th><th>blocks lost</th><th>queueing (s)</th></tr>");
        foreach (var c in report["collectors"]!.AsArray())
        {
            html.Append("<tr><td>").Append(E(c!["collector"])).Append("</td><td>").Append(N(c["meters"])).Append("</td><td>").Append(N(c["succeeded"])).Append("</td>");
            if (times.TryGetValue(c["collector"]!.GetValue<int>(), out var t)) html.Append("<td>").Append(E(Hours(t["p95"]))).Append("</td><td>").Append(E(Hours(t["p100"]))).Append("</td>");
            else if (times.Count > 0) html.Append("<td></td><td></td>");
            html.Append("<td>").Append(E(Duration(D(c["airtimeSeconds"]!) / 3600))).Append("</td><td>").Append(N(c["blocksSent"])).Append("</td><td>")
                .Append(N(c["blocksLost"])).Append("</td><td>").Append(N(c["queueingSeconds"])).Append("</td></tr>");
        }
        html.Append("</table>");
    }

    private static void Scenario(StringBuilder html, JsonObject report)
    {
        html.Append("<h2>Scenario</h2>");
        if (report["package"] is JsonObject package)
            html.Append("<p>Package: ").Append(E(package["file"])).Append(", SHA-256 <code>").Append(E(package["sha256"]))
                .Append("</code>, signed by key <code>").Append(E(package["signerKeyId"])).Append("</code>.</p>");
        if (report["scenarioKeys"] is not JsonArray keys) return;
        if (keys.Count == 0)
        {
            html.Append("<p>Every scenario key has its default (hocon/scenario-reference.conf).</p>");
            return;
        }
        html.Append("<p class=\"note\">The keys that differ from their defaults (hocon/scenario-reference.conf), and who gave each.</p>")
            .Append("<table><tr><th>key</th><th class=\"text\">value</th><th class=\"text\">default</th><th class=\"text\">given by</th></tr>");
        foreach (var key in keys)
            html.Append("<tr><td><code>").Append(E(key!["key"])).Append("</code></td><td class=\"text\">").Append(E(key["value"])).Append("</td><td class=\"text\">")
                .Append(E(key["default"])).Append("</td><td class=\"text\">").Append(E(key["givenBy"])).Append("</td></tr>");
        html.Append("</table>");
    }

    private static PlotModel Completion(JsonObject report)
    {
        var model = new PlotModel { Title = "Meters finished over virtual time" };
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Bottom, Title = "virtual hours" });
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Left, Title = "meters", Minimum = 0, StringFormat = "#,0" });
        var points = report["completion"]!.AsArray().Select(p => p!.AsObject()).ToList();
        var names = points.SelectMany(p => p.Select(kv => kv.Key)).Where(k => k != "hour").Distinct().ToList();
        foreach (var name in names)
        {
            var series = new LineSeries { Title = name == "succeeded" ? "succeeded, all waves" : name.Replace("wave", "succeeded, wave ") };
            foreach (var point in points) series.Points.Add(new DataPoint(point["hour"]!.GetValue<int>(), point[name]?.GetValue<int>() ?? 0));
            model.Series.Add(series);
        }
        if (report["errorsOverTime"] is JsonArray errors && errors.Count > 0)
        {
            var series = new LineSeries { Title = "failed/timed out", Color = OxyColor.FromRgb(0xd6, 0x27, 0x28), LineStyle = LineStyle.Dash, StrokeThickness = 2 };
            foreach (var point in errors) series.Points.Add(new DataPoint(point!["hour"]!.GetValue<int>(), point["errors"]!.GetValue<int>()));
            model.Series.Add(series);
        }
        if (model.Series.Count == 0) model.Subtitle = "no meter finished";
        return model;
    }

    /// <summary>A horizontal bar chart with each bar's value written beside it.</summary>
    private static PlotModel Bars(string title, Axis valueAxis, string format, IEnumerable<(string Label, double Value, OxyColor Colour)> bars, double baseValue = 0)
    {
        var model = new PlotModel { Title = title, PlotMargins = new OxyThickness(85, double.NaN, 12, double.NaN) }; // room for the category labels
        var list = bars.ToList();
        model.Axes.Add(new CategoryAxis { Position = AxisPosition.Left, ItemsSource = list.Select(b => b.Label).ToList() });
        valueAxis.Position = AxisPosition.Bottom;
        valueAxis.MaximumPadding = 0.12; // room for the longest bar's label
        model.Axes.Add(valueAxis);
        var series = new BarSeries { LabelFormatString = format, LabelPlacement = LabelPlacement.Outside, BaseValue = baseValue };
        foreach (var bar in list) series.Items.Add(new BarItem(bar.Value) { Color = bar.Colour });
        model.Series.Add(series);
        return model;
    }

    private static readonly OxyColor Good = OxyColor.FromRgb(0x2e, 0x9e, 0x4f);
    private static readonly OxyColor Bad = OxyColor.FromRgb(0xd6, 0x27, 0x28);

    private static OxyColor ColourOf(string phase) => phase switch
    {
        "Succeeded" => Good,
        "Failed" => Bad,
        "TimedOut" => OxyColor.FromRgb(0xff, 0x7f, 0x0e),
        "Skipped" => OxyColor.FromRgb(0x9a, 0x9a, 0x9a),
        _ => OxyColor.FromRgb(0x1f, 0x77, 0xb4),
    };

    /// <summary>Outcomes on a logarithmic axis: 13 failures stay visible beside 9,983 successes.</summary>
    private static PlotModel OutcomeChart(JsonObject report)
    {
        var outcomes = report["outcomes"]!.AsObject().Select(o => (o.Key, (double)o.Value!.GetValue<int>(), ColourOf(o.Key))).ToList();
        var most = outcomes.Count == 0 ? 10 : outcomes.Max(o => o.Item2);
        return Bars("Outcomes (meters, log scale)", new LogarithmicAxis { Minimum = 0.8, Maximum = Math.Max(10, most * 4), Title = "meters", StringFormat = "#,0" }, "{0:#,0}", outcomes, baseValue: 0.8);
    }

    /// <summary>Success shares on an axis that starts a little below the lowest, so that 99.2 % and 99.9 % look different.</summary>
    private static PlotModel Shares(string title, IEnumerable<(string Label, double Percent)> bars)
    {
        var list = bars.ToList();
        var lowest = list.Count == 0 ? 0 : list.Min(b => b.Percent);
        var from = Math.Max(0, Math.Floor(lowest - Math.Max(1, (100 - lowest) * 0.5)));
        return Bars(title, new LinearAxis { Minimum = from, Maximum = 100 + (100 - from) * 0.12, Title = "% succeeded" }, "{0:0.0}",
            list.Select(b => (b.Label, b.Percent, b.Percent >= 99.95 ? Good : b.Percent >= 95 ? OxyColor.FromRgb(0x8c, 0xc0, 0x5a) : Bad)), baseValue: from);
    }

    private static PlotModel ByCollector(JsonObject report) =>
        Shares("Success by collector", report["collectors"]!.AsArray().Select(c =>
            ($"collector {c!["collector"]}", 100.0 * c["succeeded"]!.GetValue<int>() / Math.Max(1, c["meters"]!.GetValue<int>()))));

    private static PlotModel ByDepth(JsonObject report) =>
        Shares("Success by hop depth", report["depths"]!.AsArray().Select(d =>
            ($"depth {d!["depth"]}", 100.0 * d["succeeded"]!.GetValue<int>() / Math.Max(1, d["meters"]!.GetValue<int>()))));

    /// <summary>Airtime per collector, in hours, or in minutes when every collector's is under two hours.</summary>
    private static PlotModel Airtime(JsonObject report)
    {
        var seconds = report["collectors"]!.AsArray().Select(c => ($"collector {c!["collector"]}", D(c["airtimeSeconds"]!))).ToList();
        var (unit, per) = seconds.Count > 0 && seconds.Max(s => s.Item2) >= 7200 ? ("hours", 3600.0) : ("minutes", 60.0);
        return Bars("Airtime by collector", new LinearAxis { Minimum = 0, Title = unit, StringFormat = "#,0.#" }, "{0:#,0.0}",
            seconds.Select(s => (s.Item1, s.Item2 / per, OxyColor.FromRgb(0x1f, 0x77, 0xb4))));
    }
}
