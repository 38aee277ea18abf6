using Akka.TestKit.Xunit2;
using Xunit;

namespace AmiSim.Kernel.Tests;

public sealed class KernelTests : TestKit
{
    private static readonly TimeSpan L = TimeSpan.FromMilliseconds(20);

    private Simulation Create(ScriptModel model, int partitions = 2, KernelSettings? settings = null, string name = "sim") =>
        Simulation.Create(Sys, (settings ?? new KernelSettings()) with { Lookahead = L, Partitions = partitions }, model, name: name);

    private static LpId Lp(long n) => ScriptModel.Lp(n);

    [Fact]
    public async Task Events_due_at_the_same_time_reach_an_LP_in_source_then_sequence_order()
    {
        var model = new ScriptModel()
            .On(5, (lp, _) => { lp.Send(Lp(9), L, "5a"); lp.Send(Lp(9), L, "5b"); })
            .On(3, (lp, _) => lp.Send(Lp(9), L, "3a"));
        var sim = Create(model, partitions: 3);
        sim.Schedule(Lp(5), SimTime.Zero, "go");
        sim.Schedule(Lp(3), SimTime.Zero, "go");

        await sim.RunAsync();

        var at9 = model.HandledBy(9);
        Assert.Equal(new object[] { "3a", "5a", "5b" }, at9.Select(h => h.Payload));
        Assert.All(at9, h => Assert.Equal(new SimTime(20_000), h.Time));
        Assert.Equal(new[] { Lp(3), Lp(5), Lp(5) }, at9.Select(h => h.Source));
    }

    [Fact]
    public async Task A_run_that_counts_event_types_counts_each_handled_event_once_by_its_payload_type()
    {
        // LP 1 answers each int with a string to LP 2 and, below 30, the next int to itself by timer.
        var model = new ScriptModel().On(1, (lp, payload) =>
        {
            if (payload is not int n) return;
            lp.Send(Lp(2), L, $"seen {n}");
            if (n < 30) lp.StartTimer("next", L * 2, n + 1);
        });
        var sim = Create(model, partitions: 2, new KernelSettings { CountEventTypes = true });
        sim.Schedule(Lp(1), SimTime.Zero, 0);

        var completed = await sim.RunAsync();

        var counts = await sim.EventTypesAsync();
        Assert.Equal(new Dictionary<string, long> { ["Int32"] = 31, ["String"] = 31 }, counts);
        Assert.Equal(completed.EventsHandled, counts.Values.Sum());
        var uncounted = Create(new ScriptModel(), partitions: 1, name: "uncounted");
        Assert.Empty(await uncounted.EventTypesAsync());
    }

    [Fact]
    public async Task Each_LP_handles_its_events_in_time_order_across_windows()
    {
        var model = new ScriptModel().On(1, (lp, payload) =>
        {
            if (payload is int n && n < 50) lp.Send(Lp(2), L * (1 + n % 3), n + 1);
        }).On(2, (lp, payload) =>
        {
            if (payload is int n) lp.Send(Lp(1), L * (1 + n % 4), n + 1);
        });
        var sim = Create(model);
        sim.Schedule(Lp(1), SimTime.Zero, 0);
        sim.Schedule(Lp(1), SimTime.FromSeconds(0.5), 100);
        sim.Schedule(Lp(2), SimTime.FromSeconds(0.25), 100);

        await sim.RunAsync();

        foreach (var n in new[] { 1, 2 })
        {
            var times = model.HandledBy(n).Select(h => h.Time.Micros).ToList();
            Assert.True(times.Count > 20);
            Assert.Equal(times.Order(), times);
        }
    }

    [Fact]
    public async Task A_send_shorter_than_the_lookahead_fails_the_run_naming_both_LPs()
    {
        var model = new ScriptModel().On(7, (lp, _) => lp.Send(Lp(8), L / 2, "too soon"));
        var sim = Create(model);
        sim.Schedule(Lp(7), SimTime.Zero, "go");

        var error = await Assert.ThrowsAsync<SimulationFailedException>(() => sim.RunAsync());

        Assert.Contains("Model/7", error.Message);
        Assert.Contains("Model/8", error.Message);
        Assert.Contains("lookahead", error.Message);
        Assert.Empty(model.HandledBy(8));
    }

