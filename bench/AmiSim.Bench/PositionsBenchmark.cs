using System.ComponentModel;
using System.Diagnostics;
using AmiSim.Kernel;
using AmiSim.Mesh.Topology;
using AmiSim.Protocol.Network;
using Spectre.Console;
using Spectre.Console.Cli;

namespace AmiSim.Bench;

/// <summary>
/// Builds the mesh of a network from positions (link budget and least-ETX routes, the defaults of
/// network.links): meters scattered uniformly over a square at a density, collectors on a grid over it.
/// Prints the build's wall time, the depths and the unreachable meters.
/// </summary>
internal sealed class PositionsBenchmark : Command<PositionsBenchmark.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--meters")]
        [DefaultValue(100_000)]
        public int Meters { get; init; }

        [CommandOption("--collectors")]
        [DefaultValue(20)]
        public int Collectors { get; init; }

        [CommandOption("--density")]
        [Description("Meters per square kilometre.")]
        [DefaultValue(700.0)]
        public double Density { get; init; }

        [CommandOption("--seed")]
        [DefaultValue(1L)]
        public long Seed { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        var side = Math.Sqrt(settings.Meters / settings.Density) * 1000;
        var random = RandomStream.For(settings.Seed, 0, "positions-bench");
        var meters = Enumerable.Range(1, settings.Meters).Select(i => new PlacedMeter(new MeterId(i), new Position(random.NextDouble() * side, random.NextDouble() * side), null, null)).ToList();
        var across = (int)Math.Ceiling(Math.Sqrt(settings.Collectors));
        var collectors = Enumerable.Range(0, settings.Collectors).Select(i => new PlacedCollector(i + 1,
            new Position((i % across + 0.5) * side / across, (i / across + 0.5) * side / Math.Ceiling(settings.Collectors / (double)across)), TimeSpan.FromMilliseconds(150), 40_000)).ToList();
        AnsiConsole.MarkupLine($"[bold]positions network[/] on {Measure.Machine()}; {settings.Meters:N0} meters over {side / 1000:0.0} km x {side / 1000:0.0} km ({settings.Density:N0}/km²), {settings.Collectors} collectors");
        var wall = Stopwatch.StartNew();
        var topology = PositionsNetwork.Build(collectors, meters, new LinkBudget(), new TopologySettings(), settings.Seed);
        wall.Stop();
        var depths = string.Join(", ", topology.Meters.GroupBy(m => m.Depth).OrderBy(g => g.Key).Select(g => $"{g.Key}: {g.Count():N0}"));
        AnsiConsole.MarkupLine($"built in [bold]{wall.Elapsed.TotalSeconds:0.00} s[/]; meters by depth {depths}; unreachable {topology.Unreachable.Count:N0}");
        return 0;
    }
}
