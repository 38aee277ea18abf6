using System.Globalization;
using System.Net;
using System.Text;
using OxyPlot;
using OxyPlot.Axes;
using OxyPlot.Series;

namespace AmiSim.Host.Run;

/// <summary>What sweep.html shows: the grid's results and the choice made from them.</summary>
/// <param name="Name">the scenario's name.</param>
/// <param name="Seeds">the seeds every combination runs with.</param>
/// <param name="Best">the best combination for <paramref name="Objective"/> under <paramref name="Constraints"/>, or null when none meets them.</param>
public sealed record SweepPage(string Name, IReadOnlyList<SweepKey> Keys, IReadOnlyList<long> Seeds, IReadOnlyList<Sweep.Result> Results,
    SweepMetric Objective, IReadOnlyList<SweepConstraint> Constraints, Sweep.Result? Best);

/// <summary>
/// sweep.html: one self-contained page: the best combination, the objective metric (mean and 95 %
/// interval over the seeds) against each varied key, and a table of every combination with links to
/// its runs' report.html.
/// </summary>
public static class SweepHtml
{
    private static readonly CultureInfo En = CultureInfo.InvariantCulture;

    private static readonly OxyColor[] Palette =
    [
        OxyColor.FromRgb(0x1f, 0x77, 0xb4), OxyColor.FromRgb(0xff, 0x7f, 0x0e), OxyColor.FromRgb(0x2c, 0xa0, 0x2c), OxyColor.FromRgb(0xd6, 0x27, 0x28),
        OxyColor.FromRgb(0x94, 0x67, 0xbd), OxyColor.FromRgb(0x8c, 0x56, 0x4b), OxyColor.FromRgb(0xe3, 0x77, 0xc2), OxyColor.FromRgb(0x7f, 0x7f, 0x7f),
    ];

    private static string E(string text) => WebUtility.HtmlEncode(text);

    private static string F(double value) => double.IsNaN(value) ? "" : value.ToString("#,0.##", En);

    /// <summary>The mean and, over two seeds or more, the half width of its 95 % interval.</summary>
    public static string Cell(Estimate estimate) =>
        estimate.Runs == 0 ? "" : estimate.Runs == 1 ? F(estimate.Mean) : $"{F(estimate.Mean)} ± {F((estimate.High - estimate.Low) / 2)}";

