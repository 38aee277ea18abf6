using Akka.TestKit.Xunit2;
using AmiSim.Kernel;
using AmiSim.Mesh.Radio;
using AmiSim.Mesh.Topology;
using AmiSim.Protocol.C1219;
using AmiSim.Protocol.Network;
using Xunit;

namespace AmiSim.Mesh.Tests;

public sealed class RouterTests : TestKit
{
    private static readonly RadioSettings Radio = new() { PhyBitsPerSecond = 100_000, HopLatency = TimeSpan.FromMilliseconds(100) };

    private static ImageChunk Chunk(int blocks, int blockBytes = 512, int first = 0) =>
        new("FW", blockBytes, Enumerable.Range(first, blocks).Select(b => new ImageBlock(b, new byte[blockBytes])).ToList());

    [Fact]
    public async Task Zero_loss_unicast_arrives_after_backhaul_plus_each_hops_latency_and_airtime_exactly()
    {
        var bed = new MeshTestBed(Sys, MeshTestBed.Chain(3), Radio);
        var frame = MeshTestBed.Control(3, 1);
        bed.Downlink(1, SimTime.FromSeconds(1), new MeterId(3), frame);

        await bed.Simulation.RunAsync();

        var backhaul = Airtime.Micros(frame.WireBytes, 40_000) + 150_000;
        var hop = Airtime.Micros(frame.WireBytes, 100_000) + 100_000;
        var arrival = Assert.Single(bed.AtMeters);
        Assert.Equal(new SimTime(1_000_000 + backhaul + 3 * hop), arrival.Time);
        Assert.Equal(new MeterId(3), arrival.Meter);
        Assert.Same(frame, arrival.Frame);
    }

    [Fact]
    public async Task Zero_loss_uplink_arrives_after_each_hop_then_the_backhaul_exactly()
    {
        var bed = new MeshTestBed(Sys, MeshTestBed.Chain(2), Radio);
        var confirmation = new ProgramConfirmation(new MeterId(2), 1, "FW", ConfirmationOutcome.Activated, new FirmwareVersion(2, 0), "", 0);
        bed.Uplink(1, SimTime.FromSeconds(5), confirmation);

        await bed.Simulation.RunAsync();

        var hop = Airtime.Micros(confirmation.WireBytes, 100_000) + 100_000;
        var backhaul = Airtime.Micros(confirmation.WireBytes, 40_000) + 150_000;
        Assert.Equal(new SimTime(5_000_000 + 2 * hop + backhaul), Assert.Single(bed.AtHeadEnd).Time);
    }

    [Fact]
    public async Task Two_chunks_sent_together_arrive_one_airtime_apart()
    {
        var bed = new MeshTestBed(Sys, MeshTestBed.Chain(1, backhaulBitsPerSecond: 1_000_000_000), Radio);
        bed.Downlink(1, SimTime.Zero, new MeterId(1), Chunk(4, first: 0));
        bed.Downlink(1, SimTime.Zero, new MeterId(1), Chunk(4, first: 4));

        await bed.Simulation.RunAsync();

        var times = bed.AtMeters.Select(a => a.Time).ToList();
        Assert.Equal(2, times.Count);
        Assert.Equal(Airtime.Micros(Chunk(4).WireBytes, 100_000), times[1].Micros - times[0].Micros);
        var metrics = await bed.MetricsAsync(1);
        // The second reached the collector one (tiny) backhaul transmission later, and waited the rest of an airtime.
        var bytes = Chunk(4).WireBytes;
        Assert.Equal(Airtime.Micros(bytes, 100_000) - Airtime.Micros(bytes, 1_000_000_000), metrics.Down[0].QueueingMicros);
    }

