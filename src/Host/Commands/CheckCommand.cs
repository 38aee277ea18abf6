using System.ComponentModel;
using AmiSim.Host.Cli;
using AmiSim.Host.Console;
using AmiSim.Host.Run;
using AmiSim.Protocol;
using AmiSim.Protocol.Programs;
using Spectre.Console;
using Spectre.Console.Cli;

namespace AmiSim.Host.Commands;

/// <summary>
/// <c>amisim check</c>: reads and checks a scenario with its overrides exactly as <c>run</c> does
/// (the same <see cref="RunInput"/>), prints what it would run, and writes nothing.
/// </summary>
public sealed class CheckCommand : Command<CheckCommand.Settings>
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
        var s = input.Scenario;
        var output = ConsoleOutput.Create();
        output.MarkupLine($"[green]ok:[/] {Markup.Escape(input.Source)}: [bold]{Markup.Escape(OutsideText.Clean(s.Name))}[/] (seed {s.Seed}): "
                          + Markup.Escape($"{input.Manifest.Kind} {input.Manifest.ProgramId} {input.Manifest.Version}{(input.Program is null ? "" : $" (package {Path.GetFileName(input.Program.PackagePath)})")}{(input.Manifest.Kind == ProgramKind.Firmware ? $", {input.Manifest.Size:N0} bytes" : "")}, to {input.Topology.Meters.Count:N0} meters "
                                          + $"under {input.Topology.Collectors.Count:N0} collectors, {s.Campaign.Distribution}, until virtual {AmiSim.Kernel.SimTime.From(s.Until)}"));
        if (s.WaitsForOperator) output.MarkupLine("[yellow]note:[/] campaign.start = operator and no scripted start: run it with --console and start it from the page");
        return ExitCode.Completed;
    }
}
