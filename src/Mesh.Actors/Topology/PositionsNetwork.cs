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
/// the same both ways); each meter keeps its <see cref="LinkBudget.MaxNeighbors"/> best links with an
/// ETX of at most <see cref="LinkBudget.MaxLinkEtx"/>; and each meter's route is the one of least total
/// ETX to any collector (Dijkstra from every collector at once, as RPL's MRHOF ranks parents), ties
/// going to fewer hops, then to the smaller id. A meter without a route, or whose least-ETX route is
/// longer than <see cref="NetworkTopology.MaxHops"/>, is unreachable. The result is the same for the
/// same positions and seed.
/// </summary>
public static class PositionsNetwork
{
    /// <summary>Node keys: meters by their number, collectors above every meter number.</summary>
    private const ulong CollectorKeys = 1UL << 62;

    /// <param name="fleet">draws a model and a firmware version for meters the file gives none.</param>
    public static NetworkTopology Build(IReadOnlyList<PlacedCollector> collectors, IReadOnlyList<PlacedMeter> meters,
        LinkBudget budget, TopologySettings fleet, long seed)
    {
        if (collectors.Count == 0) throw new TopologyException("a positions network needs at least one collector");
        var n = meters.Count;
        var shadowingBase = RandomStream.DeriveSeed(seed, 0, "link-shadowing");
        var meterRange = budget.RangeMetres(toCollector: false);
        var collectorRange = budget.RangeMetres(toCollector: true);
        var meterGrid = new Grid(meters.Select(m => m.At).ToList(), meterRange);
        var collectorGrid = new Grid(collectors.Select(c => c.At).ToList(), collectorRange);

        // Per meter, its best links (to meters: index >= 0; to collectors: -1 - index), each with its margin and ETX.
        var links = new Link[n][];
        Parallel.For(0, n, u =>
        {
            var at = meters[u].At;
            var key = meters[u].Meter.Value;
            var candidates = new List<Link>();
            foreach (var v in meterGrid.Near(at))
                if (v != u) Consider(candidates, v, at.DistanceTo(meters[v].At), (ulong)key, (ulong)meters[v].Meter.Value, toCollector: false);
            foreach (var c in collectorGrid.Near(at))
                Consider(candidates, -1 - c, at.DistanceTo(collectors[c].At), (ulong)key, CollectorKeys | (uint)collectors[c].Id, toCollector: true);
            candidates.Sort((a, b) => a.Etx != b.Etx ? a.Etx.CompareTo(b.Etx) : a.To.CompareTo(b.To));
            links[u] = candidates.Take(budget.MaxNeighbors).ToArray();
        });

        void Consider(List<Link> candidates, int to, double metres, ulong a, ulong b, bool toCollector)
        {
            if (metres > (toCollector ? collectorRange : meterRange)) return;
            var margin = budget.ReceivedDbm(metres, Shadowing(shadowingBase, a, b, budget.ShadowingSigmaDb), toCollector) - budget.SensitivityDbm;
            var etx = budget.Etx(margin);
            if (etx <= budget.MaxLinkEtx) candidates.Add(new Link(to, margin, etx));
        }

        // Who may route through each node: the meters that keep a link to it.
        var heardBy = new List<(int Meter, int Link)>[n + collectors.Count];
        for (var i = 0; i < heardBy.Length; i++) heardBy[i] = [];
        for (var u = 0; u < n; u++)
            for (var l = 0; l < links[u].Length; l++)
                heardBy[links[u][l].To >= 0 ? links[u][l].To : n + (-1 - links[u][l].To)].Add((u, l));

        var cost = new double[n];
        var hops = new int[n];
        var via = new int[n]; // the chosen link's index in links[u], -1 = none yet
        var root = new int[n];
        Array.Fill(cost, double.PositiveInfinity);
        Array.Fill(via, -1);
        var queue = new PriorityQueue<int, (double Cost, int Hops, long Key)>();
        var done = new bool[n];
        void Relax(int from, double fromCost, int fromHops, int fromRoot)
        {
            foreach (var (u, l) in heardBy[from])
            {
                if (done[u]) continue;
                var c = fromCost + links[u][l].Etx;
                var h = fromHops + 1;
                var better = c < cost[u] || c == cost[u] && (h < hops[u] || h == hops[u] && ParentKey(links[u][l].To) < ParentKey(links[u][via[u]].To));
                if (!better) continue;
                (cost[u], hops[u], via[u], root[u]) = (c, h, l, fromRoot);
                queue.Enqueue(u, (c, h, meters[u].Meter.Value));
            }
        }
        long ParentKey(int to) => to >= 0 ? meters[to].Meter.Value : -collectors[-1 - to].Id;
        for (var c = 0; c < collectors.Count; c++) Relax(n + c, 0, 0, collectors[c].Id);
        while (queue.TryDequeue(out var u, out var priority))
        {
            if (done[u] || priority.Cost != cost[u] || priority.Hops != hops[u]) continue;
            done[u] = true;
            Relax(u, cost[u], hops[u], root[u]);
        }

        var placed = new List<MeterNode>(n);
        var unreachable = new List<UnreachableMeter>();
        for (var u = 0; u < n; u++)
        {
            var meter = meters[u];
            var model = meter.Model ?? Draw(fleet.Models, seed, meter.Meter, "model");
            var firmware = meter.Firmware ?? Draw(fleet.Firmware, seed, meter.Meter, "firmware");
            if (via[u] < 0)
            {
                unreachable.Add(new UnreachableMeter(meter.Meter, model, firmware,
                    $"unreachable: no link with an ETX of at most {budget.MaxLinkEtx} leads to a collector"));
                continue;
            }
            if (hops[u] > NetworkTopology.MaxHops)
            {
                unreachable.Add(new UnreachableMeter(meter.Meter, model, firmware,
                    $"unreachable: its least-ETX route has {hops[u]} hops, more than the {NetworkTopology.MaxHops} a mesh allows"));
                continue;
            }
            var link = links[u][via[u]];
            placed.Add(new MeterNode(meter.Meter, root[u], link.To >= 0 ? meters[link.To].Meter : null, hops[u], budget.LinkLoss(link.MarginDb), model, firmware));
        }
        var topology = new NetworkTopology(collectors.Select(c => new CollectorNode(c.Id, c.BackhaulLatency, c.BackhaulBitsPerSecond)), placed)
        {
            Unreachable = unreachable,
            Positions = new NetworkPositions(meters.ToDictionary(m => m.Meter, m => m.At), collectors.ToDictionary(c => c.Id, c => c.At)),
        };
        return topology;
    }

