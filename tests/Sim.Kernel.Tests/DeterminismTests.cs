using Akka.Actor;
using Akka.Configuration;
using AmiSim.Kernel.Synthetic;
using Xunit;

namespace AmiSim.Kernel.Tests;

/// <summary>The same model and seed give the same per-LP event histories whatever the threads and partitions do.</summary>
public sealed class DeterminismTests
{
    private static readonly SyntheticTrafficOptions Options = new()
    {
        Lps = 10_000,
        TokensPerLp = 2,
        TimerChance = 0.3,
        CancelChance = 0.15,
        DirectChance = 0.2,
    };

    private static readonly SimTime Until = SimTime.FromSeconds(1);

    private static readonly Lazy<Task<(ulong Digest, long Events)>> Baseline = new(() => RunAsync(threads: 2, partitions: 2, seed: 42));

    [Fact]
    public async Task Five_runs_with_one_seed_give_one_digest()
    {
        var (baseline, events) = await Baseline.Value;
        Assert.True(events > 200_000, $"the model should be busy enough to mean something, handled {events}");
        for (var run = 0; run < 4; run++)
            Assert.Equal(baseline, (await RunAsync(threads: 2, partitions: 2, seed: 42)).Digest);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 3)]
    [InlineData(8, 4)]
    public async Task Dispatcher_threads_and_partitions_do_not_change_the_digest(int threads, int partitions)
    {
        var (baseline, _) = await Baseline.Value;
        Assert.Equal(baseline, (await RunAsync(threads, partitions, seed: 42)).Digest);
    }

    [Fact]
    public async Task Another_seed_gives_another_digest()
    {
        var (baseline, _) = await Baseline.Value;
        Assert.NotEqual(baseline, (await RunAsync(threads: 2, partitions: 2, seed: 43)).Digest);
    }

    private static async Task<(ulong Digest, long Events)> RunAsync(int threads, int partitions, long seed)
    {
        var config = ConfigurationFactory.ParseString($$"""
            akka.loglevel = WARNING
            akka.actor.default-dispatcher {
              executor = fork-join-executor
              fork-join-executor { parallelism-min = {{threads}}, parallelism-factor = 1.0, parallelism-max = {{threads}} }
            }
            """);
        var system = ActorSystem.Create("determinism", config);
        try
        {
            var model = new SyntheticTraffic(Options);
            var sim = Simulation.Create(system, new KernelSettings { Lookahead = TimeSpan.FromMilliseconds(20), Seed = seed, Partitions = partitions }, model);
            model.Seed(sim);
            var run = await sim.RunAsync(Until);
            Assert.All(model.OrderViolations, v => Assert.Equal(0, v));
            // The kernel also counts timer events it dropped because they were cancelled or restarted.
            Assert.InRange(model.Handled.Sum(), run.EventsHandled * 9 / 10, run.EventsHandled);
            return (model.Digest(), run.EventsHandled);
        }
        finally
        {
            await system.Terminate();
        }
    }
}