    [Fact]
    public async Task A_send_to_another_partition_shorter_than_the_partition_lookahead_fails_naming_both_LPs()
    {
        // Modulo placement on two partitions: 7 and 9 share one, 8 is on the other.
        var model = new ScriptModel().On(7, (lp, _) =>
        {
            lp.Send(Lp(9), L * 2, "same partition: fine");
            lp.Send(Lp(8), L * 2, "other partition: too soon");
        });
        var sim = Create(model, settings: new KernelSettings { PartitionLookahead = L * 5 });
        sim.Schedule(Lp(7), SimTime.Zero, "go");

        var error = await Assert.ThrowsAsync<SimulationFailedException>(() => sim.RunAsync());

        Assert.Contains("Model/7", error.Message);
        Assert.Contains("Model/8", error.Message);
        Assert.Contains("the lookahead from partition 1 to partition 0", error.Message);
        Assert.Empty(model.HandledBy(8));
    }

    [Fact]
    public async Task Partitions_that_run_a_partition_lookahead_apart_handle_every_event_as_one_partition_does()
    {
        // 1 and 3 talk often and fast on one partition; 2, on the other, answers 1 over a slow link.
        ScriptModel Model() => new ScriptModel()
            .On(1, (lp, payload) =>
            {
                if (payload is not int n || n > 400) return;
                lp.Send(Lp(3), L * (1 + n % 2), n + 1);
                if (n % 7 == 0) lp.Send(Lp(2), L * 5 + TimeSpan.FromMilliseconds(n % 3), n + 1);
            })
            .On(3, (lp, payload) => { if (payload is int n) lp.Send(Lp(1), L, n + 1); })
            .On(2, (lp, payload) => { if (payload is int n) lp.Send(Lp(1), L * 6, n + 1000); });

        async Task<List<string>> Run(int partitions, TimeSpan? partitionLookahead)
        {
            var model = Model();
            var sim = Create(model, partitions, new KernelSettings { PartitionLookahead = partitionLookahead }, name: $"sim{partitions}");
            sim.Schedule(Lp(1), SimTime.Zero, 0);
            await sim.RunAsync();
            return new[] { 1, 2, 3 }.SelectMany(n => model.HandledBy(n).Select(h => $"{n}@{h.Time.Micros}<{h.Source}:{h.Payload}")).ToList();
        }

        var alone = await Run(1, null);
        Assert.True(alone.Count > 300, $"the script should keep the LPs busy, handled {alone.Count}");
        Assert.Equal(alone, await Run(2, L * 5));
    }

    [Fact]
    public async Task Timers_fire_at_their_time_and_cancelled_or_restarted_ones_do_not_fire_early()
    {
        var model = new ScriptModel().On(1, (lp, payload) =>
        {
            if (payload is not "go") return;
            lp.StartTimer("short", TimeSpan.FromMilliseconds(3), "short fired"); // inside the window
            lp.StartTimer("cancelled", TimeSpan.FromSeconds(1), "cancelled fired");
            lp.StartTimer("restarted", TimeSpan.FromSeconds(1), "first restarted fired");
            lp.StartTimer("restarted", TimeSpan.FromSeconds(2), "second restarted fired");
            lp.CancelTimer("cancelled");
        });
        var sim = Create(model);
        sim.Schedule(Lp(1), SimTime.FromSeconds(10), "go");

        await sim.RunAsync();

        var fired = model.HandledBy(1).Skip(1).Select(h => (h.Time, h.Payload)).ToList();
        Assert.Equal(new (SimTime, object)[]
        {
            (SimTime.FromSeconds(10.003), "short fired"),
            (SimTime.FromSeconds(12), "second restarted fired"),
        }, fired);
    }

