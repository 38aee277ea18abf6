using Akka.TestKit.Xunit2;
using CsCheck;
using Xunit;

namespace AmiSim.Kernel.Tests;

/// <summary>
/// Senders across partitions that promise when they will send (<see cref="SimActor.PromiseQuiet"/>,
/// <see cref="IPlacement.SendersAcross"/>): fewer synchronisations, the same results, and a broken
/// promise or an unnamed sender fails the run.
/// </summary>
public sealed class QuietPromiseTests : TestKit
{
    private static readonly TimeSpan L = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan Clock = L * 10;

    private static LpId Lp(long n) => ScriptModel.Lp(n);

    /// <summary>LPs by number modulo the partitions; 3 is the hub on partition 0, 4 a spoke that talks to it, 5 a spoke that only listens.</summary>
    private sealed class Hub(bool named) : IPlacement
    {
        public int PartitionOf(LpId id, int partitionCount) => (int)(id.Number % partitionCount);

        public TimeSpan? DirectLookahead(int from, int to, int partitionCount) => from == 0 || to == 0 ? L * 2 : TimeSpan.MaxValue;

        public IReadOnlyList<LpId>? SendersAcross(int partition, int partitionCount) =>
            !named ? null : partition switch { 0 => [Lp(3)], 1 => [Lp(4)], _ => [] };
    }

    [Fact]
    public void The_earliest_send_is_never_later_than_a_send_the_promise_allows() =>
        Gen.Select(Gen.Long[0, 1_000_000], Gen.Long[0, 1_000_000], Gen.Long[0, 1_000], Gen.Long[0, 2_000_000])
            .Sample((next, until, every, send) =>
            {
                var promise = new QuietPromise(new SimTime(until), every);
                var earliest = promise.EarliestSend(new SimTime(next));
                Assert.True(earliest.Micros >= next, $"{earliest} before the next event {next}");
                var allowed = send >= next && send >= until && (every == 0 || send % every == 0);
                if (allowed) Assert.True(earliest.Micros <= send, $"{promise} allows a send at {send}, but says none before {earliest}");
            });

    [Fact]
    public void A_partition_promises_no_more_than_the_least_of_its_senders() =>
        Gen.Select(Gen.Long[0, 100_000], Gen.Select(Gen.Long[0, 100_000], Gen.OneOf<long>(0L, 500L, 700L)).Array[1, 4])
            .Sample((next, senders) =>
            {
                var partition = QuietPromise.Of(senders.Select(s => (new SimTime(s.Item1), s.Item2)));
                foreach (var (until, every) in senders)
                    Assert.True(partition.EarliestSend(new SimTime(next)) <= new QuietPromise(new SimTime(until), every).EarliestSend(new SimTime(next)));
            });

    [Fact]
    public void Promises_are_kept_as_none_silent_and_never()
    {
        Assert.Equal(new SimTime(42), QuietPromise.None.EarliestSend(new SimTime(42)));
        Assert.Equal(SimTime.Never, QuietPromise.Silent.EarliestSend(new SimTime(42)));
        Assert.Equal(SimTime.Never, new QuietPromise(new SimTime(10), 100).EarliestSend(SimTime.Never));
        Assert.Equal(new SimTime(200), new QuietPromise(new SimTime(10), 100).EarliestSend(new SimTime(101)));
        Assert.Equal(new SimTime(100), QuietPromise.Of([(new SimTime(100), 50L), (new SimTime(300), 50L)]).Until);
        Assert.Equal(0, QuietPromise.Of([(new SimTime(100), 50L), (new SimTime(300), 70L)]).EveryMicros);
    }

