using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using MathNet.Numerics.Distributions;

namespace AmiSim.Host.Run;

/// <summary>One varied scenario key (relative to amisim.scenario) and the values it takes.</summary>
public sealed record SweepKey(string Key, IReadOnlyList<string> Values)
{
    /// <summary>Reads <c>KEY=V1,V2,...</c> (the key with or without its amisim.scenario. prefix). <exception cref="FormatException">names the --vary.</exception></summary>
    public static SweepKey Parse(string vary)
    {
        var at = vary.IndexOf('=');
        if (at <= 0) throw new FormatException($"--vary {vary}: expected KEY=V1,V2,... such as campaign.distribution=unicast,multicast");
        var key = vary[..at].Trim();
        if (key.StartsWith(Scenario.ScenarioReader.Root + ".", StringComparison.Ordinal)) key = key[(Scenario.ScenarioReader.Root.Length + 1)..];
        var values = vary[(at + 1)..].Split(',').Select(v => v.Trim()).ToList();
        if (values.Any(v => v.Length == 0)) throw new FormatException($"--vary {vary}: an empty value; give values separated by commas");
        if (values.Distinct().Count() != values.Count) throw new FormatException($"--vary {vary}: a value given twice");
        return new SweepKey(key, values);
    }
}

/// <summary>One combination of the grid: a value for each varied key, in the order of the --vary options.</summary>
public sealed record Combination(IReadOnlyList<(string Key, string Value)> Values)
{
    /// <summary>The folder name of the combination's runs: "key=value+key=value", characters a file name cannot hold replaced by '_'.</summary>
    public string Folder => Regex.Replace(string.Join('+', Values.Select(v => $"{v.Key}={v.Value}")), "[^A-Za-z0-9._=+-]", "_");

    public string Label => string.Join(", ", Values.Select(v => $"{v.Key}={v.Value}"));

    /// <summary>The --set options that make the scenario this combination (a value that is no number or on/off is quoted as a HOCON string).</summary>
    public IEnumerable<string> Sets => Values.Select(v => $"{Scenario.ScenarioReader.Root}.{v.Key}={v.Value}");
}

/// <summary>What a sweep can be judged by: each from a run's report.json, lower is better for all.</summary>
public enum SweepMetric
{
    /// <summary>Virtual hours until the last meter finished.</summary>
    Duration,
    /// <summary>Virtual hours until 95 % of the targeted meters had succeeded (a run that never got there counts as its duration).</summary>
    P95,
    /// <summary>The share of targeted meters that failed or timed out, in percent.</summary>
    Failed,
    /// <summary>Downlink airtime, in hours.</summary>
    Airtime,
}

/// <summary>A bound on a metric's mean, in the metric's unit: <c>failed&lt;=0.5%</c> (percent of the targeted meters), <c>duration&lt;48h</c> (virtual hours; the h may be left out).</summary>
public sealed partial record SweepConstraint(SweepMetric Metric, string Operator, double Bound)
{
    public const string Help = "METRIC<=NUMBER (or <, >=, >): failed in % of the targeted meters (failed<=0.5%), duration and p95 in virtual hours and airtime in hours (duration<48h)";

    public static SweepConstraint Parse(string text)
    {
        var match = Pattern().Match(text.Replace(" ", "", StringComparison.Ordinal));
        if (!match.Success) throw new FormatException($"--constraint {text}: expected {Help}");
        var name = match.Groups[1].Value;
        if (!Sweep.TryMetric(name, out var metric))
        {
            var near = Enum.GetNames<SweepMetric>().Select(n => n.ToLowerInvariant()).MinBy(n => Scenario.Spelling.Distance(n, name.ToLowerInvariant()))!;
            throw new FormatException($"--constraint {text}: no metric {name}{(Scenario.Spelling.Distance(near, name.ToLowerInvariant()) <= 2 ? $" (did you mean {near}?)" : "")}; the metrics are {Sweep.MetricNames}");
        }
        var unit = match.Groups[4].Value.ToLowerInvariant();
        if (metric == SweepMetric.Failed ? unit is not ("" or "%") : unit is not ("" or "h"))
            throw new FormatException($"--constraint {text}: {name} is in {(metric == SweepMetric.Failed ? "% of the targeted meters (such as failed<=0.5%)" : "hours (such as " + name.ToLowerInvariant() + "<48h)")}, not {unit}");
        return new SweepConstraint(metric, match.Groups[2].Value, double.Parse(match.Groups[3].Value, CultureInfo.InvariantCulture));
    }

    public bool Holds(double value) => Operator switch
    {
        "<=" => value <= Bound,
        "<" => value < Bound,
        ">=" => value >= Bound,
        _ => value > Bound,
    };

    public override string ToString() =>
        $"{Metric.ToString().ToLowerInvariant()}{Operator}{Bound.ToString(CultureInfo.InvariantCulture)}{(Metric == SweepMetric.Failed ? "%" : "h")}";

