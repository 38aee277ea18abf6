using System.ComponentModel;
using System.Diagnostics;
using Akka.Actor;
using Akka.Configuration;
using AmiSim.Kernel;
using AmiSim.Kernel.Synthetic;
using Spectre.Console;
using Spectre.Console.Cli;

namespace AmiSim.Bench;

/// <summary>
/// Runs the kernel's synthetic traffic model: one actor per LP, random fan-out (0, 1 or 2 copies of
/// each token), delays uniform in [L, 4L], timers. Reports events/s of the timed run (after a warm-up
/// run in the same process) and heap bytes per LP with all LPs alive.
/// </summary>
internal sealed class KernelBenchmark : AsyncCommand<KernelBenchmark.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--lps")]
        [Description("Logical processes (one actor each).")]
        [DefaultValue(100_000)]
        public int Lps { get; init; }

        [CommandOption("--tokens")]
        [Description("Tokens each LP starts with: the number of events in flight per LP.")]
        [DefaultValue(8)]
        public int Tokens { get; init; }

        [CommandOption("--virtual-seconds")]
        [Description("Virtual seconds to simulate in the timed run.")]
        [DefaultValue(2.0)]
        public double VirtualSeconds { get; init; }

        [CommandOption("--partitions")]
        [Description("Kernel partitions (0 = one per core).")]
        [DefaultValue(0)]
        public int Partitions { get; init; }

        [CommandOption("--repeat")]
        [Description("Timed runs; the median is reported.")]
        [DefaultValue(3)]
        public int Repeat { get; init; }

        [CommandOption("--direct")]
        [Description("Probability that an event also does a request/response with the LP's member actor.")]
        [DefaultValue(0.0)]
        public double Direct { get; init; }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        AnsiConsole.MarkupLine($"[bold]kernel benchmark[/] on {Measure.Machine()}");
        AnsiConsole.MarkupLine($"{settings.Lps:N0} LPs, {settings.Tokens} tokens per LP, {settings.VirtualSeconds} virtual s per run, direct {settings.Direct}");
        var rates = new List<double>();
        var bytesPerLp = 0.0;
        for (var run = 0; run <= settings.Repeat; run++)
        {
            var result = await RunOnce(settings, cancellation);
            var label = run == 0 ? "warm-up" : $"run {run}";
            AnsiConsole.MarkupLine($"{label}: {result.Events:N0} events in {result.Wall.TotalSeconds:0.00} s = [bold]{result.Rate / 1e6:0.00}M events/s[/], " +
                                   $"{result.Windows:N0} windows, {result.BytesPerLp:N0} heap bytes per LP");
            if (run == 0) continue;
            rates.Add(result.Rate);
            bytesPerLp = result.BytesPerLp;
        }
        AnsiConsole.MarkupLine($"median: [bold]{Measure.Median(rates) / 1e6:0.00}M events/s[/]; {bytesPerLp:N0} heap bytes per LP; peak working set {Measure.PeakWorkingSetBytes() / (1 << 20):N0} MiB");
        return 0;
    }

    private static async Task<(long Events, long Windows, TimeSpan Wall, double Rate, double BytesPerLp)> RunOnce(Settings settings, CancellationToken cancellation)
    {
        var before = Measure.HeapAfterFullCollection();
        var system = ActorSystem.Create("kernel-bench", ConfigurationFactory.ParseString("akka.loglevel = WARNING"));
        try
        {
            var model = new SyntheticTraffic(new SyntheticTrafficOptions
            {
                Lps = settings.Lps,
                TokensPerLp = settings.Tokens,
                DirectChance = settings.Direct,
            });
            var kernel = new KernelSettings { Partitions = settings.Partitions > 0 ? settings.Partitions : Environment.ProcessorCount };
            var sim = Simulation.Create(system, kernel, model);
            model.Seed(sim);
            // The first window makes every LP's actor; time the run after it.
            await sim.RunAsync(new SimTime(kernel.LookaheadMicros), cancellation);
            var pausedBefore = GC.GetTotalPauseDuration();
            var gen2Before = GC.CollectionCount(2);
            var gen0Before = GC.CollectionCount(0);
            var allocatedBefore = GC.GetTotalAllocatedBytes(precise: false);
            var clock = Stopwatch.StartNew();
            var run = await sim.RunAsync(SimTime.FromSeconds(settings.VirtualSeconds), cancellation);
            clock.Stop();
            var allocatedPerEvent = (GC.GetTotalAllocatedBytes(precise: false) - allocatedBefore) / (double)Math.Max(1, run.EventsHandled);
            AnsiConsole.MarkupLine($"  GC: {(GC.GetTotalPauseDuration() - pausedBefore).TotalSeconds:0.00} s paused, " +
                                   $"{GC.CollectionCount(0) - gen0Before} collections ({GC.CollectionCount(2) - gen2Before} full), {allocatedPerEvent:0} bytes allocated per event");
            var heap = Measure.HeapAfterFullCollection() - before;
            GC.KeepAlive(sim);
            return (run.EventsHandled, run.Windows, clock.Elapsed, run.EventsHandled / clock.Elapsed.TotalSeconds, (double)heap / settings.Lps);
        }
        finally
        {
            await system.Terminate();
        }
    }
}
