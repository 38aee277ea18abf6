using System.Text.RegularExpressions;
using System.Net;
using OxyPlot;
using OxyPlot.Series;

namespace AmiSim.Host.Run;

/// <summary>OxyPlot charts as SVG to inline in a page.</summary>
public static partial class SvgChart
{
    /// <summary>
    /// The chart as an inline &lt;svg&gt; element, every id in it (OxyPlot numbers its clip paths from 1 in
    /// every export) prefixed by <paramref name="prefix"/>, so that several charts on one page do not clip
    /// each other. <paramref name="prefix"/> must be unique on the page. Text is drawn in Arial (or its metric twin Liberation Sans).
    /// </summary>
    public static string Inline(PlotModel model, int width, int height, string prefix)
    {
        // The exporter measures text with Arial's metrics; drawn in the browser's default serif it would overrun.
        model.DefaultFont = "Arial";
        var svg = new SvgExporter { Width = width, Height = height }.ExportToString(model);
        svg = svg[Math.Max(0, svg.IndexOf("<svg", StringComparison.Ordinal))..];
        return IdPattern().Replace(svg, match => match.Groups[1].Value + prefix + match.Groups[2].Value);
    }

    /// <summary>
    /// The chart as <see cref="Inline"/>, its line series' titles drawn as the page's own legend below it
    /// (the exporter measures text smaller than the browser draws it, so a legend inside the SVG is cut
    /// short). The legend is a <c>div class="legend"</c> of one <c>span</c> per titled line.
    /// </summary>
    public static string WithLegend(PlotModel model, int width, int height, string prefix)
    {
        model.Legends.Clear();
        model.IsLegendVisible = false;
        var svg = Inline(model, width, height, prefix);
        var lines = model.Series.OfType<LineSeries>().Where(s => !string.IsNullOrEmpty(s.Title)).ToList();
        if (lines.Count == 0) return svg;
        var legend = lines.Select(s =>
            $"<span style=\"margin-right:1.2em;white-space:nowrap\"><i style=\"display:inline-block;width:1.6em;margin-right:.4em;vertical-align:middle;border-top:3px {(s.LineStyle is LineStyle.Solid or LineStyle.Automatic ? "solid" : "dashed")} #{s.ActualColor.R:x2}{s.ActualColor.G:x2}{s.ActualColor.B:x2}\"></i>{WebUtility.HtmlEncode(s.Title)}</span>");
        return $"{svg}<div class=\"legend\" style=\"padding:0 1em .6em;font-size:.85em;max-width:{width}px\">{string.Concat(legend)}</div>";
    }

    [GeneratedRegex("(id=\"|url\\(#)([A-Za-z][\\w-]*)")]
    private static partial Regex IdPattern();
}
