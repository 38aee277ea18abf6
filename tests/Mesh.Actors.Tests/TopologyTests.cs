using AmiSim.Protocol.C1219;
using AmiSim.Mesh.Topology;
using AmiSim.Protocol.Network;
using Xunit;

namespace AmiSim.Mesh.Tests;

public sealed class TopologyTests
{
    [Fact]
    public void A_generated_network_is_a_tree_per_collector_with_the_configured_mix()
    {
        var settings = new TopologySettings { Meters = 5000, Collectors = 5 };
        var topology = TopologyGenerator.Generate(settings, seed: 1);

        Assert.Equal(5000, topology.Meters.Count);
        Assert.All(topology.Collectors, c => Assert.Equal(1000, topology.Cell(c.Id).Count));
        foreach (var meter in topology.Meters)
        {
            Assert.InRange(meter.LinkLoss, settings.LinkLossMin, settings.LinkLossMax);
            if (meter.Parent is not { } parent) { Assert.Equal(1, meter.Depth); continue; }
            var relay = topology.Meter(parent);
            Assert.Equal(meter.Collector, relay.Collector);
            Assert.Equal(relay.Depth + 1, meter.Depth);
        }
        Assert.InRange(topology.Meters.Count(m => m.Model == "AM-100") / 5000.0, 0.66, 0.74);
        Assert.InRange(topology.Meters.Count(m => m.Depth == 1) / 5000.0, 0.27, 0.36);
        Assert.Contains(topology.Meters, m => m.Depth >= 6);
    }

    [Fact]
    public void The_same_seed_gives_the_same_network()
    {
        string Csv(long seed)
        {
            var writer = new StringWriter();
            TopologyCsv.Write(TopologyGenerator.Generate(new TopologySettings { Meters = 500, Collectors = 3 }, seed), writer);
            return writer.ToString();
        }
        Assert.Equal(Csv(4), Csv(4));
        Assert.NotEqual(Csv(4), Csv(5));
    }

    [Fact]
    public void A_network_survives_export_and_import()
    {
        var topology = TopologyGenerator.Generate(new TopologySettings { Meters = 300, Collectors = 2 }, seed: 8);
        var writer = new StringWriter();
        TopologyCsv.Write(topology, writer);

        var read = TopologyCsv.Read(new StringReader(writer.ToString()), "net.csv");

        Assert.Equal(topology.Collectors, read.Collectors);
        Assert.Equal(topology.Meters, read.Meters);
    }

    [Fact]
    public void A_links_own_PHY_rate_survives_export_and_import_and_a_bad_one_is_refused()
    {
        var topology = new NetworkTopology([new CollectorNode(1, TimeSpan.FromMilliseconds(150), 40_000)],
            [new MeterNode(new MeterId(1), 1, null, 1, 0.01, "AM-100", new FirmwareVersion(1, 0), PhyBitsPerSecond: 150_000),
             new MeterNode(new MeterId(2), 1, new MeterId(1), 2, 0.02, "AM-100", new FirmwareVersion(1, 0))]);
        var writer = new StringWriter();
        TopologyCsv.Write(topology, writer);
        Assert.StartsWith(TopologyCsv.Header + ",phy_kbps,note", writer.ToString());

        Assert.Equal(topology.Meters, TopologyCsv.Read(new StringReader(writer.ToString()), "net.csv").Meters);
        var bad = writer.ToString().Replace("1.0,,,150,", "1.0,,,fast,");
        Assert.Contains("line 3, phy_kbps: 'fast' is not a number", Assert.Throws<TopologyException>(() => TopologyCsv.Read(new StringReader(bad), "net.csv")).Message);
    }

    [Theory]
    [InlineData("router,1,,,,,,150,40", "line 2, kind: 'router' is neither collector nor meter")]
    [InlineData("meter,1,1,collector,1.5,AM-100,1.0,,", "line 3, link_loss: 1.5 is not a probability")]
    [InlineData("meter,1,1,collector,0.01,AM-100,one,,", "line 3, firmware")]
    [InlineData("meter,1,1,7,0.01,AM-100,1.0,,", "line 3: parent 7 of meter 1 is not a meter of the file")]
    [InlineData("meter,1,2,collector,0.01,AM-100,1.0,,", "line 3: meter 1: collector 2 does not exist")]
    [InlineData("meter,1,1,2,0.01,AM-100,1.0,,\nmeter,2,1,1,0.01,AM-100,1.0,,", "cycle")]
    [InlineData("meter,x,1,collector,0.01,AM-100,1.0,,", "line 3, id: 'x' is not a whole number")]
    public void A_bad_file_is_rejected_with_the_line_and_the_reason(string rows, string reason)
    {
        var text = TopologyCsv.Header + "\ncollector,1,,,,,,150,40\n" + rows + "\n";
        if (rows.StartsWith("router", StringComparison.Ordinal)) text = TopologyCsv.Header + "\n" + rows + "\n";

        var error = Assert.Throws<TopologyException>(() => TopologyCsv.Read(new StringReader(text), "net.csv"));

        Assert.StartsWith("net.csv", error.Message);
        Assert.Contains(reason, error.Message);
    }

    [Fact]
    public void A_file_without_the_header_names_the_missing_columns()
    {
        var error = Assert.Throws<TopologyException>(() => TopologyCsv.Read(new StringReader("kind,id\ncollector,1\n"), "net.csv"));
        Assert.Contains("line 1", error.Message);
        Assert.Contains("link_loss", error.Message);
    }
}
