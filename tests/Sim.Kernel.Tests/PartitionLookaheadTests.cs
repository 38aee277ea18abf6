using Akka.TestKit.Xunit2;
using Xunit;

namespace AmiSim.Kernel.Tests;

/// <summary>Lookaheads that differ between pairs of partitions (<see cref="IPlacement.DirectLookahead"/>).</summary>
public sealed class PartitionLookaheadTests : TestKit
{
    private static readonly TimeSpan L = TimeSpan.FromMilliseconds(20);

    private static LpId Lp(long n) => ScriptModel.Lp(n);

    /// <summary>LPs by number modulo the partitions; partition 0 is a hub that reaches the others in 8 lookaheads, they reach it in 6, and never each other.</summary>
    private sealed class Hub : IPlacement
    {
        public int PartitionOf(LpId id, int partitionCount) => (int)(id.Number % partitionCount);

        public TimeSpan? DirectLookahead(int from, int to, int partitionCount) => from == 0 ? L * 8 : to == 0 ? L * 6 : TimeSpan.MaxValue;
    }

    private sealed class TooShort : IPlacement
    {
        public int PartitionOf(LpId id, int partitionCount) => (int)(id.Number % partitionCount);

        public TimeSpan? DirectLookahead(int from, int to, int partitionCount) => from == 0 && to == 1 ? L / 2 : null;
    }

    [Fact]
    public void What_reaches_a_partition_through_others_takes_the_shortest_path_over_direct_sends()
    {
        var lookaheads = new PartitionLookaheads(new KernelSettings { Lookahead = L, Partitions = 3 }, new Hub());

        Assert.Equal(SimTime.ToMicros(L * 8), lookaheads.Reach(0, 1));
        Assert.Equal(SimTime.ToMicros(L * 6), lookaheads.Reach(2, 0));
        Assert.Equal(SimTime.ToMicros(L * 14), lookaheads.Reach(1, 2));
        Assert.Equal(SimTime.ToMicros(L * 14), lookaheads.Reach(2, 1));
        Assert.True(lookaheads.NeverDirect(1, 2));
        Assert.False(lookaheads.NeverDirect(1, 0));
    }

    [Fact]
    public void A_placement_lookahead_shorter_than_the_lookahead_is_refused_naming_the_partitions()
    {
        var error = Assert.Throws<ArgumentException>(() => Simulation.Create(Sys, new KernelSettings { Lookahead = L, Partitions = 2 }, new ScriptModel(), new TooShort()));

        Assert.Contains("from partition 0 to 1", error.Message);
    }

    [Fact]
    public async Task A_send_between_partitions_the_placement_says_never_talk_fails_naming_both_LPs()
    {
        // On three partitions 4 is on 1, 3 on the hub, 5 on 2.
        var model = new ScriptModel().On(4, (lp, _) =>
        {
            lp.Send(Lp(3), L * 6, "to the hub: fine");
            lp.Send(Lp(5), L * 50, "to the other spoke: never");
        });
        var sim = Simulation.Create(Sys, new KernelSettings { Lookahead = L, Partitions = 3 }, model, new Hub());
        sim.Schedule(Lp(4), SimTime.Zero, "go");

        var error = await Assert.ThrowsAsync<SimulationFailedException>(() => sim.RunAsync());

        Assert.Contains("Model/4", error.Message);
        Assert.Contains("Model/5", error.Message);
        Assert.Contains("nothing on partition 1 sends straight to partition 2", error.Message);
        Assert.Empty(model.HandledBy(5));
    }

    /// <summary>
    /// Two spokes tick every lookahead and talk only through the hub: with the hub's lookaheads each
    /// runs up to 14 lookaheads ahead of the other instead of 6, so the barrier is passed less often,
    /// and every LP handles the same events at the same times as with one partition.
    /// </summary>
    [Fact]
    public async Task Partitions_that_reach_each_other_only_through_a_hub_pass_the_barrier_less_often_with_the_same_results()
    {
        async Task<(RunCompleted Run, List<(LpId, SimTime, LpId, object)> Log)> RunWith(IPlacement placement, int partitions, string name)
        {
            var model = new ScriptModel();
            foreach (var spoke in new long[] { 4, 5 })
                model.On(spoke, (lp, payload) =>
                {
                    if (payload is not int tick || tick >= 200) return;
                    lp.Send(lp.Id, L, tick + 1);
                    if (spoke == 4 && tick % 10 == 0) lp.Send(Lp(3), L * 6, $"relay {tick}");
                });
            model.On(3, (lp, payload) => lp.Send(Lp(5), L * 8, $"from the hub: {payload}"));
            var sim = Simulation.Create(Sys, new KernelSettings { Lookahead = L, PartitionLookahead = L * 6, Partitions = partitions }, model, placement, name);
            sim.Schedule(Lp(4), SimTime.Zero, 0);
            sim.Schedule(Lp(5), SimTime.Zero, 0);
            var run = await sim.RunAsync();
            return (run, model.Log.Select(h => (h.Lp, h.Time, h.Source, h.Payload)).OrderBy(h => h.Lp).ThenBy(h => h.Time).ThenBy(h => h.Source).ThenBy(h => h.Payload.ToString()).ToList());
        }

        var alone = await RunWith(new Hub(), 1, "alone");
        var uniform = await RunWith(ModuloPlacement.Instance, 3, "uniform");
        var hub = await RunWith(new Hub(), 3, "hub");

        Assert.True(alone.Log.Count > 400, $"the spokes should be busy, handled {alone.Log.Count}");
        Assert.Equal(alone.Log, uniform.Log);
        Assert.Equal(alone.Log, hub.Log);
        Assert.True(hub.Run.Epochs < uniform.Run.Epochs, $"the hub's lookaheads should need fewer epochs: {hub.Run.Epochs} against {uniform.Run.Epochs}");
    }
}
