using AmiSim.Kernel;
using AmiSim.Protocol.C1219;
using AmiSim.Protocol.Network;

namespace AmiSim.Mesh.Topology;

/// <summary>What a generated network looks like. Every field has a default from REFERENCE.md section 6.</summary>
public sealed record TopologySettings
{
    public int Meters { get; init; } = 10_000;

    public int Collectors { get; init; } = 10;

    /// <summary>Relative weight of each hop depth, index 0 = depth 1.</summary>
    public IReadOnlyList<double> DepthWeights { get; init; } = [0.30, 0.28, 0.20, 0.12, 0.06, 0.03, 0.01];

    /// <summary>Per-link block loss, drawn uniformly from [min, max].</summary>
    public double LinkLossMin { get; init; } = 0.001;

    public double LinkLossMax { get; init; } = 0.03;

    /// <summary>Meter models and their shares.</summary>
    public IReadOnlyList<(string Model, double Weight)> Models { get; init; } = [("AM-100", 0.7), ("AM-200", 0.3)];

    /// <summary>Current firmware versions and their shares.</summary>
    public IReadOnlyList<(FirmwareVersion Version, double Weight)> Firmware { get; init; } = [(new FirmwareVersion(1, 0), 0.9), (new FirmwareVersion(1, 1), 0.1)];

    public TimeSpan BackhaulLatency { get; init; } = TimeSpan.FromMilliseconds(150);

    public int BackhaulBitsPerSecond { get; init; } = 40_000;
}

/// <summary>
/// Builds a network from <see cref="TopologySettings"/> and the run's seed. Meters are numbered 1..N
/// and dealt to collectors in contiguous blocks; each meter draws a depth, and its parent is a meter
/// one hop shallower in the same cell (the depth shrinks when there is none yet).
/// </summary>
public static class TopologyGenerator
{
    public static NetworkTopology Generate(TopologySettings settings, long seed)
    {
        if (settings.Meters < 1) throw new TopologyException($"fleet.meters must be at least 1, was {settings.Meters}");
        if (settings.Collectors < 1 || settings.Collectors > settings.Meters)
            throw new TopologyException($"fleet.collectors must be between 1 and the number of meters, was {settings.Collectors}");
        if (settings.DepthWeights.Count is 0 or > NetworkTopology.MaxHops || settings.DepthWeights.Any(w => w < 0) || settings.DepthWeights.Sum() <= 0)
            throw new TopologyException($"network.depth-weights needs 1-{NetworkTopology.MaxHops} non-negative weights with a positive sum");
        if (settings.LinkLossMin < 0 || settings.LinkLossMax >= 1 || settings.LinkLossMin > settings.LinkLossMax)
            throw new TopologyException($"network.link-loss must satisfy 0 <= min <= max < 1, was [{settings.LinkLossMin}, {settings.LinkLossMax}]");

        var random = RandomStream.For(seed, 0, "topology");
        var collectors = Enumerable.Range(1, settings.Collectors)
            .Select(id => new CollectorNode(id, settings.BackhaulLatency, settings.BackhaulBitsPerSecond)).ToList();
        var meters = new List<MeterNode>(settings.Meters);
        var perCollector = (settings.Meters + settings.Collectors - 1) / settings.Collectors;
        var byDepth = new List<List<MeterId>>();
        var currentCollector = 0;
        for (var n = 1; n <= settings.Meters; n++)
        {
            var collector = (n - 1) / perCollector + 1;
            if (collector != currentCollector)
            {
                currentCollector = collector;
                byDepth = Enumerable.Range(0, settings.DepthWeights.Count).Select(_ => new List<MeterId>()).ToList();
            }
            var depth = Pick(random, settings.DepthWeights) + 1;
            while (depth > 1 && byDepth[depth - 2].Count == 0) depth--;
            MeterId? parent = depth == 1 ? null : byDepth[depth - 2][random.NextInt(byDepth[depth - 2].Count)];
            var id = new MeterId(n);
            byDepth[depth - 1].Add(id);
            var loss = settings.LinkLossMin + random.NextDouble() * (settings.LinkLossMax - settings.LinkLossMin);
            var model = settings.Models[Pick(random, settings.Models.Select(m => m.Weight).ToList())].Model;
            var firmware = settings.Firmware[Pick(random, settings.Firmware.Select(f => f.Weight).ToList())].Version;
            meters.Add(new MeterNode(id, collector, parent, depth, Math.Round(loss, 6), model, firmware));
        }
        return new NetworkTopology(collectors, meters);
    }

    private static int Pick(RandomStream random, IReadOnlyList<double> weights)
    {
        var roll = random.NextDouble() * weights.Sum();
        for (var i = 0; i < weights.Count; i++)
        {
            roll -= weights[i];
            if (roll < 0) return i;
        }
        return weights.Count - 1;
    }
}
