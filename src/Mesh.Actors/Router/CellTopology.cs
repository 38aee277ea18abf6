using AmiSim.Mesh.Topology;
using AmiSim.Protocol.Network;

namespace AmiSim.Mesh.Router;

/// <summary>
/// One collector's mesh as arrays, for the router: node 0 is the collector, nodes 1..n the meters by
/// id. Parent, depth, link loss and children of each node, and the path from the collector to a meter.
/// </summary>
internal sealed class CellTopology
{
    private readonly Dictionary<MeterId, int> _index;

    public CellTopology(IReadOnlyList<MeterNode> meters, Radio.RadioSettings? radio = null)
    {
        radio ??= new Radio.RadioSettings();
        var count = meters.Count + 1;
        Meters = new MeterId[count];
        Parent = new int[count];
        Depth = new int[count];
        Loss = new double[count];
        Rate = new int[count];
        Rate[0] = radio.PhyBitsPerSecond;
        _index = new Dictionary<MeterId, int>(meters.Count);
        for (var i = 0; i < meters.Count; i++)
        {
            Meters[i + 1] = meters[i].Meter;
            _index[meters[i].Meter] = i + 1;
        }
        var children = Enumerable.Range(0, count).Select(_ => new List<int>()).ToArray();
        for (var i = 0; i < meters.Count; i++)
        {
            var node = i + 1;
            Parent[node] = meters[i].Parent is { } parent ? _index[parent] : 0;
            Depth[node] = meters[i].Depth;
            Loss[node] = meters[i].LinkLoss;
            Rate[node] = radio.LinkBitsPerSecond(meters[i].Depth, meters[i].PhyBitsPerSecond);
            children[Parent[node]].Add(node);
        }
        Children = children.Select(c => c.ToArray()).ToArray();
        // A broadcast reaches every child: it goes out at the slowest of their links' rates.
        BroadcastRate = Children.Select((c, node) => c.Length == 0 ? Rate[node] : c.Min(child => Rate[child])).ToArray();
        MaxDepth = meters.Count == 0 ? 0 : Depth.Max();
    }

    public MeterId[] Meters { get; }

    public int[] Parent { get; }

    public int[] Depth { get; }

    /// <summary>Loss of the link between the node and its parent.</summary>
    public double[] Loss { get; }

    public int[][] Children { get; }

    /// <summary>PHY rate of the link between the node and its parent (node 0's: the cell's rate).</summary>
    public int[] Rate { get; }

    /// <summary>PHY rate of a broadcast by the node to its children.</summary>
    public int[] BroadcastRate { get; }

    public int MaxDepth { get; }

    public bool TryIndex(MeterId meter, out int node) => _index.TryGetValue(meter, out node);

    /// <summary>Puts <paramref name="node"/> under <paramref name="parent"/>, one hop shallower than it, so its depth and its subtree's stay.</summary>
    public void Reparent(int node, int parent)
    {
        var old = Parent[node];
        if (old == parent) return;
        if (Depth[parent] != Depth[node] - 1) throw new InvalidOperationException($"node {node} of depth {Depth[node]} cannot go under node {parent} of depth {Depth[parent]}");
        Parent[node] = parent;
        Children[old] = Children[old].Where(c => c != node).ToArray();
        Children[parent] = [.. Children[parent], node];
        foreach (var changed in new[] { old, parent })
            BroadcastRate[changed] = Children[changed].Length == 0 ? Rate[changed] : Children[changed].Min(child => Rate[child]);
    }

    /// <summary>Nodes from depth 1 down to <paramref name="node"/>.</summary>
    public int[] PathTo(int node)
    {
        var path = new int[Depth[node]];
        for (var at = node; at != 0; at = Parent[at]) path[Depth[at] - 1] = at;
        return path;
    }
}
