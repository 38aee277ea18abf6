using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using OxyPlot;
using OxyPlot.Axes;
using OxyPlot.Series;

namespace AmiSim.Host.Run;

/// <summary>A run folder's report, read for a comparison: its folder's name and its report.json.</summary>
public sealed record ComparedRun(string Name, string Folder, JsonObject Report)
{
    /// <summary>What report.json must hold to be compared (written by <c>amisim run</c>).</summary>
    private static readonly string[] Required = ["scenario", "seed", "fleet", "campaign", "outcomes", "virtualTime", "collectors", "airtimeSeconds", "retries", "completion", "mdm"];

    /// <exception cref="FormatException">the folder is not a run folder, or its report.json cannot be read (names the folder and why).</exception>
    public static ComparedRun Read(string folder)
    {
        var json = Path.Combine(folder, "report.json");
        if (Directory.Exists(folder) is false) throw new FormatException(File.Exists(folder) ? $"{folder}: a file, not a run folder" : $"{folder}: no such folder");
        if (!File.Exists(json)) throw new FormatException($"{folder}: not a run folder (no report.json; amisim run writes one)");
        if (new FileInfo(json).Length > 256 << 20) throw new FormatException($"{json}: over 256 MiB, not a report of amisim run");
        try
        {
            var report = JsonNode.Parse(File.ReadAllText(json)) as JsonObject ?? throw new JsonException("not a JSON object");
            var missing = Required.Where(k => report[k] is null).ToList();
            if (missing.Count > 0) throw new JsonException($"not a report of amisim run: no {string.Join(", ", missing)}");
            var name = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder)));
            return new ComparedRun(name, folder, report);
        }
        catch (JsonException error)
        {
            throw new FormatException($"{json}: {error.Message}");
        }
    }
}

/// <summary>
/// Runs side by side (<c>amisim compare</c>): one row per figure, one column per run, every figure taken
/// from the runs' report.json: the scenario keys that differ between them, the duration and the time to
/// each share of the targeted meters, airtime, blocks sent per meter, outcomes and what did not succeed
/// by reason, retries, CIM messages. The terminal shows the rows; compare.html the rows and the
/// completion curves on one chart.
/// </summary>
public static class RunComparison
{
    private static readonly CultureInfo En = CultureInfo.InvariantCulture;

    /// <summary>A row: what it is, and its value in each run (empty: the run has none).</summary>
    public sealed record Row(string Figure, IReadOnlyList<string> Values, string Section);

    public static IReadOnlyList<Row> Rows(IReadOnlyList<ComparedRun> runs)
    {
        var rows = new List<Row>();
        void Add(string section, string figure, Func<JsonObject, string> value) => rows.Add(new Row(figure, runs.Select(r => Try(() => value(r.Report))).ToList(), section));

        Add("run", "scenario", r => Text(r["scenario"]));
        Add("run", "seed", r => Text(r["seed"]));
        Add("run", "meters", r => Whole(r["fleet"]!["meters"]));
        Add("run", "campaign", r => Text(r["campaign"]!["status"]) + (r["campaign"]!["pauseReason"]?.GetValue<string>() is { Length: > 0 } why ? $" ({why})" : ""));
        foreach (var (key, values) in DifferingKeys(runs)) rows.Add(new Row(key, values, "scenario keys that differ"));

        Add("time", "duration (virtual)", r => ReportHtml.Duration(Number(r["virtualTime"]!["durationHours"])));
        foreach (var p in RunAnalysis.Percentiles)
            Add("time", $"time to {p} %", r => r["timeToShare"]?["all"] is JsonObject all ? all[$"p{p}"] is { } h ? ReportHtml.Duration(Number(h)) : "never" : "");

        Add("network", "airtime down (h)", r => (Number(r["airtimeSeconds"]!["down"]) / 3600).ToString("N1", En));
        Add("network", "airtime up (h)", r => (Number(r["airtimeSeconds"]!["up"]) / 3600).ToString("N1", En));
        Add("network", "blocks sent per meter", r => (r["collectors"]!.AsArray().Sum(c => Number(c!["blocksSent"])) / Math.Max(1, Number(r["fleet"]!["meters"]))).ToString("N1", En));
        Add("network", "multicast rounds", r => Whole(r["campaign"]!["multicastRounds"]));

        foreach (var phase in runs.SelectMany(r => r.Report["outcomes"]!.AsObject().Select(o => o.Key)).Distinct())
            Add("outcomes", phase, r => r["outcomes"]![phase] is { } n ? Whole(n) : "0");
        foreach (var reason in runs.SelectMany(r => Reasons(r.Report).Keys).Distinct().Order(StringComparer.Ordinal))
            Add("did not succeed, by reason", reason, r => Reasons(r).TryGetValue(reason, out var n) ? n.ToString("N0", En) : "0");
        Add("head-end", "retried commands", r => Whole(r["retries"]));
        Add("head-end", "CIM messages", r => Whole(r["mdm"]!["cimMessages"]));
        Add("head-end", "result digest", r => Text(r["resultDigest"])[..Math.Min(8, Text(r["resultDigest"]).Length)]);
        return rows;
    }

