using AmiSim.Kernel;
using AmiSim.Protocol.C1219;
using AmiSim.Protocol.Network;

namespace AmiSim.Mesh.Topology;

/// <summary>Where a node stands, in metres east (X) and north (Y) of the network's origin.</summary>
public readonly record struct Position(double X, double Y)
{
    public double DistanceTo(Position other) => Math.Sqrt((X - other.X) * (X - other.X) + (Y - other.Y) * (Y - other.Y));
}

/// <summary>A collector of a positions file: its place and its backhaul.</summary>
public sealed record PlacedCollector(int Id, Position At, TimeSpan BackhaulLatency, int BackhaulBitsPerSecond);

/// <summary>A meter of a positions file: its place and, when the file says, its model and firmware.</summary>
public sealed record PlacedMeter(MeterId Meter, Position At, string? Model, FirmwareVersion? Firmware);

/// <summary>A meter of the fleet with no route to any collector, and why.</summary>
public sealed record UnreachableMeter(MeterId Meter, string Model, FirmwareVersion Firmware, string Reason);

/// <summary>Where a network's meters and collectors stand (known for networks made from positions).</summary>
public sealed record NetworkPositions(IReadOnlyDictionary<MeterId, Position> Meters, IReadOnlyDictionary<int, Position> Collectors);

/// <summary>
/// The mesh that positions make (docs/MESH-MODEL.md, "A network from positions"): each pair of nodes
/// within range gets a link from the <see cref="LinkBudget"/> with its own shadowing (seeded per pair,
/// the same both ways); links with an ETX above <see cref="LinkBudget.MaxLinkEtx"/> are not used; and
/// each meter's route is the one of least total ETX to any collector (Dijkstra from every collector at
/// once, as RPL's MRHOF ranks parents), ties going to fewer hops, then to the parent with the smaller
/// id. A meter without a route, or whose least-ETX route is longer than <see cref="NetworkTopology.MaxHops"/>,
/// is unreachable. The result is the same for the same positions and seed.
/// </summary>
public static class PositionsNetwork
{
    /// <summary>Node keys for the shadowing: meters by their number, collectors above every meter number.</summary>
    private const ulong CollectorKeys = 1UL << 62;