    [Fact]
    public async Task A_thirty_day_idle_gap_costs_one_window()
    {
        var model = new ScriptModel();
        var sim = Create(model);
        sim.Schedule(Lp(1), SimTime.Zero, "day 0");
        sim.Schedule(Lp(1), SimTime.From(TimeSpan.FromDays(30)), "day 30");

        var run = await sim.RunAsync();

        Assert.Equal(2, run.Windows);
        Assert.Equal(2, run.EventsHandled);
        Assert.Equal(RunEnd.Idle, run.Reason);
        Assert.Equal(SimTime.From(TimeSpan.FromDays(30)), model.HandledBy(1)[1].Time);
    }

    [Fact]
    public async Task A_window_waits_for_the_LPs_direct_exchange_before_its_next_event()
    {
        var model = new ScriptModel()
            .On(1, (lp, payload) =>
            {
                if (payload is "ask") lp.SendToMember("question");
                if (payload is ValueTuple<string, object> { Item1: "echo" }) lp.Send(Lp(2), L, "after the answer");
            });
        var sim = Create(model);
        sim.Schedule(Lp(1), SimTime.Zero, "ask");
        sim.Schedule(Lp(1), SimTime.Zero, "next");

        await sim.RunAsync();

        Assert.Equal(new object[] { "ask", ("echo", (object)"question"), "next" }, model.HandledBy(1).Select(h => h.Payload));
        Assert.Equal(new SimTime(20_000), Assert.Single(model.HandledBy(2)).Time);
    }

    [Fact]
    public async Task A_window_that_never_closes_is_reported_with_the_busy_LP()
    {
        var hungBoard = CreateTestProbe();
        var stalls = CreateTestProbe();
        Sys.EventStream.Subscribe(stalls.Ref, typeof(EpochStalled));
        var model = new ScriptModel()
            .WithForeignMember(4, hungBoard.Ref)
            .On(4, (lp, _) => lp.SendToMember("never answered"));
        var sim = Create(model, settings: new KernelSettings
        {
            StallTimeout = TimeSpan.FromMilliseconds(300),
            StallAbortAfter = TimeSpan.FromSeconds(3),
            ProgressInterval = TimeSpan.FromMilliseconds(100),
        });
        sim.Schedule(Lp(4), SimTime.FromSeconds(1), "go");
        sim.Schedule(Lp(5), SimTime.FromSeconds(1), "fine");

        var run = sim.RunAsync();

        var stall = await stalls.ExpectMsgAsync<EpochStalled>(TimeSpan.FromSeconds(10));
        Assert.Equal(new[] { Lp(4) }, stall.BusyLps);
        Assert.Equal(SimTime.FromSeconds(1), stall.Start);
        var error = await Assert.ThrowsAsync<SimulationFailedException>(() => run);
        Assert.Contains("Model/4", error.Message);
    }

    [Fact]
    public async Task An_LP_can_stop_the_run_and_a_later_run_goes_on_from_there()
    {
        var model = new ScriptModel().On(1, (lp, payload) =>
        {
            if (payload is int n) lp.Send(Lp(1), L, n + 1);
            if (payload is 10) lp.RequestStop();
        });
        var sim = Create(model);
        sim.Schedule(Lp(1), SimTime.Zero, 0);

        var first = await sim.RunAsync();
        Assert.Equal(RunEnd.StopRequested, first.Reason);
        Assert.Equal(11, model.HandledBy(1).Count);

        var second = await sim.RunAsync(SimTime.FromSeconds(1));
        Assert.Equal(RunEnd.TimeLimit, second.Reason);
        Assert.Equal(SimTime.FromSeconds(1), second.Time);
        Assert.Equal(50, model.HandledBy(1).Count); // events at 0, 20 ms, ... 980 ms
    }

    [Fact]
    public async Task An_event_for_an_LP_the_model_does_not_know_fails_the_run_with_its_id()
    {
        var sim = Simulation.Create(Sys, new KernelSettings { Lookahead = L, Partitions = 1 }, new Synthetic.SyntheticTraffic(new() { Lps = 3 }));
        sim.Schedule(new LpId(LpKind.Model, 42), SimTime.Zero, "hello");

        var error = await Assert.ThrowsAsync<SimulationFailedException>(() => sim.RunAsync());

        Assert.Contains("Model/42", error.Message);
    }
}