    [Theory]
    [InlineData(1, 0.03)]
    [InlineData(3, 0.03)]
    [InlineData(5, 0.1)]
    public async Task Delivered_fraction_over_d_hops_matches_one_minus_p_to_the_d(int depth, double p)
    {
        const int trials = 100_000;
        var bed = new MeshTestBed(Sys, MeshTestBed.Chain(depth, p), Radio);
        bed.Downlink(1, SimTime.Zero, new MeterId(depth), Chunk(trials, blockBytes: 1));

        await bed.Simulation.RunAsync();

        var delivered = bed.AtMeters.Sum(a => ((ImageChunk)a.Frame).Blocks.Count);
        var expected = Math.Pow(1 - p, depth);
        var bound = 2.576 * Math.Sqrt(expected * (1 - expected) / trials); // 99% two-sided
        Assert.InRange((double)delivered / trials, expected - bound, expected + bound);
        var metrics = await bed.MetricsAsync(1);
        Assert.Equal(delivered, metrics.Down[depth - 1].BlocksDelivered);
        Assert.Equal(trials - delivered, metrics.Down.Sum(c => c.BlocksLost));
    }

    [Fact]
    public async Task In_multicast_no_meter_receives_a_block_its_parent_missed_and_each_relay_transmits_once()
    {
        var topology = TopologyGenerator.Generate(new TopologySettings { Meters = 400, Collectors = 1, LinkLossMin = 0.1, LinkLossMax = 0.3 }, seed: 5);
        var bed = new MeshTestBed(Sys, topology, Radio, seed: 9);
        bed.Downlink(1, SimTime.Zero, null, Chunk(64));

        await bed.Simulation.RunAsync();

        var received = bed.AtMeters.GroupBy(a => a.Meter)
            .ToDictionary(g => g.Key, g => g.SelectMany(a => ((ImageChunk)a.Frame).Blocks.Select(b => b.Number)).ToHashSet());
        HashSet<int> Of(MeterId m) => received.GetValueOrDefault(m) ?? [];
        Assert.True(received.Count > 300, $"most meters should hear something, {received.Count} did");
        foreach (var meter in topology.Meters.Where(m => m.Parent is not null))
            Assert.Subset(Of(meter.Parent!.Value), Of(meter.Meter));
        Assert.Contains(topology.Meters, m => m.Parent is { } parent && Of(m.Meter).Count < Of(parent).Count); // losses did happen below relays

        var relaysThatHeard = topology.Meters.Count(m => topology.Meters.Any(c => c.Parent == m.Meter) && Of(m.Meter).Count > 0);
        var metrics = await bed.MetricsAsync(1);
        Assert.Equal(1 + relaysThatHeard, metrics.Down.Sum(c => c.FramesSent));
    }

    [Fact]
    public async Task A_flood_addressed_to_a_group_reaches_only_its_members_and_the_others_still_relay_it()
    {
        var topology = TopologyGenerator.Generate(new TopologySettings { Meters = 400, Collectors = 1, LinkLossMin = 0.1, LinkLossMax = 0.3 }, seed: 5);
        var everyone = new MeshTestBed(Sys, topology, Radio, seed: 9, name: "everyone");
        everyone.Downlink(1, SimTime.Zero, null, Chunk(64));
        await everyone.Simulation.RunAsync();
        // Every third meter is in the group, relays among the others included.
        var members = topology.Meters.Where((_, i) => i % 3 == 0).Select(m => m.Meter).ToHashSet();
        var grouped = new MeshTestBed(Sys, topology, Radio, seed: 9, name: "grouped");
        grouped.Downlink(1, SimTime.Zero, null, Chunk(64), new MulticastGroup(1, members.ToList()));
        await grouped.Simulation.RunAsync();

        static List<(SimTime, MeterId, string)> Deliveries(MeshTestBed bed) =>
            bed.AtMeters.Select(a => (a.Time, a.Meter, string.Join(",", ((ImageChunk)a.Frame).Blocks.Select(b => b.Number)))).OrderBy(d => d.Meter.Value).ThenBy(d => d.Time).ToList();
        var expected = Deliveries(everyone).Where(d => members.Contains(d.Item2)).ToList();
        Assert.True(expected.Count > 100, $"members should hear the flood, {expected.Count} deliveries");
        Assert.Equal(expected, Deliveries(grouped)); // same blocks at the same times: outsiders relay exactly as before
        var (all, some) = (await everyone.MetricsAsync(1), await grouped.MetricsAsync(1));
        Assert.Equal(all.Down.Sum(c => c.FramesSent), some.Down.Sum(c => c.FramesSent));
        Assert.Equal(all.AirtimeMicros, some.AirtimeMicros);
    }

