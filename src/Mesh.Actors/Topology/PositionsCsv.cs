using System.Globalization;
using AmiSim.Protocol.C1219;
using AmiSim.Protocol.Network;
using Sylvan.Data.Csv;

namespace AmiSim.Mesh.Topology;

/// <summary>
/// Reads where a utility's collectors and meters stand (a GIS export), one node per line
/// (docs/MESH-MODEL.md, "A network from positions"): <c>kind,id</c> and either <c>x,y</c> in metres or
/// <c>lat,lon</c> in degrees, and optionally <c>model,firmware</c> (a meter's; empty = drawn from the
/// scenario's mixes) and <c>backhaul_latency_ms,backhaul_kbps</c> (a collector's; empty = the
/// scenario's). Latitudes and longitudes become metres east and north of the nodes' mean position
/// (an equirectangular projection: exact enough for a city).
/// </summary>
public static class PositionsCsv
{
    /// <summary>The mean Earth radius, metres.</summary>
    private const double EarthRadius = 6_371_008.8;

    /// <summary>Whether a CSV header line is that of a positions file (it has x,y or lat,lon, and no parent column).</summary>
    public static bool IsPositions(string headerLine)
    {
        var columns = headerLine.Split(',').Select(c => c.Trim()).ToHashSet(StringComparer.Ordinal);
        return !columns.Contains("parent") && (columns.Contains("x") && columns.Contains("y") || columns.Contains("lat") && columns.Contains("lon"));
    }

    /// <exception cref="TopologyException">names the file, the line and what is wrong.</exception>
    public static (IReadOnlyList<PlacedCollector> Collectors, IReadOnlyList<PlacedMeter> Meters) Read(TextReader text, string fileName, TopologySettings defaults)
    {
        using var csv = CsvDataReader.Create(text, new CsvDataReaderOptions { HasHeaders = true });
        var names = Enumerable.Range(0, csv.FieldCount).Select(csv.GetName).ToHashSet(StringComparer.Ordinal);
        var geographic = names.Contains("lat") && names.Contains("lon");
        var (first, second) = geographic ? ("lat", "lon") : ("x", "y");
        foreach (var required in new[] { "kind", "id", first, second })
            if (!names.Contains(required))
                throw new TopologyException($"{fileName}, line 1: the header lacks {required}; expected kind,id,x,y (metres) or kind,id,lat,lon (degrees), then optionally model,firmware,backhaul_latency_ms,backhaul_kbps");

        var rows = new List<(string Kind, int Id, double A, double B, string Model, string Firmware, string Latency, string Kbps, int Line)>();
        var line = 1;
        while (csv.Read())
        {
            line++;
            string Field(string name) => names.Contains(name) && csv.GetOrdinal(name) < csv.RowFieldCount ? csv.GetString(csv.GetOrdinal(name)).Trim() : "";
            string Where(string name) => $"{fileName}, line {line}, {name}";
            var kind = Field("kind");
            if (kind is not ("collector" or "meter")) throw new TopologyException($"{Where("kind")}: '{kind}' is neither collector nor meter");
            var a = Number(Field(first), Where(first));
            var b = Number(Field(second), Where(second));
            if (geographic && (a is < -90 or > 90 || b is < -180 or > 180))
                throw new TopologyException($"{fileName}, line {line}: latitude {a} and longitude {b} are not a place on Earth (-90..90, -180..180)");
            rows.Add((kind, Int(Field("id"), Where("id")), a, b, Field("model"), Field("firmware"), Field("backhaul_latency_ms"), Field("backhaul_kbps"), line));
        }

        // Geographic positions become metres around their mean (longitudes shrink with the cosine of the latitude).
        var (lat0, lon0) = geographic && rows.Count > 0 ? (rows.Average(r => r.A), rows.Average(r => r.B)) : (0, 0);
        Position At(double a, double b) => geographic
            ? new Position(EarthRadius * (b - lon0) * Math.PI / 180 * Math.Cos(lat0 * Math.PI / 180), EarthRadius * (a - lat0) * Math.PI / 180)
            : new Position(a, b);

        var collectors = new List<PlacedCollector>();
        var meters = new List<PlacedMeter>();
        var seen = new Dictionary<(string, int), int>();
        foreach (var r in rows)
        {
            string Where(string name) => $"{fileName}, line {r.Line}, {name}";
            if (!seen.TryAdd((r.Kind, r.Id), r.Line)) throw new TopologyException($"{fileName}, line {r.Line}: {r.Kind} {r.Id} is already on line {seen[(r.Kind, r.Id)]}");
            if (r.Kind == "collector")
            {
                collectors.Add(new PlacedCollector(r.Id, At(r.A, r.B),
                    r.Latency.Length == 0 ? defaults.BackhaulLatency : TimeSpan.FromMilliseconds(Positive(r.Latency, Where("backhaul_latency_ms"))),
                    r.Kbps.Length == 0 ? defaults.BackhaulBitsPerSecond : (int)Math.Round(Positive(r.Kbps, Where("backhaul_kbps")) * 1000)));
                continue;
            }
            if (r.Id == 0) throw new TopologyException($"{Where("id")}: meters are numbered from 1");
            FirmwareVersion? firmware = null;
            if (r.Firmware.Length > 0)
            {
                try { firmware = FirmwareVersion.Parse(r.Firmware); }
                catch (FormatException error) { throw new TopologyException($"{Where("firmware")}: {error.Message}"); }
            }
            meters.Add(new PlacedMeter(new MeterId(r.Id), At(r.A, r.B), r.Model.Length == 0 ? null : r.Model, firmware));
        }
        if (collectors.Count == 0) throw new TopologyException($"{fileName}: no collector line; a network needs at least one");
        if (meters.Count == 0) throw new TopologyException($"{fileName}: no meter line");
        return (collectors.OrderBy(c => c.Id).ToList(), meters.OrderBy(m => m.Meter).ToList());
    }

    private static int Int(string text, string where) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= 0
            ? value : throw new TopologyException($"{where}: '{text}' is not a whole number >= 0");

    private static double Number(string text, string where) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value)
            ? value : throw new TopologyException($"{where}: '{text}' is not a number");

    private static double Positive(string text, string where)
    {
        var value = Number(text, where);
        return value > 0 ? value : throw new TopologyException($"{where}: {value} must be positive");
    }
}
