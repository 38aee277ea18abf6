using System.ComponentModel;
using System.Globalization;
using AmiSim.Host.Cli;
using AmiSim.Host.Console;
using AmiSim.Host.Run;
using AmiSim.Mesh.Topology;
using Spectre.Console;
using Spectre.Console.Cli;

namespace AmiSim.Host.Commands;

/// <summary>
/// <c>amisim topology export</c>: the network a scenario makes (generated, read, or from positions)
/// written as the topology file a run reads, to edit and feed back (<c>fleet.topology-file</c>): the
/// same network, and the same results.
/// </summary>
public sealed class TopologyExportCommand : Command<TopologyExportCommand.Settings>
{
    public sealed class Settings : ScenarioOptions
    {
        [CommandOption("--out <FILE>")]
        [Description("The topology file to write (CSV); never overwritten.")]
        public string Out { get; init; } = "";
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        if (settings.Out.Trim().Length == 0) return ErrorLine.Exit(ExitCode.BadInput, "--out is required: the topology file to write");
        if (File.Exists(settings.Out) || Directory.Exists(settings.Out))
            return ErrorLine.Exit(ExitCode.BadInput, $"--out {settings.Out}: exists; choose another --out (a topology file is never overwritten)");
        RunInput input;
        try
        {
            input = RunInput.Read(settings.Scenario, settings.Set, settings.Seed, settings.Package, settings.Trust);
        }
        catch (InputException error)
        {
            return ErrorLine.Exit(ExitCode.BadInput, error.Message);
        }
        try
        {
            using var writer = new StreamWriter(new FileStream(settings.Out, FileMode.CreateNew, FileAccess.Write));
            TopologyCsv.Write(input.Topology, writer);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return ErrorLine.Exit(ExitCode.BadInput, $"--out {settings.Out}: cannot be written ({error.Message})");
        }
        var topology = input.Topology;
        ConsoleOutput.Create().MarkupLineInterpolated(
            $"{settings.Out}: {topology.Meters.Count:N0} meters under {topology.Collectors.Count:N0} collectors{(topology.Unreachable.Count > 0 ? $", {topology.Unreachable.Count:N0} unreachable" : "")}; run it with --set amisim.scenario.fleet.topology-file=\"{settings.Out}\"");
        return ExitCode.Completed;
    }
}

/// <summary><c>amisim topology inspect</c>: what a scenario's network looks like: meters per collector and per depth, the worst links, the unreachable meters.</summary>
public sealed class TopologyInspectCommand : Command<TopologyInspectCommand.Settings>
{
    public sealed class Settings : ScenarioOptions;

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        RunInput input;
        try
        {
            input = RunInput.Read(settings.Scenario, settings.Set, settings.Seed, settings.Package, settings.Trust);
        }
        catch (InputException error)
        {
            return ErrorLine.Exit(ExitCode.BadInput, error.Message);
        }
        var topology = input.Topology;
        var output = ConsoleOutput.Create();
        output.MarkupLineInterpolated($"[bold]{input.Source}[/]: {topology.Meters.Count + topology.Unreachable.Count:N0} meters, {topology.Collectors.Count:N0} collectors, {topology.Unreachable.Count:N0} unreachable");

        var depths = topology.Meters.Select(m => m.Depth).Distinct().Order().ToList();
        var cells = new Table().AddColumn("collector").AddColumn(new TableColumn("meters").RightAligned());
        foreach (var depth in depths) cells.AddColumn(new TableColumn($"depth {depth}").RightAligned());
        cells.AddColumn(new TableColumn("mean loss").RightAligned());
        foreach (var collector in topology.Collectors.Take(50))
        {
            var cell = topology.Cell(collector.Id);
            var row = new List<string> { collector.Id.ToString(CultureInfo.InvariantCulture), cell.Count.ToString("N0", CultureInfo.InvariantCulture) };
            row.AddRange(depths.Select(d => cell.Count(m => m.Depth == d).ToString("N0", CultureInfo.InvariantCulture)));
            row.Add(cell.Count == 0 ? "-" : cell.Average(m => m.LinkLoss).ToString("P2", CultureInfo.InvariantCulture));
            cells.AddRow(row.Select(Markup.Escape).ToArray());
        }
        output.Write(cells);
        if (topology.Collectors.Count > 50) output.MarkupLineInterpolated($"and {topology.Collectors.Count - 50:N0} more collectors");

        var worst = new Table().AddColumn("meter").AddColumn("collector").AddColumn("parent").AddColumn(new TableColumn("depth").RightAligned()).AddColumn(new TableColumn("link loss").RightAligned());
        foreach (var m in topology.Meters.OrderByDescending(m => m.LinkLoss).ThenBy(m => m.Meter).Take(10))
            worst.AddRow(m.Meter.Value.ToString(CultureInfo.InvariantCulture), m.Collector.ToString(CultureInfo.InvariantCulture),
                m.Parent is { } p ? p.Value.ToString(CultureInfo.InvariantCulture) : "collector", m.Depth.ToString(CultureInfo.InvariantCulture), m.LinkLoss.ToString("P3", CultureInfo.InvariantCulture));
        output.MarkupLine("[bold]worst links[/] (a block lost after the MAC's retries)");
        output.Write(worst);
        if (topology.Unreachable.Count > 0)
        {
            output.MarkupLine("[bold]unreachable meters[/]");
            foreach (var m in topology.Unreachable.Take(20)) output.MarkupLineInterpolated($"  {m.Meter.Value}: {m.Reason}");
            if (topology.Unreachable.Count > 20) output.MarkupLineInterpolated($"  and {topology.Unreachable.Count - 20:N0} more");
        }
        return ExitCode.Completed;
    }
}
