using System.Globalization;
using AmiSim.Protocol.C1219;
using AmiSim.Protocol.Network;
using Sylvan.Data.Csv;

namespace AmiSim.Mesh.Topology;

/// <summary>
/// Reads and writes a network as CSV, one node per line (docs/MESH-MODEL.md, "Topology file"):
/// <c>kind,id,collector,parent,link_loss,model,firmware,backhaul_latency_ms,backhaul_kbps</c>.
/// A collector line fills id and the backhaul columns; a meter line fills id, collector, parent
/// ("collector" or the relay meter's id), link_loss, model and firmware. Depths follow from the parents.
/// A meter whose parent is <c>unreachable</c> has no route (an optional last column, <c>note</c>, says why).
/// </summary>
public static class TopologyCsv
{
    public const string Header = "kind,id,collector,parent,link_loss,model,firmware,backhaul_latency_ms,backhaul_kbps";
    private static readonly string[] Columns = Header.Split(',');

    /// <summary>
    /// Writes the network as the file <see cref="Read"/> reads back to the same network (losses to the
    /// last bit), with a last column, <c>note</c>, that holds why an unreachable meter has no route
    /// (its line says <c>unreachable</c> for its parent).
    /// </summary>
    public static void Write(NetworkTopology topology, TextWriter writer)
    {
        // A link's own PHY rate (phy_kbps) only when some link has one, so that other networks write as before.
        var rates = topology.Meters.Any(m => m.PhyBitsPerSecond > 0);
        string Rate(MeterNode? m) => !rates ? "" : m is { PhyBitsPerSecond: > 0 } ? string.Create(CultureInfo.InvariantCulture, $"{m.PhyBitsPerSecond / 1000.0:R},") : ",";
        writer.WriteLine(Header + (rates ? ",phy_kbps" : "") + ",note");
        foreach (var c in topology.Collectors)
            writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"collector,{c.Id},,,,,,{c.BackhaulLatency.TotalMilliseconds:R},{c.BackhaulBitsPerSecond / 1000.0:R},{Rate(null)}"));
        foreach (var m in topology.Meters)
            writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"meter,{m.Meter.Value},{m.Collector},{(m.Parent is { } p ? p.Value.ToString(CultureInfo.InvariantCulture) : "collector")},{m.LinkLoss:R},{m.Model},{m.Firmware},,,{Rate(m)}"));
        foreach (var m in topology.Unreachable)
            writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"meter,{m.Meter.Value},,unreachable,,{m.Model},{m.Firmware},,,{Rate(null)}{Quoted(m.Reason)}"));
    }

    private static string Quoted(string text) => text.Contains(',') || text.Contains('"') ? "\"" + text.Replace("\"", "\"\"") + "\"" : text;

    /// <exception cref="TopologyException">names the file, the line and what is wrong.</exception>
    public static NetworkTopology Read(TextReader text, string fileName)
    {
        var collectors = new List<CollectorNode>();
        var meters = new List<(MeterId Id, int Collector, MeterId? Parent, double Loss, string Model, FirmwareVersion Firmware, int Rate, int Line)>();
        var unreachable = new List<UnreachableMeter>();
        using var csv = CsvDataReader.Create(text, new CsvDataReaderOptions { HasHeaders = true });
        var hasNote = Enumerable.Range(0, csv.FieldCount).Any(i => csv.GetName(i) == "note");
        var hasRate = Enumerable.Range(0, csv.FieldCount).Any(i => csv.GetName(i) == "phy_kbps");
        var missing = Columns.Where(c => !Enumerable.Range(0, csv.FieldCount).Any(i => csv.GetName(i) == c)).ToList();
        if (missing.Count > 0) throw new TopologyException($"{fileName}, line 1: the header lacks {string.Join(", ", missing)}; expected {Header}");

        var line = 1;
        while (csv.Read())
        {
            line++;
            string Field(string name) => csv.GetString(csv.GetOrdinal(name)).Trim();
            string Where(string name) => $"{fileName}, line {line}, {name}";
            try
            {
                switch (Field("kind"))
                {
                    case "collector":
                        collectors.Add(new CollectorNode(
                            Int(Field("id"), Where("id")),
                            TimeSpan.FromMilliseconds(Positive(Field("backhaul_latency_ms"), Where("backhaul_latency_ms"))),
                            (int)Math.Round(Positive(Field("backhaul_kbps"), Where("backhaul_kbps")) * 1000)));
                        break;
                    case "meter" when Field("parent") == "unreachable":
                        var reason = hasNote ? Field("note") : "";
                        FirmwareVersion version;
                        try { version = FirmwareVersion.Parse(Field("firmware")); }
                        catch (FormatException error) { throw new TopologyException($"{Where("firmware")}: {error.Message}"); }
                        unreachable.Add(new UnreachableMeter(new MeterId(Int(Field("id"), Where("id"))), Field("model"), version,
                            reason.StartsWith("unreachable", StringComparison.Ordinal) ? reason : "unreachable: the topology file gives it no route"));
                        break;
                    case "meter":
                        var parent = Field("parent");
                        var loss = Number(Field("link_loss"), Where("link_loss"));
                        if (loss is < 0 or >= 1) throw new TopologyException($"{Where("link_loss")}: {loss} is not a probability in [0, 1)");
                        var model = Field("model");
                        if (model.Length == 0) throw new TopologyException($"{Where("model")}: empty");
                        FirmwareVersion firmware;
                        try { firmware = FirmwareVersion.Parse(Field("firmware")); }
                        catch (FormatException error) { throw new TopologyException($"{Where("firmware")}: {error.Message}"); }
                        var kbps = !hasRate || Field("phy_kbps").Length == 0 ? 0 : Positive(Field("phy_kbps"), Where("phy_kbps"));
                        if (kbps > 100_000) throw new TopologyException($"{Where("phy_kbps")}: {kbps} kbit/s is above 100,000 (100 Mbit/s)");
                        var rate = (int)Math.Round(kbps * 1000);
                        meters.Add((new MeterId(Int(Field("id"), Where("id"))), Int(Field("collector"), Where("collector")),
                            parent == "collector" ? null : new MeterId(Int(parent, Where("parent"))), loss, model, firmware, rate, line));
                        break;
                    case var kind:
                        throw new TopologyException($"{Where("kind")}: '{kind}' is neither collector nor meter");
                }
            }
            catch (IndexOutOfRangeException)
            {
                throw new TopologyException($"{fileName}, line {line}: {csv.RowFieldCount} fields, expected {Columns.Length}");
            }
        }

        var lines = new Dictionary<MeterId, int>();
        foreach (var m in meters)
            if (!lines.TryAdd(m.Id, m.Line)) throw new TopologyException($"{fileName}, line {m.Line}: meter {m.Id.Value} is already on line {lines[m.Id]}");
        var parents = meters.ToDictionary(m => m.Id, m => m.Parent);
        IReadOnlyDictionary<MeterId, int> depths;
        try
        {
            foreach (var m in meters)
                if (m.Parent is { } p && !parents.ContainsKey(p))
                    throw new TopologyException($"{fileName}, line {m.Line}: parent {p.Value} of meter {m.Id.Value} is not a meter of the file");
            depths = NetworkTopology.Depths(parents);
            foreach (var m in unreachable)
                if (lines.ContainsKey(m.Meter)) throw new TopologyException($"meter {m.Meter.Value} appears twice");
            return new NetworkTopology(collectors,
                meters.Select(m => new MeterNode(m.Id, m.Collector, m.Parent, depths[m.Id], m.Loss, m.Model, m.Firmware, m.Rate))) { Unreachable = unreachable.OrderBy(m => m.Meter).ToList() };
        }
        catch (TopologyException error) when (!error.Message.StartsWith(fileName, StringComparison.Ordinal))
        {
            var at = meters.FirstOrDefault(m => error.Message.StartsWith($"meter {m.Id.Value}:", StringComparison.Ordinal));
            throw new TopologyException($"{fileName}{(at.Line > 0 ? $", line {at.Line}" : "")}: {error.Message}");
        }
    }

    private static int Int(string text, string where) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= 0
            ? value : throw new TopologyException($"{where}: '{text}' is not a whole number >= 0");

    private static double Number(string text, string where) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            ? value : throw new TopologyException($"{where}: '{text}' is not a number");

    private static double Positive(string text, string where)
    {
        var value = Number(text, where);
        return value > 0 ? value : throw new TopologyException($"{where}: {value} must be positive");
    }
}