    /// <param name="fleet">draws a model and a firmware version for meters the file gives none.</param>
    public static NetworkTopology Build(IReadOnlyList<PlacedCollector> collectors, IReadOnlyList<PlacedMeter> meters, LinkBudget budget, TopologySettings fleet, long seed)
    {
        if (collectors.Count == 0) throw new TopologyException("a positions network needs at least one collector");
        var n = meters.Count;
        // Meters are worked in the order of their grid cells, so that a cell's meters are neighbours in memory
        // too (a dense network looks at thousands of them per settled meter); ties go by meter id, never by this order.
        var cellSize = budget.RangeMetres(toCollector: false) / 3;
        meters = meters.OrderBy(m => Math.Floor(m.At.X / cellSize)).ThenBy(m => Math.Floor(m.At.Y / cellSize)).ThenBy(m => m.Meter).ToList();
        var shadowingBase = RandomStream.DeriveSeed(seed, 0, "link-shadowing");
        var etx = new EtxTable(budget);
        var meterRange = budget.RangeMetres(toCollector: false);
        var collectorRange = budget.RangeMetres(toCollector: true);
        var grid = new Grid(meters.Select(m => m.At).ToList(), cellSize);

        var cost = new double[n];
        var hops = new int[n];
        var parent = new int[n]; // a meter's index, or -1 - a collector's index
        var margin = new double[n];
        var root = new int[n];
        var done = new bool[n];
        Array.Fill(cost, double.PositiveInfinity);
        var queue = new PriorityQueue<int, (double Cost, int Hops, long Key)>();
        long ParentKey(int node) => node >= 0 ? meters[node].Meter.Value : -collectors[-1 - node].Id;

        // Relaxes every meter within range of a node just settled (a collector: cost 0), over the link between them.
        // An ETX is at least 1, so a meter whose route already costs less than the node's cost plus 1 cannot gain:
        // its link is not worked out (the result is the same, and most pairs of a dense network are never looked at).
        void Relax(int from, Position at, ulong key, double range, bool collector, double fromCost, int fromHops, int fromRoot)
        {
            var squared = range * range;
            foreach (var cell in grid.Cells(at, range))
            {
                foreach (var u in cell.Points)
                {
                    if (cost[u] < fromCost + 1) continue;
                    var (dx, dy) = (meters[u].At.X - at.X, meters[u].At.Y - at.Y);
                    var d2 = dx * dx + dy * dy;
                    if (d2 > squared) continue;
                    var linkMargin = budget.ReceivedDbm(Math.Sqrt(d2), Shadowing(shadowingBase, key, (ulong)meters[u].Meter.Value, budget.ShadowingSigmaDb), collector) - budget.SensitivityDbm;
                    var link = etx.Of(linkMargin);
                    if (link > budget.MaxLinkEtx) continue;
                    var c = fromCost + link;
                    var h = fromHops + 1;
                    var better = c < cost[u] || c == cost[u] && (h < hops[u] || h == hops[u] && ParentKey(from) < ParentKey(parent[u]));
                    if (!better) continue;
                    (cost[u], hops[u], parent[u], margin[u], root[u]) = (c, h, from, linkMargin, fromRoot);
                    queue.Enqueue(u, (c, h, meters[u].Meter.Value));
                }
            }
        }
        for (var c = 0; c < collectors.Count; c++)
            Relax(-1 - c, collectors[c].At, CollectorKeys | (uint)collectors[c].Id, collectorRange, collector: true, 0, 0, collectors[c].Id);
        while (queue.TryDequeue(out var u, out var priority))
        {
            if (done[u] || priority.Cost != cost[u] || priority.Hops != hops[u]) continue;
            done[u] = true;
            grid.Remove(u); // settled: no link to it is looked at again
            Relax(u, meters[u].At, (ulong)meters[u].Meter.Value, meterRange, collector: false, cost[u], hops[u], root[u]);
        }

        var placed = new List<MeterNode>(n);
        var unreachable = new List<UnreachableMeter>();
        for (var u = 0; u < n; u++)
        {
            var meter = meters[u];
            var model = meter.Model ?? Draw(fleet.Models, seed, meter.Meter, "model");
            var firmware = meter.Firmware ?? Draw(fleet.Firmware, seed, meter.Meter, "firmware");
            if (!done[u])
                unreachable.Add(new UnreachableMeter(meter.Meter, model, firmware, $"unreachable: no link with an ETX of at most {budget.MaxLinkEtx} leads to a collector"));
            else if (hops[u] > NetworkTopology.MaxHops)
                unreachable.Add(new UnreachableMeter(meter.Meter, model, firmware, $"unreachable: its least-ETX route has {hops[u]} hops, more than the {NetworkTopology.MaxHops} a mesh allows"));
            else
                placed.Add(new MeterNode(meter.Meter, root[u], parent[u] >= 0 ? meters[parent[u]].Meter : null, hops[u], budget.LinkLoss(margin[u]), model, firmware));
        }
        // A meter routed through one that is too deep is deeper still: both are unreachable (the loop above finds it so).
        return new NetworkTopology(collectors.Select(c => new CollectorNode(c.Id, c.BackhaulLatency, c.BackhaulBitsPerSecond)), placed)
        {
            Unreachable = unreachable.OrderBy(m => m.Meter).ToList(),
            Positions = new NetworkPositions(meters.ToDictionary(m => m.Meter, m => m.At), collectors.ToDictionary(c => c.Id, c => c.At)),
        };
    }