    public static string Render(SweepPage page)
    {
        var html = new StringBuilder();
        var runs = page.Results.Count * page.Seeds.Count;
        html.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>AmiSim sweep: ").Append(E(page.Name)).Append("</title><style>")
            .Append("body{font-family:system-ui,sans-serif;margin:2em;max-width:1200px;color:#222}h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.6em}")
            .Append("table{border-collapse:collapse;margin:.4em 0}td,th{border:1px solid #ccc;padding:.3em .7em;text-align:right}th{background:#f3f3f3}")
            .Append("td{white-space:nowrap}td.key,th.key{text-align:left}tr.best td{background:#e8f6ec;font-weight:600}tr.out td{color:#999}.note{color:#555}")
            .Append(".callout{border-left:4px solid #2e9e4f;background:#f1faf3;padding:.5em 1em}.callout.none{border-color:#d62728;background:#fff4f4}")
            .Append(".charts{display:flex;flex-wrap:wrap;gap:1em}.chart{border:1px solid #eee;width:560px}</style></head><body>");
        html.Append("<h1>AmiSim sweep: ").Append(E(page.Name)).Append("</h1><p>")
            .Append(page.Results.Count.ToString("N0", En)).Append(" combinations × ").Append(page.Seeds.Count).Append(" seeds (")
            .Append(E(string.Join(", ", page.Seeds))).Append(") = ").Append(runs.ToString("N0", En)).Append(" runs; ")
            .Append(page.Results.Sum(r => r.Runs).ToString("N0", En)).Append(" finished.</p>");

        var under = page.Constraints.Count == 0 ? "" : $" under {string.Join(", ", page.Constraints)}";
        if (page.Best is { } best)
            html.Append("<p class=\"callout\" id=\"best\">Best for least ").Append(E(Sweep.Describe(page.Objective))).Append(E(under)).Append(": <b>")
                .Append(E(best.Combination.Label)).Append("</b>, ").Append(E(Cell(best.Metrics[page.Objective]))).Append(".</p>");
        else html.Append("<p class=\"callout none\" id=\"best\">No combination meets").Append(E(under)).Append(".</p>");

        html.Append("<h2>").Append(E(Sweep.Describe(page.Objective))).Append(" against each varied key</h2>")
            .Append("<p class=\"note\">Mean over the seeds, with its 95 % confidence interval.</p><div class=\"charts\">");
        for (var k = 0; k < page.Keys.Count; k++)
        {
            html.Append("<div class=\"chart\" id=\"chart").Append(k + 1).Append("\">").Append(SvgChart.WithLegend(Chart(page, k), 560, 340, $"chart{k + 1}-"));
            html.Append("</div>");
        }
        html.Append("</div>");

        html.Append("<h2>Every combination</h2><table><tr>").Append(string.Concat(page.Keys.Select(k => $"<th class=\"key\">{E(k.Key)}</th>")))
            .Append("<th>runs</th>").Append(string.Concat(Enum.GetValues<SweepMetric>().Select(m => $"<th>{E(Sweep.Describe(m))}</th>"))).Append("<th class=\"key\">runs' reports</th></tr>");
        foreach (var result in page.Results)
        {
            var meets = Sweep.Meets(result, page.Constraints);
            html.Append("<tr").Append(result == page.Best ? " class=\"best\"" : meets ? "" : " class=\"out\"").Append('>')
                .Append(string.Concat(result.Combination.Values.Select(v => $"<td class=\"key\">{E(v.Value)}</td>")))
                .Append("<td>").Append(result.Runs).Append(result.Failed > 0 ? $" ({result.Failed} failed)" : "").Append("</td>")
                .Append(string.Concat(Enum.GetValues<SweepMetric>().Select(m => $"<td>{E(Cell(result.Metrics[m]))}</td>"))).Append("<td class=\"key\">")
                .Append(string.Join(" ", page.Seeds.Select(s => $"<a href=\"{E(Uri.EscapeDataString(result.Combination.Folder))}/seed-{s}/report.html\">{s}</a>")))
                .Append("</td></tr>");
        }
        html.Append("</table>");
        if (page.Constraints.Count > 0) html.Append("<p class=\"note\">Greyed: the combinations that do not meet ").Append(E(string.Join(", ", page.Constraints))).Append(".</p>");
        html.Append("</body></html>");
        return html.ToString();
    }

