using System.Collections.Concurrent;
using System.Globalization;
using AmiSim.Kernel;
using AmiSim.Mesh.Topology;
using AmiSim.Protocol.Network;

namespace AmiSim.Host.Run;

/// <summary>Collects the use-case steps of a run's traced meters and writes them as trace.txt, in a deterministic order.</summary>
public sealed class TraceFile(IReadOnlyCollection<long> meters) : ITraceSink
{
    private readonly HashSet<long> _meters = [.. meters];
    private readonly ConcurrentBag<(long Meter, long Micros, string Step, string Lp, string Text)> _entries = [];

    public IReadOnlyCollection<long> Meters => _meters;

    public bool Traces(long meter) => _meters.Contains(meter);

    public void Record(long meter, SimTime time, LpId lp, string step, string text) => _entries.Add((meter, time.Micros, step, lp.ToString(), text));

    /// <summary>The meters to trace: the scenario's list, or the first meter of each of the first three collectors.</summary>
    public static IReadOnlyList<long> Choose(IReadOnlyList<long> configured, NetworkTopology topology) =>
        configured.Count > 0 ? configured : topology.Collectors.Take(3).Select(c => topology.Cell(c.Id).FirstOrDefault()?.Meter.Value ?? 0).Where(m => m > 0).ToList();

    public void Write(TextWriter writer, NetworkTopology topology, DateTime originUtc, IEnumerable<string> preamble)
    {
        writer.WriteLine($"AmiSim use-case trace: steps 1.1-1.11 for meters {string.Join(", ", _meters.Order())}; times are virtual, from {originUtc:O}");
        foreach (var line in preamble) writer.WriteLine(line);
        foreach (var meter in _meters.Order())
        {
            var node = topology.Contains(new MeterId(meter)) ? topology.Meter(new MeterId(meter)) : null;
            writer.WriteLine();
            writer.WriteLine(node is null ? $"== meter {meter}" : $"== meter {meter} (collector {node.Collector}, depth {node.Depth}, {node.Model}, firmware {node.Firmware})");
            foreach (var entry in _entries.Where(e => e.Meter == meter).OrderBy(e => e.Micros).ThenBy(e => e.Step, StringComparer.Ordinal).ThenBy(e => e.Text, StringComparer.Ordinal))
                writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{new SimTime(entry.Micros),-18} {entry.Step,-5} [{entry.Lp}] {entry.Text}"));
        }
    }
}
