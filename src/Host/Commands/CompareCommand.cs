using System.ComponentModel;
using AmiSim.Host.Cli;
using AmiSim.Host.Console;
using AmiSim.Host.Run;
using Spectre.Console;
using Spectre.Console.Cli;

namespace AmiSim.Host.Commands;

/// <summary><c>amisim compare RUN_DIR RUN_DIR [...]</c>: runs side by side in the terminal, and compare.html.</summary>
public sealed class CompareCommand : Command<CompareCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<RUN_DIR>")]
        [Description("Two or more run folders (each holding the report.json amisim run wrote).")]
        public string[] RunDirs { get; init; } = [];

        [CommandOption("--out <FILE>")]
        [Description("Where to write the comparison page (default: compare.html in the current folder).")]
        public string Out { get; init; } = "compare.html";

        public override ValidationResult Validate() =>
            RunDirs.Length < 2 ? ValidationResult.Error($"compare needs two or more run folders; given {RunDirs.Length}")
            : Out.Trim().Length == 0 ? ValidationResult.Error("--out: empty; give a file")
            : ValidationResult.Success();
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        var runs = new List<ComparedRun>();
        foreach (var folder in settings.RunDirs)
        {
            try
            {
                runs.Add(ComparedRun.Read(folder));
            }
            catch (Exception error) when (error is FormatException or IOException or UnauthorizedAccessException)
            {
                return ErrorLine.Exit(ExitCode.BadInput, error.Message);
            }
        }
        if (Directory.Exists(settings.Out)) return ErrorLine.Exit(ExitCode.BadInput, $"--out {settings.Out}: is a folder; give a file such as compare.html");
        // Two folders of the same name get their parent's name too, so that the columns tell them apart.
        var named = runs.Select(r => runs.Count(o => o.Name == r.Name) > 1 ? r with { Name = Path.GetRelativePath(".", r.Folder) } : r).ToList();

        var output = ConsoleOutput.Create();
        var table = new Table().AddColumn("");
        foreach (var run in named) table.AddColumn(new TableColumn(Markup.Escape(run.Name)).RightAligned());
        string? section = null;
        foreach (var row in RunComparison.Rows(named))
        {
            if (row.Section != section) table.AddRow(new Markup($"[bold]{Markup.Escape(section = row.Section)}[/]"));
            var differs = row.Values.Distinct().Count() > 1;
            table.AddRow([new Text(row.Figure), .. row.Values.Select(v => differs ? new Markup($"[yellow]{Markup.Escape(v)}[/]") : (Spectre.Console.Rendering.IRenderable)new Text(v))]);
        }
        output.Write(table);
        try
        {
            File.WriteAllText(settings.Out, RunComparison.Html(named));
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return ErrorLine.Exit(ExitCode.BadInput, $"--out {settings.Out}: cannot be written: {error.Message}");
        }
        output.MarkupLineInterpolated($"wrote {settings.Out}");
        return ExitCode.Completed;
    }
}