    /// <summary>
    /// The objective against key <paramref name="k"/>'s values: one line per combination of the other
    /// keys (up to eight; beyond that the mean over them, without an interval), a numeric axis when
    /// every value is a number, else one place per value in the --vary order.
    /// </summary>
    private static PlotModel Chart(SweepPage page, int k)
    {
        var key = page.Keys[k];
        var metric = page.Objective;
        var numbers = key.Values.Select(v => double.TryParse(v, NumberStyles.Float, En, out var x) ? x : (double?)null).ToList();
        var numeric = numbers.All(n => n is not null);
        var values = key.Values.ToList();
        double X(string value) => numeric ? numbers[values.IndexOf(value)]!.Value : values.IndexOf(value);

        var model = new PlotModel { Title = $"{Sweep.Describe(metric)} by {key.Key}", PlotMargins = new OxyThickness(62, double.NaN, 16, double.NaN) }; // room for the value labels beside the axis title
        // Values such as 4, 8, 16 spread evenly on a logarithmic axis (base 2 when they are powers of two).
        var logarithmic = numeric && numbers.Min() > 0 && numbers.Max() / numbers.Min() >= 4;
        var powersOfTwo = logarithmic && numbers.All(n => Math.Abs(Math.Log2(n!.Value) - Math.Round(Math.Log2(n.Value))) < 1e-9);
        if (logarithmic)
            model.Axes.Add(new LogarithmicAxis
            {
                Position = AxisPosition.Bottom, Title = key.Key, Base = powersOfTwo ? 2 : 10, MinimumPadding = 0.08, MaximumPadding = 0.08, AxisTitleDistance = 8,
            });
        else if (numeric) model.Axes.Add(new LinearAxis { Position = AxisPosition.Bottom, Title = key.Key, MinimumPadding = 0.08, MaximumPadding = 0.08, AxisTitleDistance = 8 });
        else
            model.Axes.Add(new LinearAxis
            {
                Position = AxisPosition.Bottom, Title = key.Key, Minimum = -0.5, Maximum = key.Values.Count - 0.5, MajorStep = 1, MinorStep = 1, AxisTitleDistance = 8,
                LabelFormatter = x => Math.Abs(x - Math.Round(x)) < 1e-9 && x >= 0 && x < key.Values.Count ? key.Values[(int)Math.Round(x)] : "",
            });
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Left, Title = Sweep.Describe(metric), MinimumPadding = 0.1, MaximumPadding = 0.1, AxisTitleDistance = 12, IntervalLength = 36 });

        var groups = page.Results.Where(r => r.Runs > 0)
            .GroupBy(r => string.Join(", ", r.Combination.Values.Where((_, i) => i != k).Select(v => $"{v.Key[(v.Key.LastIndexOf('.') + 1)..]}={v.Value}")))
            .ToList();
        if (groups.Count > Palette.Length)
        {
            var means = page.Results.Where(r => r.Runs > 0).GroupBy(r => r.Combination.Values[k].Value)
                .Select(g => new DataPoint(X(g.Key), g.Average(r => r.Metrics[metric].Mean))).OrderBy(p => p.X);
            var line = new LineSeries { Title = $"mean over the other keys' {groups.Count} combinations", Color = Palette[0], MarkerType = MarkerType.Circle, StrokeThickness = 2 };
            line.Points.AddRange(means);
            model.Series.Add(line);
        }
        else
            for (var g = 0; g < groups.Count; g++)
            {
                var colour = Palette[g];
                // Lines side by side on a category axis, so that their intervals do not hide each other.
                var shift = numeric ? 0 : (g - (groups.Count - 1) / 2.0) * Math.Min(0.08, 0.5 / groups.Count);
                var line = new LineSeries { Title = groups.Count > 1 ? groups[g].Key : null, Color = colour, StrokeThickness = 2, MarkerType = MarkerType.Circle, MarkerSize = 3.5, MarkerFill = colour };
                // Each interval a vertical stroke from its low to its high end (not centred on the mean: it is cut at 0), strokes apart.
                var intervals = new LineSeries { Color = colour, StrokeThickness = 1.5 };
                foreach (var result in groups[g].OrderBy(r => X(r.Combination.Values[k].Value)))
                {
                    var estimate = result.Metrics[metric];
                    var x = X(result.Combination.Values[k].Value) + shift;
                    line.Points.Add(new DataPoint(x, estimate.Mean));
                    if (estimate.Runs > 1) intervals.Points.AddRange([new DataPoint(x, estimate.Low), new DataPoint(x, estimate.High), DataPoint.Undefined]);
                }
                model.Series.Add(intervals);
                model.Series.Add(line);
            }
        if (model.Series.Count == 0) model.Subtitle = "no run finished";
        else
        {
            // The axis spans the intervals, not only the means.
            var finished = page.Results.Where(r => r.Runs > 0).Select(r => r.Metrics[metric]).ToList();
            var (low, high) = (finished.Min(e => e.Low), finished.Max(e => e.High));
            var pad = Math.Max((high - low) * 0.08, Math.Abs(high) * 0.02 + 1e-6);
            var axis = model.Axes[1];
            (axis.Minimum, axis.Maximum) = (Math.Max(0, low - pad), high + pad);
        }
        return model;
    }
}
