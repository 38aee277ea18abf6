using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Nodes;
using AmiSim.Host.Cli;
using AmiSim.Host.Run;
using Spectre.Console;
using Spectre.Console.Cli;

namespace AmiSim.Host.Commands;

/// <summary><c>amisim report RUN_DIR</c>: draws report.html again from the run folder's report.json (and meters.csv, for the map).</summary>
public sealed class ReportCommand : Command<ReportCommand.Settings>
{
    /// <summary>What report.json must hold to be drawn (written by <c>amisim run</c>).</summary>
    private static readonly string[] Required = ["scenario", "seed", "fleet", "program", "campaign", "outcomes", "virtualTime", "waves", "collectors", "depths", "completion", "mdm"];

    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<RUN_DIR>")]
        [Description("A run folder holding report.json.")]
        public string RunDir { get; init; } = "";
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        var json = Path.Combine(settings.RunDir, "report.json");
        if (!File.Exists(json)) return ErrorLine.Exit(ExitCode.BadInput, $"{settings.RunDir}: no report.json (a folder written by amisim run)");
        if (new FileInfo(json).Length > 256 << 20) return ErrorLine.Exit(ExitCode.BadInput, $"{json}: over 256 MiB, not a report of amisim run");
        string html;
        try
        {
            var report = JsonNode.Parse(File.ReadAllText(json)) as JsonObject ?? throw new JsonException("not a JSON object");
            var missing = Required.Where(k => report[k] is null).ToList();
            if (missing.Count > 0) throw new JsonException($"not a report of amisim run: no {string.Join(", ", missing)}");
            NetworkMap? map;
            try
            {
                map = NetworkMap.Read(report, Path.Combine(settings.RunDir, "meters.csv"));
            }
            catch (Exception error) when (error is FormatException or IOException)
            {
                return ErrorLine.Exit(ExitCode.BadInput, error.Message);
            }
            html = ReportHtml.Render(report, map);
        }
        catch (Exception error) when (error is JsonException or InvalidOperationException or NullReferenceException or FormatException or KeyNotFoundException)
        {
            return ErrorLine.Exit(ExitCode.BadInput, $"{json}: {(error is JsonException ? error.Message : "a value is missing or of the wrong kind: " + error.Message)}");
        }
        catch (IOException error)
        {
            return ErrorLine.Exit(ExitCode.BadInput, $"{json}: {error.Message}");
        }
        var path = Path.Combine(settings.RunDir, "report.html");
        File.WriteAllText(path, html);
        AnsiConsole.MarkupLineInterpolated($"wrote {path}");
        return ExitCode.Completed;
    }
}