    /// <summary>
    /// The link's shadowing in dB: a normal draw (Box-Muller) from two hashes of the run's seed and the
    /// pair of node keys, in either order, so that both directions of a link fade alike.
    /// </summary>
    internal static double Shadowing(ulong seedBase, ulong a, ulong b, double sigma)
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

    /// <summary>One candidate parent: a meter (index) or a collector (-1 - index), the margin over the sensitivity and the ETX.</summary>
    private readonly record struct Link(int To, double MarginDb, double Etx);

    /// <summary>Points bucketed in square cells of the search range, so that a node looks only at the nine cells around it.</summary>
    private sealed class Grid
    {
        private readonly double _cell;
        private readonly Dictionary<(long, long), List<int>> _cells = new();

        public Grid(IReadOnlyList<Position> points, double range)
        {
            _cell = Math.Max(range, 1);
            for (var i = 0; i < points.Count; i++)
            {
                var key = CellOf(points[i]);
                if (!_cells.TryGetValue(key, out var list)) _cells[key] = list = [];
                list.Add(i);
            }
        }

        private (long, long) CellOf(Position p) => ((long)Math.Floor(p.X / _cell), (long)Math.Floor(p.Y / _cell));

        /// <summary>The points in the nine cells around <paramref name="at"/>, in index order.</summary>
        public IEnumerable<int> Near(Position at)
        {
            var (cx, cy) = CellOf(at);
            var near = new List<int>();
            for (var dx = -1; dx <= 1; dx++)
                for (var dy = -1; dy <= 1; dy++)
                    if (_cells.TryGetValue((cx + dx, cy + dy), out var list)) near.AddRange(list);
            near.Sort();
            return near;
        }
    }
}
