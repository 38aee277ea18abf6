using Akka.TestKit.Xunit2;
using AmiSim.Kernel;
using AmiSim.Mesh.Radio;
using AmiSim.Mesh.Router;
using AmiSim.Mesh.Topology;
using AmiSim.Protocol.C1219;
using AmiSim.Protocol.Network;
using Xunit;

namespace AmiSim.Mesh.Tests;

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
