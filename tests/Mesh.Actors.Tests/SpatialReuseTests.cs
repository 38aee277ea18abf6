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

/// <summary>A PHY rate per link: by depth, or a link's own from the topology; a broadcast at its slowest receiver's.</summary>
public sealed class LinkRateTests : TestKit
{
    [Fact]
    public async Task Each_hop_takes_the_airtime_of_its_links_rate()
    {
        var radio = new RadioSettings { PhyRateByDepth = [200_000, 50_000], HopLatency = TimeSpan.FromMilliseconds(100) };
        var bed = new MeshTestBed(Sys, MeshTestBed.Chain(3), radio);
        var frame = MeshTestBed.Control(3, 1);
        bed.Downlink(1, SimTime.FromSeconds(1), new MeterId(3), frame);

        await bed.Simulation.RunAsync();

        long Air(int rate) => Airtime.Micros(frame.WireBytes, rate);
        var backhaul = Airtime.Micros(frame.WireBytes, 40_000) + 150_000;
        // Depth 1 at 200 kbit/s, depth 2 at 50 kbit/s, depth 3 (deeper than the list) at the last one's.
        Assert.Equal(new SimTime(1_000_000 + backhaul + Air(200_000) + 2 * Air(50_000) + 3 * 100_000), Assert.Single(bed.AtMeters).Time);
    }

    [Fact]
    public async Task A_broadcast_goes_out_at_the_slowest_of_its_receivers_links_and_a_links_own_rate_comes_before_its_depths()
    {
        var topology = new NetworkTopology([new CollectorNode(1, TimeSpan.FromMilliseconds(150), 1_000_000_000)],
            [new MeterNode(new MeterId(1), 1, null, 1, 0, "AM-100", new FirmwareVersion(1, 0), PhyBitsPerSecond: 300_000),
             new MeterNode(new MeterId(2), 1, null, 1, 0, "AM-100", new FirmwareVersion(1, 0))]);
        var bed = new MeshTestBed(Sys, topology, new RadioSettings { PhyRateByDepth = [150_000] });
        var chunk = new ImageChunk("FW", 64, [new ImageBlock(0, new byte[64])]);
        bed.Downlink(1, SimTime.Zero, null, chunk);
        bed.Downlink(1, SimTime.FromSeconds(10), new MeterId(1), chunk);

        await bed.Simulation.RunAsync();

        var metrics = await bed.MetricsAsync(1);
        Assert.Equal(Airtime.Micros(chunk.WireBytes, 150_000) + Airtime.Micros(chunk.WireBytes, 300_000), metrics.Down[0].AirtimeMicros);
    }
}

/// <summary>Re-routing: a meter whose link is down switches to another parent after the detection delay, and back.</summary>
public sealed class ReroutingTests : TestKit
{
    /// <summary>Meters 1 and 2 under the collector, 3 under 1: 2 is 3's only other candidate parent.</summary>
    private static NetworkTopology Three() => new NetworkTopology([new CollectorNode(1, TimeSpan.FromMilliseconds(150), 1_000_000_000)],
            [new MeterNode(new MeterId(1), 1, null, 1, 0, "AM-100", new FirmwareVersion(1, 0)),
             new MeterNode(new MeterId(2), 1, null, 1, 0, "AM-100", new FirmwareVersion(1, 0)),
             new MeterNode(new MeterId(3), 1, new MeterId(1), 2, 0, "AM-100", new FirmwareVersion(1, 0))]);

    [Fact]
    public async Task A_meter_whose_link_is_down_switches_parent_after_the_detection_delay_and_back_after_the_outage()
    {
        // Meters 1 and 2 under the collector, 3 under 1. Meter 1's own link is down throughout, so nothing reaches 3
        // through 1; 3's link is down from 10 s to 100 s, so 3 moves to 2 (its only other candidate) at 15 s and back at 105 s.
        var topology = Three();
        List<Outage> outages =
        [
            new(1, new MeterId(1), SimTime.Zero, SimTime.FromSeconds(1000)),
            new(1, new MeterId(3), SimTime.FromSeconds(10), SimTime.FromSeconds(100)),
        ];
        var bed = new MeshTestBed(Sys, topology, new RadioSettings { RerouteAfter = TimeSpan.FromSeconds(5) }, outages);
        foreach (var (at, id) in new[] { (12, 1), (20, 2), (103, 3), (110, 4) })
            bed.Downlink(1, SimTime.FromSeconds(at), new MeterId(3), MeshTestBed.Control(3, id));

        await bed.Simulation.RunAsync();

        // 12 s: 3's link is down and it has not switched yet; 20 s and 103 s: through 2; 110 s: back under 1, whose link is down.
        Assert.Equal([2L, 3L], bed.AtMeters.Select(a => ((ConfirmationAck)a.Frame).ConfirmationId).Order());
        Assert.Equal(2, (await bed.MetricsAsync(1)).ParentSwitches);
    }

    [Fact]
    public async Task Without_re_routing_the_meter_keeps_its_parent()
    {
        var bed = new MeshTestBed(Sys, Three(), new RadioSettings(), [new(1, new MeterId(3), SimTime.FromSeconds(10), SimTime.FromSeconds(100))]);
        bed.Downlink(1, SimTime.FromSeconds(20), new MeterId(3), MeshTestBed.Control(3, 1));

        await bed.Simulation.RunAsync();

        Assert.Empty(bed.AtMeters);
        Assert.Equal(0, (await bed.MetricsAsync(1)).ParentSwitches);
    }
}