    /// <summary>
    /// Spoke 4 is busy every lookahead and tells the hub what it has done on its clock; the hub answers
    /// spoke 5 on its own clock. Promising those clocks lets the spokes run up to the hub's next tick
    /// instead of one lookahead past its next event: fewer epochs, and every LP handles the same events
    /// at the same times as on one partition.
    /// </summary>
    [Fact]
    public async Task Senders_that_promise_their_clock_pass_the_barrier_less_often_with_the_same_results()
    {
        async Task<(RunCompleted Run, List<(LpId, SimTime, LpId, string)> Log)> RunWith(bool promise, int partitions, string name)
        {
            var model = new ScriptModel();
            model.On(4, (lp, payload) =>
            {
                if (promise) lp.PromiseQuiet(lp.Now, onlyEvery: Clock);
                if (payload is not int tick || tick >= 400) return;
                lp.Send(lp.Id, L, tick + 1);
                if (tick % 10 == 0) lp.Send(Lp(3), L * 2, $"done {tick}"); // every 10 ticks: on the clock
            });
            model.On(3, (lp, payload) =>
            {
                if (promise) lp.PromiseQuiet(lp.Now, onlyEvery: Clock);
                if (payload is string news && news.StartsWith("done")) lp.StartTimer("answer", new SimTime((lp.Now.Micros / SimTime.ToMicros(Clock) + 1) * SimTime.ToMicros(Clock)) - lp.Now, $"answer to {news}");
                else if (payload is string answer) lp.Send(Lp(5), L * 2, answer);
            });
            var sim = Simulation.Create(Sys, new KernelSettings { Lookahead = L, Partitions = partitions }, model, new Hub(named: true), name);
            sim.Schedule(Lp(4), SimTime.Zero, 0);
            var run = await sim.RunAsync();
            return (run, model.Log.Select(h => (h.Lp, h.Time, h.Source, h.Payload.ToString()!)).OrderBy(h => h.Lp).ThenBy(h => h.Time).ThenBy(h => h.Source).ThenBy(h => h.Item4).ToList());
        }

        var alone = await RunWith(promise: true, 1, "alone");
        var unpromised = await RunWith(promise: false, 3, "unpromised");
        var promised = await RunWith(promise: true, 3, "promised");

        Assert.Equal(40, alone.Log.Count(h => h.Item1 == Lp(5)));
        Assert.Equal(alone.Log, unpromised.Log);
        Assert.Equal(alone.Log, promised.Log);
        Assert.True(promised.Run.Epochs * 3 < unpromised.Run.Epochs * 2, $"promised clocks should need a third fewer epochs at least: {promised.Run.Epochs} against {unpromised.Run.Epochs}");
        // Spoke 5 only hears from the hub now and then: most epochs it has nothing to do, and is not asked.
        Assert.True(promised.Run.SatOut > promised.Run.Epochs / 2, $"the listening spoke should sit most epochs out: {promised.Run.SatOut} of {promised.Run.Epochs}");
    }

    [Fact]
    public async Task A_send_across_before_the_promised_time_fails_naming_the_LP()
    {
        var model = new ScriptModel().On(4, (lp, _) =>
        {
            lp.PromiseQuiet(lp.Now + L * 5);
            lp.Send(Lp(3), L * 2, "too soon");
        });

        var error = await RunFailing(model, 4, "early");

        Assert.Contains("Model/4", error.Message);
        Assert.Contains("promised to send nothing across before", error.Message);
        Assert.Empty(model.HandledBy(3));
    }

    [Fact]
    public async Task A_send_across_off_the_promised_clock_fails_naming_the_LP()
    {
        var model = new ScriptModel().On(4, (lp, payload) =>
        {
            lp.PromiseQuiet(lp.Now, onlyEvery: Clock);
            if (payload is "go") lp.Send(lp.Id, L, "off the clock");
            else lp.Send(Lp(3), L * 2, "now");
        });

        var error = await RunFailing(model, 4, "off-clock");

        Assert.Contains("Model/4", error.Message);
        Assert.Contains("only every", error.Message);
    }

    [Fact]
    public async Task A_send_across_from_an_LP_the_placement_does_not_name_fails_naming_it()
    {
        // 7 is on partition 1 with 4, which the placement names as its only sender across.
        var model = new ScriptModel().On(7, (lp, _) => lp.Send(Lp(3), L * 2, "unannounced"));

        var error = await RunFailing(model, 7, "unnamed");

        Assert.Contains("Model/7", error.Message);
        Assert.Contains("names only Model/4", error.Message);
        Assert.Empty(model.HandledBy(3));
    }

    [Fact]
    public async Task A_promised_clock_cannot_be_changed()
    {
        var model = new ScriptModel().On(4, (lp, _) =>
        {
            lp.PromiseQuiet(lp.Now, onlyEvery: Clock);
            lp.PromiseQuiet(lp.Now, onlyEvery: L);
        });

        var error = await RunFailing(model, 4, "clock");

        Assert.Contains("cannot be taken back", error.Message);
    }

    /// <summary>Runs <paramref name="model"/> on three partitions from one event to LP <paramref name="first"/>, expecting it to fail.</summary>
    private Task<SimulationFailedException> RunFailing(ScriptModel model, long first, string name)
    {
        var sim = Simulation.Create(Sys, new KernelSettings { Lookahead = L, Partitions = 3 }, model, new Hub(named: true), name);
        sim.Schedule(Lp(first), SimTime.Zero, "go");
        return Assert.ThrowsAsync<SimulationFailedException>(() => sim.RunAsync());
    }
}
