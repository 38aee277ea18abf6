using Akka.TestKit.Xunit2;
using AmiSim.Kernel;
using AmiSim.Mesh.Radio;
using AmiSim.Mesh.Router;
using AmiSim.Mesh.Topology;
using AmiSim.Protocol.C1219;
using AmiSim.Protocol.Network;
using Xunit;

namespace AmiSim.Mesh.Tests;

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
