using AmiSim.Protocol.Network;

namespace AmiSim.Mesh.Topology;

/// <summary>
/// Where to draw a network: its own positions when it was made from them (surveyed), otherwise a layout
/// of its routing tree. The layout puts the collectors on a square grid and each collector's meters on
/// rings around it, one ring per hop (<see cref="HopSpacing"/> apart), every meter inside its parent's
/// angular sector, the sectors shared by subtree size: a meter's children lie beyond it, and subtrees do
/// not cross. The same network always gets the same layout.
/// </summary>
public static class NetworkLayout
{
    /// <summary>Metres between two rings of a laid-out cell: about one hop of a 900 MHz mesh.</summary>
    public const double HopSpacing = 150;

    /// <summary>Where each node stands, and whether the positions are the network's own or laid out here.</summary>
    public sealed record Placed(NetworkPositions Positions, bool Surveyed);

    public static Placed Of(NetworkTopology topology) =>
        topology.Positions is { } given ? new Placed(given, Surveyed: true) : new Placed(LayOut(topology), Surveyed: false);

    private static NetworkPositions LayOut(NetworkTopology topology)
    {
        var children = new Dictionary<MeterId, List<MeterNode>>();
        var roots = topology.Collectors.ToDictionary(c => c.Id, _ => new List<MeterNode>());
        foreach (var meter in topology.Meters) // in meter order: siblings stay in id order
        {
            if (meter.Parent is { } parent)
            {
                if (!children.TryGetValue(parent, out var list)) children[parent] = list = [];
                list.Add(meter);
            }
            else roots[meter.Collector].Add(meter);
        }
        var size = new Dictionary<MeterId, int>();
        foreach (var meter in topology.Meters.OrderByDescending(m => m.Depth)) // children before their parents
            size[meter.Meter] = 1 + (children.TryGetValue(meter.Meter, out var mine) ? mine.Sum(c => size[c.Meter]) : 0);

        var deepest = topology.Meters.Count == 0 ? 1 : topology.Meters.Max(m => m.Depth);
        var spacing = 2 * (deepest + 1) * HopSpacing;
        var columns = (int)Math.Ceiling(Math.Sqrt(topology.Collectors.Count));
        var collectors = new Dictionary<int, Position>();
        var meters = new Dictionary<MeterId, Position>();
        for (var i = 0; i < topology.Collectors.Count; i++)
        {
            var id = topology.Collectors[i].Id;
            var centre = new Position(i % columns * spacing, -(i / columns) * spacing);
            collectors[id] = centre;
            Place(roots[id], 0, 2 * Math.PI, centre);
        }
        return new NetworkPositions(meters, collectors);

        // Shares the sector [from, from + width) among the siblings by subtree size, each at its depth's ring.
        void Place(List<MeterNode> siblings, double from, double width, Position centre)
        {
            var total = siblings.Sum(s => size[s.Meter]);
            foreach (var meter in siblings)
            {
                var share = width * size[meter.Meter] / total;
                var angle = from + share / 2;
                var radius = meter.Depth * HopSpacing;
                meters[meter.Meter] = new Position(centre.X + radius * Math.Cos(angle), centre.Y + radius * Math.Sin(angle));
                if (children.TryGetValue(meter.Meter, out var mine)) Place(mine, from, share, centre);
                from += share;
            }
        }
    }
}