    /// <summary>
    /// The link's shadowing in dB: a normal draw (Box-Muller) from two hashes of the run's seed and the
    /// pair of node keys, in either order, so that both directions of a link fade alike.
    /// </summary>
    public static double Shadowing(ulong seedBase, ulong a, ulong b, double sigma)
    {
        var (lo, hi) = a < b ? (a, b) : (b, a);
        var x = seedBase ^ Mix(lo) ^ (hi * 0x9E3779B97F4A7C15UL);
        var u1 = ((Mix(x) >> 11) + 1) * (1.0 / (1UL << 53)); // (0, 1]
        var u2 = (Mix(x ^ 0xD1B54A32D192ED03UL) >> 11) * (1.0 / (1UL << 53));
        return sigma * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    private static ulong Mix(ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }

    private static T Draw<T>(IReadOnlyList<(T Value, double Weight)> mix, long seed, MeterId meter, string purpose)
    {
        var roll = RandomStream.For(seed, (ulong)meter.Value, purpose).NextDouble() * mix.Sum(m => m.Weight);
        foreach (var (value, weight) in mix)
            if ((roll -= weight) < 0) return value;
        return mix[^1].Value;
    }

    /// <summary>ETX by margin, tabulated every 0.01 dB over the margins where it is neither infinite nor 1 (it depends on the margin alone).</summary>
    private sealed class EtxTable
    {
        private const double Step = 0.01;
        private readonly double _from;
        private readonly double[] _values;

        public EtxTable(LinkBudget budget)
        {
            _from = -30;
            _values = new double[(int)(80 / Step) + 2];
            for (var i = 0; i < _values.Length; i++) _values[i] = budget.Etx(_from + i * Step);
        }

        /// <summary>The ETX at <paramref name="marginDb"/>, linear between the table's points (the exact value beyond them).</summary>
        public double Of(double marginDb)
        {
            var x = (marginDb - _from) / Step;
            if (!(x >= 0)) return double.PositiveInfinity;
            var i = (int)x;
            if (i >= _values.Length - 1) return _values[^1];
            var (a, b) = (_values[i], _values[i + 1]);
            return double.IsInfinity(a) || double.IsInfinity(b) ? b : a + (b - a) * (x - i);
        }
    }

    /// <summary>
    /// Points bucketed in square cells, so that a node looks only at the cells within its range; a point
    /// removed (a settled meter) is looked at no more. The order of a cell's points is fixed by the order
    /// of the removals, so a walk over them is the same for the same input.
    /// </summary>
    private sealed class Grid
    {
        private readonly double _cell;
        private readonly Dictionary<(long, long), Cell> _cells = new();
        private readonly Cell[] _cellOf;
        private readonly int[] _slot;

        public Grid(IReadOnlyList<Position> points, double cell)
        {
            _cell = Math.Max(cell, 1);
            _cellOf = new Cell[points.Count];
            _slot = new int[points.Count];
            for (var i = 0; i < points.Count; i++)
            {
                var key = CellOf(points[i]);
                if (!_cells.TryGetValue(key, out var bucket)) _cells[key] = bucket = new Cell();
                (_cellOf[i], _slot[i]) = (bucket, bucket.Points.Count);
                bucket.Points.Add(i);
            }
        }

        private (long, long) CellOf(Position p) => ((long)Math.Floor(p.X / _cell), (long)Math.Floor(p.Y / _cell));

        /// <summary>The cells that may hold a point within <paramref name="range"/> of <paramref name="at"/>, in a fixed order.</summary>
        public IEnumerable<Cell> Cells(Position at, double range)
        {
            var (cx, cy) = CellOf(at);
            var reach = (long)Math.Ceiling(range / _cell);
            for (var dx = -reach; dx <= reach; dx++)
                for (var dy = -reach; dy <= reach; dy++)
                {
                    // The cell's nearest point to at: skip the cell when even that is out of range.
                    var nearX = Math.Clamp(at.X, (cx + dx) * _cell, (cx + dx + 1) * _cell);
                    var nearY = Math.Clamp(at.Y, (cy + dy) * _cell, (cy + dy + 1) * _cell);
                    if ((nearX - at.X) * (nearX - at.X) + (nearY - at.Y) * (nearY - at.Y) > range * range) continue;
                    if (_cells.TryGetValue((cx + dx, cy + dy), out var bucket) && bucket.Points.Count > 0) yield return bucket;
                }
        }

        /// <summary>Takes point <paramref name="i"/> out of its cell (the cell's last point takes its place).</summary>
        public void Remove(int i)
        {
            var points = _cellOf[i].Points;
            var last = points[^1];
            points[_slot[i]] = last;
            _slot[last] = _slot[i];
            points.RemoveAt(points.Count - 1);
        }
    }

    /// <summary>A grid cell: its points not yet settled.</summary>
    private sealed class Cell
    {
        public List<int> Points { get; } = [];
    }
}
