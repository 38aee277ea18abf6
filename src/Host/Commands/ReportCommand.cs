using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Nodes;
using AmiSim.Host.Run;
using Spectre.Console;
using Spectre.Console.Cli;

namespace AmiSim.Host.Commands;

/// <summary><c>amisim report RUN_DIR</c>: draws report.html again from the run folder's report.json.</summary>
public sealed class ReportCommand : Command<ReportCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<RUN_DIR>")]
        [Description("A run folder holding report.json.")]
        public string RunDir { get; init; } = "";
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        var json = Path.Combine(settings.RunDir, "report.json");
        try
        {
            var report = JsonNode.Parse(File.ReadAllText(json))?.AsObject() ?? throw new JsonException("empty");
            var html = Path.Combine(settings.RunDir, "report.html");
            File.WriteAllText(html, ReportHtml.Render(report));
            AnsiConsole.MarkupLineInterpolated($"wrote {html}");
            return 0;
        }
        catch (Exception error) when (error is IOException or JsonException or InvalidOperationException or NullReferenceException)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {json}: {error.Message}");
            return 2;
        }
    }
}
