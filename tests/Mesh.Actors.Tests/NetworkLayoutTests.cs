using AmiSim.Mesh.Topology;
using Xunit;

namespace AmiSim.Mesh.Tests;

/// <summary>Where the report's map draws a network that has no positions of its own: the routing tree laid out.</summary>
public sealed class NetworkLayoutTests
{
    private static readonly NetworkTopology Generated = TopologyGenerator.Generate(new TopologySettings { Meters = 3000, Collectors = 5 }, seed: 3);

    [Fact]
    public void Every_meter_and_collector_is_placed_each_meter_on_its_depths_ring_around_its_collector()
    {
        var placed = NetworkLayout.Of(Generated);

        Assert.False(placed.Surveyed);
        Assert.Equal(Generated.Meters.Count, placed.Positions.Meters.Count);
        Assert.Equal(Generated.Collectors.Count, placed.Positions.Collectors.Count);
        foreach (var meter in Generated.Meters)
        {
            var distance = placed.Positions.Meters[meter.Meter].DistanceTo(placed.Positions.Collectors[meter.Collector]);
            Assert.Equal(meter.Depth * NetworkLayout.HopSpacing, distance, precision: 6);
        }
    }

    [Fact]
    public void Cells_do_not_overlap_and_a_meter_lies_in_the_direction_of_its_parent()
    {
        var placed = NetworkLayout.Of(Generated);
        var deepest = Generated.Meters.Max(m => m.Depth);
        foreach (var meter in Generated.Meters)
        {
            var mine = placed.Positions.Collectors[meter.Collector];
            var at = placed.Positions.Meters[meter.Meter];
            foreach (var (other, centre) in placed.Positions.Collectors.Where(c => c.Key != meter.Collector))
                Assert.True(at.DistanceTo(centre) > deepest * NetworkLayout.HopSpacing, $"meter {meter.Meter.Value} lies in collector {other}'s cell");
            if (meter.Parent is not { } parent) continue;
            // Within its parent's sector: closer to its parent than to the point opposite the parent on the same ring.
            var p = placed.Positions.Meters[parent];
            var opposite = new Position(2 * mine.X - p.X, 2 * mine.Y - p.Y);
            Assert.True(at.DistanceTo(p) < at.DistanceTo(opposite), $"meter {meter.Meter.Value} is drawn away from its parent");
        }
    }

    [Fact]
    public void The_same_network_gets_the_same_layout_and_a_network_from_positions_keeps_its_own()
    {
        var again = NetworkLayout.Of(TopologyGenerator.Generate(new TopologySettings { Meters = 3000, Collectors = 5 }, seed: 3));
        Assert.Equal(NetworkLayout.Of(Generated).Positions.Meters.OrderBy(m => m.Key).Select(m => m.Value), again.Positions.Meters.OrderBy(m => m.Key).Select(m => m.Value));

        var surveyed = new NetworkTopology(Generated.Collectors, Generated.Meters) { Positions = NetworkLayout.Of(Generated).Positions };
        Assert.True(NetworkLayout.Of(surveyed).Surveyed);
        Assert.Same(surveyed.Positions, NetworkLayout.Of(surveyed).Positions);
    }
}