    [GeneratedRegex(@"^([A-Za-z0-9]+)(<=|>=|<|>)([0-9]+(?:\.[0-9]+)?)(%|h|H|[A-Za-z]+)?$")]
    private static partial Regex Pattern();
}

/// <summary>A metric over a combination's seeds: the mean and its 95 % confidence interval (Student's t; zero width with one seed).</summary>
public sealed record Estimate(double Mean, double Low, double High, int Runs)
{
    public static Estimate Of(IReadOnlyList<double> values)
    {
        var n = values.Count;
        if (n == 0) return new Estimate(double.NaN, double.NaN, double.NaN, 0);
        var mean = values.Average();
        if (n == 1) return new Estimate(mean, mean, mean, 1);
        var sd = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (n - 1));
        var half = StudentT.InvCDF(0, 1, n - 1, 0.975) * sd / Math.Sqrt(n);
        return new Estimate(mean, mean - half, mean + half, n);
    }
}

/// <summary>
/// A sweep (<c>amisim sweep</c>): every combination of the varied keys' values, each run with N seeds
/// derived from the base seed (base, base+1, ...), one run folder each under
/// <c>OUT/COMBINATION/seed-S</c>; then per combination the mean and 95 % interval of each metric, and
/// the best combination for an objective under constraints. Pure: the runs themselves are the command's.
/// </summary>
public static class Sweep
{
    public static string MetricNames => string.Join(", ", Enum.GetNames<SweepMetric>().Select(n => n.ToLowerInvariant()));

    /// <summary>The metric as a chart axis or table column names it, with its unit.</summary>
    public static string Describe(SweepMetric metric) => metric switch
    {
        SweepMetric.Duration => "duration (virtual h)",
        SweepMetric.P95 => "time to 95 % (virtual h)",
        SweepMetric.Failed => "failed or timed out (%)",
        _ => "downlink airtime (h)",
    };

    public static bool TryMetric(string name, out SweepMetric metric) =>
        Enum.TryParse(name, ignoreCase: true, out metric) && Enum.IsDefined(metric);

    /// <summary>Every combination, the first key varying slowest.</summary>
    public static IReadOnlyList<Combination> Grid(IReadOnlyList<SweepKey> keys)
    {
        IEnumerable<IEnumerable<(string, string)>> grid = [[]];
        foreach (var key in keys) grid = grid.SelectMany(prefix => key.Values.Select(v => prefix.Append((key.Key, v))));
        return grid.Select(c => new Combination(c.ToList())).ToList();
    }

    public static IReadOnlyList<long> Seeds(long first, int count) => Enumerable.Range(0, count).Select(i => first + i).ToList();

    /// <summary>Where the run of <paramref name="combination"/> with <paramref name="seed"/> goes in the sweep folder.</summary>
    public static string RunFolder(string sweep, Combination combination, long seed) => Path.Combine(sweep, combination.Folder, $"seed-{seed}");

    /// <summary>A run folder holds a finished run when its report.json is whole (it ends with the result digest).</summary>
    public static bool Finished(string runFolder) => FinishedReport(runFolder) is not null;