    [Fact]
    public async Task An_outage_window_drops_exactly_the_frames_whose_hop_crosses_it()
    {
        var window = new Outage(1, new MeterId(2), SimTime.FromSeconds(10), SimTime.FromSeconds(20));
        var bed = new MeshTestBed(Sys, MeshTestBed.Chain(3), Radio, [window]);
        var frame = MeshTestBed.Control(3, 0);
        var backhaul = Airtime.Micros(frame.WireBytes, 40_000) + 150_000;
        var air = Airtime.Micros(frame.WireBytes, 100_000);
        var expected = new List<long>();
        for (var i = 0; i < 300; i++)
        {
            var sent = 100_000L * i; // every 100 ms, from 0 to 29.9 s: the channel is idle for each
            bed.Downlink(1, new SimTime(sent), new MeterId(3), MeshTestBed.Control(3, i));
            var hop2Start = sent + backhaul + air + 100_000;
            if (!window.Overlaps(new SimTime(hop2Start), new SimTime(hop2Start + air))) expected.Add(i);
        }

        await bed.Simulation.RunAsync();

        var delivered = bed.AtMeters.Select(a => ((ConfirmationAck)a.Frame).ConfirmationId).Order().ToList();
        Assert.Equal(expected, delivered);
        Assert.Equal(300 - expected.Count, (await bed.MetricsAsync(1)).Down[1].FramesLostToOutage);
        Assert.InRange(300 - expected.Count, 99, 101); // ten seconds' worth
    }

    [Fact]
    public async Task A_collector_outage_drops_what_reaches_it_during_the_window()
    {
        var window = new Outage(1, null, SimTime.FromSeconds(10), SimTime.FromSeconds(20));
        var bed = new MeshTestBed(Sys, MeshTestBed.Chain(1), Radio, [window]);
        bed.Downlink(1, SimTime.FromSeconds(5), new MeterId(1), MeshTestBed.Control(1, 1));
        bed.Downlink(1, SimTime.FromSeconds(15), new MeterId(1), MeshTestBed.Control(1, 2));
        bed.Downlink(1, SimTime.FromSeconds(25), new MeterId(1), MeshTestBed.Control(1, 3));

        await bed.Simulation.RunAsync();

        Assert.Equal(new long[] { 1, 3 }, bed.AtMeters.Select(a => ((ConfirmationAck)a.Frame).ConfirmationId));
        Assert.Equal(1, (await bed.MetricsAsync(1)).FramesDroppedAtCollector);
    }

    [Fact]
    public async Task The_same_seed_gives_the_same_deliveries_and_another_seed_others()
    {
        var topology = TopologyGenerator.Generate(new TopologySettings { Meters = 200, Collectors = 2 }, seed: 3);

        async Task<string> Run(long seed, string name)
        {
            var bed = new MeshTestBed(Sys, topology, Radio, seed: seed, name: name);
            for (var c = 0; c < 8; c++)
            {
                bed.Downlink(1, SimTime.FromSeconds(c), null, Chunk(16, first: 16 * c));
                bed.Downlink(2, SimTime.FromSeconds(c), null, Chunk(16, first: 16 * c));
            }
            await bed.Simulation.RunAsync();
            return string.Join(";", bed.AtMeters.OrderBy(a => a.Meter).ThenBy(a => a.Time)
                .Select(a => $"{a.Meter.Value}@{a.Time.Micros}:{string.Join(",", ((ImageChunk)a.Frame).Blocks.Select(b => b.Number))}"));
        }

        var first = await Run(11, "a");
        Assert.Equal(first, await Run(11, "b"));
        Assert.NotEqual(first, await Run(12, "c"));
    }
}
