using AmiSim.Mesh.Topology;
using AmiSim.Protocol.C1219;
using AmiSim.Protocol.Network;
using Xunit;

namespace AmiSim.Mesh.Tests;

/// <summary>A network made from positions (docs/MESH-MODEL.md, "A network from positions"), checked against cases worked out by hand.</summary>
public sealed class PositionsNetworkTests
{
    /// <summary>The defaults without shadowing, so that every link is its mean.</summary>
    private static readonly LinkBudget Flat = new() { ShadowingSigmaDb = 0 };

    private static readonly TopologySettings Fleet = new();

    private static PlacedMeter Meter(long id, double x, double y = 0) => new(new MeterId(id), new Position(x, y), "AM-100", new FirmwareVersion(1, 0));

    private static PlacedCollector Collector(int id, double x, double y = 0) => new(id, new Position(x, y), TimeSpan.FromMilliseconds(150), 40_000);

    // Worked by hand for the defaults (27 dBm, 2 dBi meters, 6 dBi collectors, 915 MHz, n = 3.2, d0 = 1 m, sensitivity -100 dBm):
    //   PL(d0) = 20 log10(4 pi x 1 m x 915e6 / 299,792,458) = 20 log10(38.3537) = 31.6762 dB
    //   Eb/N0 at the sensitivity: 1 - 0.9^(1/160) = 6.58286e-4 = BER, Eb/N0 = -2 ln(2 x 6.58286e-4) = 13.2654

    /// <summary>Within a relative 1e-4 of the value worked by hand.</summary>
    private static void Close(double expected, double actual) => Assert.InRange(actual, expected * (1 - 1e-4), expected * (1 + 1e-4));

    [Fact]
    public void A_links_loss_follows_from_its_distance_by_the_link_budget()
    {
        Close(31.6762, Flat.ReferenceLossDb);
        Close(13.2654, LinkBudget.EbN0AtSensitivity);
        // At the sensitivity a 20-byte frame is lost one time in ten, by definition.
        Assert.Equal(0.1, LinkBudget.PacketErrorRate(20, 0), 9);

        // Meter to meter at 1,000 m: PL = 31.6762 + 32 x 3 = 127.6762 dB; received 27 + 2 + 2 - 127.6762 = -96.6762 dBm;
        // margin 3.3238 dB: Eb/N0 = 13.2654 x 10^0.33238 = 28.5168, BER = 0.5 e^(-14.2584) = 3.2108e-7;
        // a 548-byte frame: PER = 1 - (1 - BER)^4384 = 1.40664e-3; lost after 3 retries: PER^4 = 3.9150e-12.
        var margin = Flat.ReceivedDbm(1000, 0, toCollector: false) - Flat.SensitivityDbm;
        Close(3.3238, margin);
        Close(3.2108e-7, LinkBudget.BitErrorRate(margin));
        Close(1.40664e-3, LinkBudget.PacketErrorRate(548, margin));
        Close(3.9150e-12, Flat.LinkLoss(margin));
        // The same distance to a collector gains its 4 dB more of antenna.
        Assert.Equal(margin + 4, Flat.ReceivedDbm(1000, 0, toCollector: true) - Flat.SensitivityDbm, 9);
        // At the sensitivity itself the 548-byte frame is lost with 1 - 0.9^(4384/160) = 1 - 0.9^27.4 = 0.94425.
        Close(0.94425, LinkBudget.PacketErrorRate(548, 0));
    }

    [Fact]
    public void A_meter_routes_over_the_path_of_least_total_ETX()
    {
        // B at 1,620 m from the collector hears it at a margin of about 0.6 dB (ETX about 3: usable, but poor);
        // A halfway hears both well (ETX about 1 each way). Through A: about 2 transmissions; direct: about 3.
        var direct = Flat.Etx(Flat.ReceivedDbm(1620, 0, toCollector: true) - Flat.SensitivityDbm);
        var viaA = Flat.Etx(Flat.ReceivedDbm(810, 0, toCollector: true) - Flat.SensitivityDbm) + Flat.Etx(Flat.ReceivedDbm(810, 0, toCollector: false) - Flat.SensitivityDbm);
        Assert.InRange(direct, 2.5, 4); // the case is what it claims
        Assert.InRange(viaA, 2, 2.01);

        var topology = PositionsNetwork.Build([Collector(1, 0)], [Meter(1, 810), Meter(2, 1620)], Flat, Fleet, seed: 1);

        var b = topology.Meter(new MeterId(2));
        Assert.Equal(new MeterId(1), b.Parent);
        Assert.Equal(2, b.Depth);
        Assert.Null(topology.Meter(new MeterId(1)).Parent);

        // Were the direct link good enough, B would take it: with 3 dB more power it is about 1.2 transmissions.
        var stronger = Flat with { TxPowerDbm = 30 };
        Assert.Null(PositionsNetwork.Build([Collector(1, 0)], [Meter(1, 810), Meter(2, 1620)], stronger, Fleet, seed: 1).Meter(new MeterId(2)).Parent);
    }

