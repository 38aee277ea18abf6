using System.ComponentModel;
using Akka.Configuration;
using AmiSim.Host;
using AmiSim.Host.Run;
using AmiSim.Scenario;
using Spectre.Console;
using Spectre.Console.Cli;

namespace AmiSim.Bench;

/// <summary>
/// A whole run of a fleet scenario (hocon/scenarios/fleet-*.conf) as `amisim run` does it, with the
/// figures issue 8 asks for: wall time, events/s, peak working set, bytes per meter, journal writes/s
/// and the result digest.
/// </summary>
internal sealed class FleetBenchmark : AsyncCommand<FleetBenchmark.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--scenario <NAME>")]
        [Description("fleet-10k, fleet-100k, fleet-1m, or a scenario file.")]
        [DefaultValue("fleet-10k")]
        public string Scenario { get; init; } = "fleet-10k";

        [CommandOption("--set <KEY=VALUE>")]
        [Description("Override a key of the scenario (amisim.scenario.*) or of the kernel (amisim.kernel.*), as amisim run --set; repeatable.")]
        public string[] Set { get; init; } = [];

        [CommandOption("--events-by-type")]
        [Description("Count the events by payload type and print them (one dictionary update per event).")]
        public bool EventsByType { get; init; }

        [CommandOption("--allocations")]
        [Description("Sample allocations by type (an allocation-tick listener, about one sample per 100 KB) and print the top 25.")]
        public bool Allocations { get; init; }

        [CommandOption("--out <DIR>")]
        [Description("Run folder (default: a temporary one, deleted afterwards).")]
        public string? Out { get; init; }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        var text = File.Exists(settings.Scenario) ? await File.ReadAllTextAsync(settings.Scenario, cancellation) : HoconLoader.Embedded($"scenarios/{settings.Scenario}.conf");
        var scenario = ScenarioSettings.Read(ScenarioReader.Load(text, settings.Scenario, settings.Set.Where(s => s.StartsWith("amisim.scenario.", StringComparison.Ordinal))));
        var folder = settings.Out ?? Directory.CreateTempSubdirectory("amisim-fleet-").FullName;
        Directory.CreateDirectory(folder);
        var akka = HoconLoader.Load(settings.Set.Where(s => !s.StartsWith("amisim.scenario.", StringComparison.Ordinal))
            .Concat(settings.EventsByType ? ["amisim.kernel.count-event-types = on"] : [])).WithFallback(ConfigurationFactory.ParseString("akka.loglevel = WARNING"));
        AnsiConsole.MarkupLine($"[bold]fleet benchmark[/] {scenario.Name} on {Measure.Machine()}");
        if (HeapBudget.Apply(akka, scenario.Fleet.Meters) is { } heapLimit) AnsiConsole.MarkupLine(heapLimit);
        try
        {
            using var sampler = settings.Allocations ? new AllocationSampler() : null;
            var gcBefore = GcFigures.Now();
            using var heap = new HeapWatch();
            var result = await new ScenarioRun(scenario, folder).RunAsync(akka, cancellation: cancellation);
            // The run's figures, before the report of every meter is built.
            var gc = GcFigures.Now().Since(gcBefore, result.Events);
            sampler?.Dispose();
            var report = RunReport.Build(result);
            var wall = result.Wall.TotalSeconds;
            AnsiConsole.MarkupLine($"meters {scenario.Fleet.Meters:N0}; outcomes {Markup.Escape(report["outcomes"]!.ToJsonString())}");
            AnsiConsole.MarkupLine($"wall {wall:0.0} s; {result.Events:N0} events in {result.Windows:N0} windows, {result.Epochs:N0} epochs ({result.EpochsSatOut:N0} partition epochs sat out) = {result.Events / wall / 1e6:0.00}M events/s");
            AnsiConsole.MarkupLine($"peak working set {result.PeakWorkingSetBytes / (1 << 20):N0} MiB = {result.PeakWorkingSetBytes / (double)scenario.Fleet.Meters:N0} bytes per meter");
            AnsiConsole.MarkupLine(gc);
            AnsiConsole.MarkupLine(heap.Summary());
            AnsiConsole.MarkupLine($"journal writes {result.Summary.JournalWrites:N0} = {result.Summary.JournalWrites / wall:0.0}/s; virtual duration {result.End}");
            if (result.EventTypes is { } types) WriteLargestFirst("events", "payload type", types, count => $"{count:N0}");
            if (sampler is not null) WriteLargestFirst("sampled MiB", "allocated type", sampler.BytesByType, bytes => $"{bytes / (double)(1 << 20):N0}", top: 25);
            AnsiConsole.MarkupLine($"resultDigest {report["resultDigest"]!.GetValue<string>()}");
            return 0;
        }
        finally
        {
            if (settings.Out is null) Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>A two-column table of counts by type name, the <paramref name="top"/> largest first.</summary>
    private static void WriteLargestFirst(string countColumn, string typeColumn, IEnumerable<KeyValuePair<string, long>> counts, Func<long, string> format, int top = int.MaxValue)
    {
        var table = new Table().AddColumn(countColumn).AddColumn(typeColumn);
        foreach (var (type, count) in counts.OrderByDescending(c => c.Value).Take(top)) table.AddRow(format(count), Markup.Escape(type));
        AnsiConsole.Write(table);
    }
}