    /// <summary>Every scenario key some run gives a value other than its default, with each run's value (its default where it gives none).</summary>
    public static IReadOnlyList<(string Key, IReadOnlyList<string> Values)> DifferingKeys(IReadOnlyList<ComparedRun> runs)
    {
        var given = runs.Select(r => (r.Report["scenarioKeys"] as JsonArray)?.ToDictionary(k => k!["key"]!.GetValue<string>(), k => (Value: k!["value"]!.GetValue<string>(), Default: k["default"]!.GetValue<string>()))).ToList();
        var keys = given.Where(g => g is not null).SelectMany(g => g!.Keys).Distinct().Order(StringComparer.Ordinal);
        var result = new List<(string, IReadOnlyList<string>)>();
        foreach (var key in keys)
        {
            var standard = given.Select(g => g?.GetValueOrDefault(key).Default).FirstOrDefault(d => d is not null) ?? "";
            var values = given.Select(g => g is null ? "?" : g.TryGetValue(key, out var v) ? v.Value : standard).ToList();
            if (key != "name" && values.Distinct().Count() > 1) result.Add((key, values));
        }
        return result;
    }

    /// <summary>"TimedOut: no answer ..." → meters, from report.json's notSucceeded.</summary>
    private static Dictionary<string, int> Reasons(JsonObject report) =>
        (report["notSucceeded"] as JsonArray ?? []).GroupBy(g => $"{g!["state"]}: {(g["reason"]!.GetValue<string>() is { Length: > 0 } r ? r : "not finished")}")
            .ToDictionary(g => g.Key, g => g.Sum(x => x!["meters"]!.GetValue<int>()));

    private static string Try(Func<string> value)
    {
        try
        {
            return value();
        }
        catch (Exception error) when (error is NullReferenceException or InvalidOperationException or FormatException or KeyNotFoundException)
        {
            return ""; // a report.json of another amisim may lack the figure
        }
    }

    private static string Text(JsonNode? value) => value is JsonValue v && v.TryGetValue<string>(out var s) ? s : value?.ToJsonString() ?? "";

    private static double Number(JsonNode? value) => double.Parse(value!.ToJsonString(), NumberStyles.Float, En);

    private static string Whole(JsonNode? value) => Number(value).ToString("N0", En);

    /// <summary>compare.html: the rows as a table, then each run's completion (share of its targeted meters succeeded) over virtual time on one chart.</summary>
    public static string Html(IReadOnlyList<ComparedRun> runs)
    {
        static string E(string text) => WebUtility.HtmlEncode(text);
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>AmiSim: ").Append(E(string.Join(" vs ", runs.Select(r => r.Name)))).Append("</title><style>")
            .Append("body{font-family:system-ui,sans-serif;margin:2em;max-width:1200px;color:#222}h1{font-size:1.4em}table{border-collapse:collapse}")
            .Append("td,th{border:1px solid #ccc;padding:.3em .7em;text-align:right}th{background:#f3f3f3}td:first-child{text-align:left}tr.section td{background:#fafafa;font-weight:600;text-align:left}")
            .Append("td.differs{background:#fff6d5}</style></head><body><h1>AmiSim: ").Append(runs.Count).Append(" runs compared</h1>");
        html.Append("<div id=\"completion\">").Append(CompletionSvg(runs)).Append("</div>");
        html.Append("<table><tr><th></th>").Append(string.Concat(runs.Select(r => $"<th>{E(r.Name)}</th>"))).Append("</tr>");
        string? section = null;
        foreach (var row in Rows(runs))
        {
            if (row.Section != section)
                html.Append("<tr class=\"section\"><td colspan=\"").Append(runs.Count + 1).Append("\">").Append(E(section = row.Section)).Append("</td></tr>");
            var differs = row.Values.Distinct().Count() > 1;
            html.Append("<tr><td>").Append(E(row.Figure)).Append("</td>")
                .Append(string.Concat(row.Values.Select(v => $"<td{(differs ? " class=\"differs\"" : "")}>{E(v)}</td>")))
                .Append("</tr>");
        }
        html.Append("</table><p>Every figure is from the runs' report.json: ").Append(E(string.Join(", ", runs.Select(r => r.Folder)))).Append(".</p></body></html>");
        return html.ToString();
    }

    private static string CompletionSvg(IReadOnlyList<ComparedRun> runs)
    {
        var model = new PlotModel { Title = "Targeted meters succeeded over virtual time" };
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Bottom, Title = "virtual hours", Minimum = 0 });
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Left, Title = "% of targeted meters", Minimum = 0, Maximum = 100 });
        foreach (var run in runs)
        {
            var waves = run.Report["waves"] as JsonArray;
            var targeted = Math.Max(1, waves?.Sum(w => Number(w!["meters"])) ?? Number(run.Report["fleet"]!["meters"]));
            var series = new LineSeries { Title = run.Name, StrokeThickness = 2 };
            series.Points.Add(new DataPoint(0, 0));
            foreach (var point in run.Report["completion"]!.AsArray())
                series.Points.Add(new DataPoint(Number(point!["hour"]), 100 * Number(point["succeeded"]) / targeted));
            model.Series.Add(series);
        }
        return SvgChart.WithLegend(model, 900, 380, "completion-");
    }
}