    [Fact]
    public void A_meter_joins_the_collector_its_best_route_leads_to_and_one_without_a_route_is_unreachable_with_why()
    {
        var topology = PositionsNetwork.Build([Collector(1, 0), Collector(2, 5000)], [Meter(1, 900), Meter(2, 4300), Meter(3, 2500, 40_000)], Flat, Fleet, seed: 1);

        Assert.Equal(1, topology.Meter(new MeterId(1)).Collector);
        Assert.Equal(2, topology.Meter(new MeterId(2)).Collector);
        var lost = Assert.Single(topology.Unreachable);
        Assert.Equal(new MeterId(3), lost.Meter);
        Assert.StartsWith("unreachable: no link", lost.Reason);
        Assert.False(topology.Contains(new MeterId(3)));
    }

    [Fact]
    public void Shadowing_is_drawn_once_per_link_the_same_both_ways_and_again_the_same_for_the_seed()
    {
        Assert.Equal(PositionsNetwork.Shadowing(7, 3, 9, 6), PositionsNetwork.Shadowing(7, 9, 3, 6));
        Assert.NotEqual(PositionsNetwork.Shadowing(7, 3, 9, 6), PositionsNetwork.Shadowing(8, 3, 9, 6));
        // Over many links it is normal with the configured deviation.
        var draws = Enumerable.Range(0, 100_000).Select(i => PositionsNetwork.Shadowing(11, (ulong)i, (ulong)i + 1_000_000, 6)).ToList();
        var mean = draws.Average();
        var sd = Math.Sqrt(draws.Sum(d => (d - mean) * (d - mean)) / draws.Count);
        Assert.InRange(mean, -0.06, 0.06); // 3 standard errors of 6 / sqrt(100,000) = 0.019
        Assert.InRange(sd, 5.94, 6.06);

        var random = new Random(5);
        var meters = Enumerable.Range(1, 400).Select(i => Meter(i, random.NextDouble() * 3000, random.NextDouble() * 3000)).ToList();
        string Shape(long seed)
        {
            var built = PositionsNetwork.Build([Collector(1, 1500, 1500)], meters, new LinkBudget(), Fleet, seed);
            return string.Join(";", built.Meters.Select(m => $"{m.Meter.Value}<{m.Parent?.Value}:{m.LinkLoss:R}")) + "|" + string.Join(";", built.Unreachable.Select(u => u.Meter.Value));
        }
        Assert.Equal(Shape(1), Shape(1));
        Assert.NotEqual(Shape(1), Shape(2));
    }

    [Fact]
    public void Latitudes_and_longitudes_become_metres_and_missing_models_come_from_the_mix()
    {
        var csv = "kind,id,lat,lon,model,firmware\ncollector,1,45.00,7.00,,\nmeter,1,45.01,7.00,AM-200,1.1\nmeter,2,45.00,7.01,,\n";
        var (collectors, meters) = PositionsCsv.Read(new StringReader(csv), "grid.csv", Fleet);

        // 0.01 degree of latitude is 6,371,008.8 x 0.01 x pi / 180 = 1,111.95 m; of longitude, that times cos(45.0033 degrees).
        Assert.Equal(1111.95, meters[0].At.DistanceTo(collectors[0].At), 1);
        Assert.Equal(786.22, meters[1].At.DistanceTo(collectors[0].At), 1); // cos(45.00333 degrees), the nodes' mean latitude
        Assert.Equal(("AM-200", new FirmwareVersion(1, 1)), (meters[0].Model, meters[0].Firmware));
        Assert.Null(meters[1].Model);
        var topology = PositionsNetwork.Build(collectors, meters, new LinkBudget { ShadowingSigmaDb = 0 }, Fleet, seed: 1);
        Assert.Contains(topology.Meter(new MeterId(2)).Model, Fleet.Models.Select(m => m.Model));
        Assert.True(PositionsCsv.IsPositions("kind,id,x,y"));
        Assert.False(PositionsCsv.IsPositions(TopologyCsv.Header));
    }

    [Theory]
    [InlineData("kind,id,x\ncollector,1,0\n", "the header lacks y")]
    [InlineData("kind,id,x,y\ncollector,1,0,0\nrelay,2,1,1\n", "line 3, kind: 'relay' is neither collector nor meter")]
    [InlineData("kind,id,x,y\ncollector,1,0,0\nmeter,2,east,1\n", "line 3, x: 'east' is not a number")]
    [InlineData("kind,id,lat,lon\ncollector,1,95,0\nmeter,1,45,7\n", "line 2: latitude 95 and longitude 0 are not a place on Earth")]
    [InlineData("kind,id,x,y\ncollector,1,0,0\nmeter,2,1,1\nmeter,2,3,3\n", "line 4: meter 2 is already on line 3")]
    [InlineData("kind,id,x,y\nmeter,2,1,1\n", "no collector line")]
    [InlineData("kind,id,x,y,firmware\ncollector,1,0,0,\nmeter,2,1,1,two\n", "line 3, firmware")]
    public void A_bad_positions_file_is_refused_naming_the_line_and_the_fault(string csv, string expected)
    {
        var error = Assert.Throws<TopologyException>(() => PositionsCsv.Read(new StringReader(csv), "grid.csv", Fleet));
        Assert.Contains(expected, error.Message);
        Assert.StartsWith("grid.csv", error.Message);
    }
}