    /// <summary>The finished run's report.json, or null when the folder holds no finished run.</summary>
    public static JsonObject? FinishedReport(string runFolder)
    {
        var json = Path.Combine(runFolder, "report.json");
        if (!File.Exists(json)) return null;
        try
        {
            return JsonNode.Parse(File.ReadAllText(json)) is JsonObject report && report["resultDigest"] is not null ? report : null;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    /// <summary>A metric of one run, from its report.json.</summary>
    public static double Measure(JsonObject report, SweepMetric metric)
    {
        static double D(JsonNode? n) => n is null ? double.NaN : double.Parse(n.ToJsonString(), CultureInfo.InvariantCulture);
        var duration = D(report["virtualTime"]!["durationHours"]);
        switch (metric)
        {
            case SweepMetric.Duration: return duration;
            case SweepMetric.P95: return report["timeToShare"]?["all"]?["p95"] is { } p95 ? D(p95) : duration;
            case SweepMetric.Airtime: return D(report["airtimeSeconds"]!["down"]) / 3600;
            default:
                var targeted = report["waves"]!.AsArray().Sum(w => D(w!["meters"]));
                var outcomes = report["outcomes"]!.AsObject();
                double Count(string phase) => outcomes[phase] is { } n ? D(n) : 0;
                var errors = Count("Failed") + Count("TimedOut");
                return targeted == 0 ? 0 : 100 * errors / targeted;
        }
    }

    /// <summary>A combination's results: its runs' metrics over the seeds that finished.</summary>
    public sealed record Result(Combination Combination, IReadOnlyDictionary<SweepMetric, Estimate> Metrics, int Runs, int Failed);

    /// <summary>A combination's results. Every metric is at least 0, so its interval is cut at 0.</summary>
    public static Result Summarize(Combination combination, IReadOnlyList<JsonObject> reports, int failed) =>
        new(combination, Enum.GetValues<SweepMetric>().ToDictionary(m => m, m =>
        {
            var estimate = Estimate.Of(reports.Select(r => Measure(r, m)).ToList());
            return estimate with { Low = Math.Max(0, estimate.Low) };
        }), reports.Count, failed);

    /// <summary>The combination of least mean objective among those whose means meet every constraint (ties: the first in --vary order); null when none does.</summary>
    public static Result? Best(IReadOnlyList<Result> results, SweepMetric objective, IReadOnlyList<SweepConstraint> constraints) =>
        results.Where(r => Meets(r, constraints)).OrderBy(r => r.Metrics[objective].Mean).FirstOrDefault();

    /// <summary>A metric's column name in sweep.csv, with its unit.</summary>
    public static string Column(SweepMetric metric) => metric switch
    {
        SweepMetric.Duration => "duration_h",
        SweepMetric.P95 => "p95_h",
        SweepMetric.Failed => "failed_pct",
        _ => "airtime_h",
    };

    /// <summary>
    /// sweep.csv: one row per combination: the varied keys, the runs finished and failed, each metric's
    /// mean and 95 % interval (in its unit), whether the means meet the constraints, and which is best.
    /// </summary>
    public static string Csv(IReadOnlyList<SweepKey> keys, IReadOnlyList<Result> results, IReadOnlyList<SweepConstraint> constraints, Result? best)
    {
        static string F(double v) => double.IsNaN(v) ? "" : v.ToString("0.######", CultureInfo.InvariantCulture);
        static string Q(string v) => v.Contains(',') || v.Contains('"') ? "\"" + v.Replace("\"", "\"\"") + "\"" : v;
        var csv = new StringBuilder();
        var metrics = Enum.GetValues<SweepMetric>().Select(Column).ToList();
        csv.AppendJoin(',', keys.Select(k => Q(k.Key)).Concat(["runs", "failed_runs"]).Concat(metrics.SelectMany(m => new[] { $"{m}_mean", $"{m}_ci95_low", $"{m}_ci95_high" }))
            .Concat(["meets_constraints", "best"])).Append('\n');
        foreach (var r in results)
            csv.AppendJoin(',', r.Combination.Values.Select(v => Q(v.Value)).Concat([r.Runs.ToString(CultureInfo.InvariantCulture), r.Failed.ToString(CultureInfo.InvariantCulture)])
                .Concat(Enum.GetValues<SweepMetric>().SelectMany(m => new[] { F(r.Metrics[m].Mean), F(r.Metrics[m].Low), F(r.Metrics[m].High) }))
                .Concat([Meets(r, constraints) ? "yes" : "no", r == best ? "yes" : "no"])).Append('\n');
        return csv.ToString();
    }

    /// <summary>Whether the combination has finished runs whose means meet every constraint.</summary>
    public static bool Meets(Result result, IReadOnlyList<SweepConstraint> constraints) =>
        result.Runs > 0 && constraints.All(c => c.Holds(result.Metrics[c.Metric].Mean));
}

/// <summary>
/// What every run of a sweep folder shares (sweep.json): the scenario file and its content, the --set
/// options and the base seed. A sweep started again into the folder must share them, or the runs
/// already finished there would be taken for its own.
/// </summary>
public sealed record SweepManifest(string? Scenario, string? ScenarioSha256, IReadOnlyList<string> Set, long BaseSeed)
{
    public const string FileName = "sweep.json";

    public static SweepManifest Of(string? scenario, IReadOnlyList<string> set, long baseSeed) =>
        new(scenario is null ? null : Path.GetFullPath(scenario),
            scenario is null ? null : Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(scenario))),
            set, baseSeed);

    /// <summary>Reads sweep.json. <exception cref="InputException">names the file when it is not one.</exception></summary>
    public static SweepManifest Read(string path)
    {
        try
        {
            return System.Text.Json.JsonSerializer.Deserialize<SweepManifest>(File.ReadAllText(path))
                ?? throw new System.Text.Json.JsonException("empty");
        }
        catch (System.Text.Json.JsonException error)
        {
            throw new InputException($"{path}: not a sweep manifest ({error.Message}); remove it or give another --out");
        }
    }

    public void Write(string path) =>
        File.WriteAllText(path, System.Text.Json.JsonSerializer.Serialize(this, new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));

    /// <summary>The first way this (the folder's) differs from <paramref name="now"/> (this sweep's), in words, or null when they agree.</summary>
    public string? Difference(SweepManifest now)
    {
        static string Sets(IReadOnlyList<string> set) => set.Count == 0 ? "no --set" : string.Join(" ", set.Select(s => $"--set {s}"));
        static string Named(string? scenario) => scenario ?? "the embedded default scenario";
        return Scenario != now.Scenario ? $"made with {Named(Scenario)}, this sweep has {Named(now.Scenario)}"
            : ScenarioSha256 != now.ScenarioSha256 ? $"the scenario file {Scenario} has changed since its runs"
            : !Set.SequenceEqual(now.Set) ? $"made with {Sets(Set)}, this sweep has {Sets(now.Set)}"
            : BaseSeed != now.BaseSeed ? $"made with base seed {BaseSeed}, this sweep has {now.BaseSeed}"
            : null;
    }
}
