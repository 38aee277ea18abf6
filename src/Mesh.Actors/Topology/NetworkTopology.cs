using AmiSim.Protocol.C1219;
using AmiSim.Protocol.Network;

namespace AmiSim.Mesh.Topology;

/// <summary>A collector (access point) and its backhaul link to the head-end.</summary>
public sealed record CollectorNode(int Id, TimeSpan BackhaulLatency, int BackhaulBitsPerSecond);

/// <summary>
/// A meter in its collector's mesh tree. <paramref name="Parent"/> is the relay meter it hears the
/// collector through, or null when it talks to the collector directly (depth 1).
/// <paramref name="LinkLoss"/> is the probability that a block (or control frame) is lost on the
/// hop between the meter and its parent, after the MAC's own retries.
/// </summary>
/// <param name="PhyBitsPerSecond">the PHY rate of the link to the parent; 0: the scenario's for its depth (<see cref="Radio.RadioSettings.LinkBitsPerSecond"/>).</param>
public sealed record MeterNode(MeterId Meter, int Collector, MeterId? Parent, int Depth, double LinkLoss, string Model, FirmwareVersion Firmware, int PhyBitsPerSecond = 0);

/// <summary>The AMI network: collectors and the meters of each one's mesh.</summary>
public sealed class NetworkTopology
{
    public const int MaxHops = 24;

    private readonly Dictionary<MeterId, MeterNode> _meters;
    private readonly Dictionary<int, List<MeterNode>> _cells;

    /// <exception cref="TopologyException">a meter names an unknown collector or parent, a parent of another collector, or a cycle.</exception>
    public NetworkTopology(IEnumerable<CollectorNode> collectors, IEnumerable<MeterNode> meters)
    {
        Collectors = collectors.OrderBy(c => c.Id).ToList();
        var known = Collectors.Select(c => c.Id).ToHashSet();
        _meters = new Dictionary<MeterId, MeterNode>();
        foreach (var meter in meters)
        {
            if (!_meters.TryAdd(meter.Meter, meter)) throw new TopologyException($"meter {meter.Meter.Value} appears twice");
            if (!known.Contains(meter.Collector)) throw new TopologyException($"meter {meter.Meter.Value}: collector {meter.Collector} does not exist");
        }
        foreach (var meter in _meters.Values)
        {
            if (meter.Parent is not { } parent) continue;
            if (!_meters.TryGetValue(parent, out var relay)) throw new TopologyException($"meter {meter.Meter.Value}: parent {parent.Value} does not exist");
            if (relay.Collector != meter.Collector)
                throw new TopologyException($"meter {meter.Meter.Value}: parent {parent.Value} belongs to collector {relay.Collector}, not {meter.Collector}");
        }
        foreach (var meter in _meters.Values)
        {
            var expected = meter.Parent is { } parent ? _meters[parent].Depth + 1 : 1;
            if (meter.Depth != expected || meter.Depth > MaxHops)
                throw new TopologyException($"meter {meter.Meter.Value}: depth {meter.Depth} does not fit its parent (expected {expected}, at most {MaxHops})");
        }
        Meters = _meters.Values.OrderBy(m => m.Meter).ToList();
        _cells = Collectors.ToDictionary(c => c.Id, _ => new List<MeterNode>());
        foreach (var meter in Meters) _cells[meter.Collector].Add(meter);
    }

    public IReadOnlyList<CollectorNode> Collectors { get; }

    /// <summary>Meters of the fleet that no route reaches (in meter order): in no cell, skipped by every campaign with their reason.</summary>
    public IReadOnlyList<UnreachableMeter> Unreachable { get; init; } = [];

    /// <summary>Where the nodes stand, when the network was made from positions; null otherwise.</summary>
    public NetworkPositions? Positions { get; init; }

    /// <summary>Every meter, by id.</summary>
    public IReadOnlyList<MeterNode> Meters { get; }

    public MeterNode Meter(MeterId id) => _meters[id];

    public bool Contains(MeterId id) => _meters.ContainsKey(id);

    /// <summary>The meters of one collector's mesh, by id.</summary>
    public IReadOnlyList<MeterNode> Cell(int collector) => _cells[collector];

    public CollectorNode Collector(int id) => Collectors.First(c => c.Id == id);

    /// <summary>Depth of each meter computed from the parents (1 = heard by the collector directly).</summary>
    public static IReadOnlyDictionary<MeterId, int> Depths(IReadOnlyDictionary<MeterId, MeterId?> parents)
    {
        var depths = new Dictionary<MeterId, int>();
        foreach (var start in parents.Keys)
        {
            var path = new List<MeterId>();
            var at = start;
            while (!depths.ContainsKey(at))
            {
                path.Add(at);
                if (path.Count > MaxHops) throw new TopologyException($"meter {start.Value}: more than {MaxHops} hops to the collector, or a cycle of parents");
                if (parents[at] is not { } parent) { depths[at] = 1; path.RemoveAt(path.Count - 1); break; }
                if (!parents.ContainsKey(parent)) throw new TopologyException($"meter {at.Value}: parent {parent.Value} does not exist");
                at = parent;
            }
            for (var i = path.Count - 1; i >= 0; i--)
            {
                var parent = parents[path[i]]!.Value;
                depths[path[i]] = depths[parent] + 1;
                if (depths[path[i]] > MaxHops) throw new TopologyException($"meter {path[i].Value}: more than {MaxHops} hops to the collector");
            }
        }
        return depths;
    }
}

/// <summary>A network that cannot be built or read; the message names the meter, line or field.</summary>
public sealed class TopologyException(string message) : Exception(message);
