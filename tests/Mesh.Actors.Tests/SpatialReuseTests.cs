using Akka.TestKit.Xunit2;
using AmiSim.Kernel;
using AmiSim.Mesh.Radio;
using AmiSim.Mesh.Router;
using AmiSim.Mesh.Topology;
using AmiSim.Protocol.C1219;
using AmiSim.Protocol.Network;
using Xunit;

namespace AmiSim.Mesh.Tests;

/// <summary>Spatial reuse on the routing tree and channel hopping: which transmissions go on at the same time.</summary>
public sealed class SpatialReuseTests : TestKit
{
    /// <summary>Two branches under the collector (node 0): 1 - 2 - 3 and 4 - 5 - 6.</summary>
    private static readonly int[] Branches = [0, 0, 1, 2, 0, 4, 5];

    private static readonly RadioSettings Reuse = new() { SpatialReuse = true };

    private static long Air(int bytes) => new RadioSettings().AirtimeMicros(bytes);

    [Fact]
    public void Links_more_than_a_hop_apart_on_the_tree_transmit_together_and_links_that_share_a_neighbourhood_in_turn()
    {
        var counters = new LinkCounters();
        var channel = new CellChannel(Reuse, new RandomStream(1), Branches);

        var (a, aEnd) = channel.Transmit(SimTime.Zero, 1000, counters, acknowledged: false, transmitter: 3, receiver: 2);
        var (b, _) = channel.Transmit(SimTime.Zero, 1000, counters, acknowledged: false, transmitter: 6, receiver: 5); // the other branch
        var (c, _) = channel.Transmit(SimTime.Zero, 1000, counters, acknowledged: false, transmitter: 2, receiver: 1); // 2 receives from 3 meanwhile

        Assert.Equal((SimTime.Zero, SimTime.Zero), (a, b));
        Assert.Equal(aEnd, c);
        Assert.Equal(Air(1000), counters.QueueingMicros);
    }

    [Fact]
    public void Without_spatial_reuse_the_same_links_take_turns_on_the_cells_one_channel()
    {
        var counters = new LinkCounters();
        var channel = new CellChannel(new RadioSettings(), new RandomStream(1), Branches);

        channel.Transmit(SimTime.Zero, 1000, counters, acknowledged: false, transmitter: 3, receiver: 2);
        var (b, _) = channel.Transmit(SimTime.Zero, 1000, counters, acknowledged: false, transmitter: 6, receiver: 5);

        Assert.Equal(new SimTime(Air(1000)), b);
    }

    [Fact]
    public void A_broadcast_holds_the_neighbourhoods_of_all_its_receivers()
    {
        var counters = new LinkCounters();
        var channel = new CellChannel(Reuse, new RandomStream(1), Branches);

        var (_, end) = channel.Transmit(SimTime.Zero, 1000, counters, acknowledged: false, transmitter: 0, receiver: -1); // to 1 and 4
        var (deep, _) = channel.Transmit(SimTime.Zero, 100, counters, acknowledged: false, transmitter: 3, receiver: 2); // 2 is next to 1
        var (far, _) = channel.Transmit(SimTime.Zero, 100, counters, acknowledged: false, transmitter: 6, receiver: 5); // 5 is next to 4

        Assert.Equal((end, end), (deep, far));
    }

    [Fact]
    public void On_several_channels_a_transmission_contends_only_with_those_on_its_own()
    {
        const int frames = 4000;
        var counters = new LinkCounters();
        var channel = new CellChannel(new RadioSettings { Channels = 4 }, new RandomStream(2), Branches);
        // Every frame ready at once: on one channel they would follow each other; on four each waits for about a quarter of them.
        var starts = Enumerable.Range(0, frames).Select(_ => channel.Transmit(SimTime.Zero, 100, counters, acknowledged: false).Start.Micros).ToList();

        var last = starts.Max() / Air(100) + 1;
        Assert.InRange(last, frames / 4, frames / 4 + 4 * Math.Sqrt(frames / 4.0));
        Assert.Equal(frames / 4.0 * (frames / 4.0 - 1) / 2 * 4 * Air(100), counters.QueueingMicros, tolerance: 0.02 * frames * frames / 8 * Air(100));
    }

    [Fact]
    public async Task Uplink_frames_from_two_branches_cross_their_own_branches_together_and_meet_at_the_collector_in_turn()
    {
        NetworkTopology Two() => new([new CollectorNode(1, TimeSpan.FromMilliseconds(150), 1_000_000_000)],
            new[] { (1, 0), (2, 1), (3, 2), (4, 0), (5, 4), (6, 5) }.Select(n => new MeterNode(new MeterId(n.Item1), 1, n.Item2 == 0 ? null : new MeterId(n.Item2),
                n.Item1 is 1 or 4 ? 1 : n.Item1 is 2 or 5 ? 2 : 3, 0, "AM-100", new FirmwareVersion(1, 0))));
        async Task<(long Deep, long Top)> Queueing(RadioSettings radio, string name)
        {
            var bed = new MeshTestBed(Sys, Two(), radio, name: name);
            foreach (var meter in new[] { 3, 6 })
                bed.Uplink(1, SimTime.FromSeconds(1), new ProgramConfirmation(new MeterId(meter), 1, "FW", ConfirmationOutcome.Activated, new FirmwareVersion(2, 0), "", 0));
            await bed.Simulation.RunAsync();
            Assert.Equal(2, bed.AtHeadEnd.Count);
            var metrics = await bed.MetricsAsync(1);
            return (metrics.Up[2].QueueingMicros + metrics.Up[1].QueueingMicros, metrics.Up[0].QueueingMicros);
        }
        var air = Air(new ProgramConfirmation(new MeterId(3), 1, "FW", ConfirmationOutcome.Activated, new FirmwareVersion(2, 0), "", 0).WireBytes);

        Assert.Equal((0, air), await Queueing(new RadioSettings { SpatialReuse = true }, "reuse"));
        // On one shared channel the second waits at its first hop, and is then one airtime behind all the way up.
        Assert.Equal((air, 0), await Queueing(new RadioSettings(), "shared"));
    }
}
