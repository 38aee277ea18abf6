using System.Text.Json.Nodes;
using AmiSim.HeadEnd.Campaign;

namespace AmiSim.Host.Run;

/// <summary>
/// The answers a report gives beyond the counts: how long the campaign took to reach each share of its
/// targeted meters (overall, per wave, per collector), and what did not succeed, grouped by reason.
/// Pure functions of the meters' outcomes; deterministic, and outside the result digest (which came first).
/// </summary>
public static class RunAnalysis
{
    /// <summary>The shares of targeted meters whose time to success the report gives, in percent.</summary>
    public static readonly IReadOnlyList<int> Percentiles = [50, 90, 95, 99, 100];

    /// <summary>How many meters of each group a failure row names.</summary>
    public const int FirstMeters = 5;

    /// <summary>A meter the campaign set out to program (skipped meters are not: they were never targeted).</summary>
    public static bool Targeted(MeterOutcome outcome) => outcome.Wave >= 0;

    /// <summary>
    /// Virtual hours from the origin until <paramref name="percent"/> % of <paramref name="group"/>'s
    /// targeted meters had succeeded (the finish of the ceil(p·n/100)-th success), or null when fewer ever did.
    /// </summary>
    public static double? HoursTo(int percent, IReadOnlyList<MeterOutcome> group)
    {
        var targeted = group.Count(Targeted);
        if (targeted == 0) return null;
        var needed = (int)Math.Ceiling(percent * (long)targeted / 100.0);
        if (needed == 0) return 0;
        var finishes = group.Where(o => Targeted(o) && o.Phase == MeterPhase.Succeeded).Select(o => o.FinishedMicros).Order().ToList();
        return finishes.Count < needed ? null : Math.Round(finishes[needed - 1] / 3.6e9, 3);
    }

    /// <summary>{"p50": hours or null, ...} for one group of meters.</summary>
    public static JsonObject TimesTo(IReadOnlyList<MeterOutcome> group)
    {
        var times = new JsonObject();
        foreach (var p in Percentiles) times[$"p{p}"] = HoursTo(p, group) is { } hours ? JsonValue.Create(hours) : null;
        return times;
    }

    /// <summary>report.json's <c>timeToShare</c>: the times to each percentile overall, per wave and per collector.</summary>
    public static JsonObject TimeToShare(IReadOnlyList<MeterOutcome> outcomes)
    {
        var targeted = outcomes.Where(Targeted).ToList();
        return new JsonObject
        {
            ["percentiles"] = new JsonArray(Percentiles.Select(p => (JsonNode)p).ToArray()),
            ["all"] = TimesTo(targeted),
            ["waves"] = new JsonArray(targeted.GroupBy(o => o.Wave).OrderBy(g => g.Key)
                .Select(g => (JsonNode)new JsonObject { ["wave"] = g.Key + 1, ["meters"] = g.Count(), ["hours"] = TimesTo(g.ToList()) }).ToArray()),
            ["collectors"] = new JsonArray(targeted.GroupBy(o => o.Collector).OrderBy(g => g.Key)
                .Select(g => (JsonNode)new JsonObject { ["collector"] = g.Key, ["meters"] = g.Count(), ["hours"] = TimesTo(g.ToList()) }).ToArray()),
        };
    }

    /// <summary>
    /// report.json's <c>notSucceeded</c>: every targeted meter that did not succeed, grouped by final state
    /// and reason, the largest group first, each with its count and its first meters by id.
    /// </summary>
    public static JsonArray NotSucceeded(IReadOnlyList<MeterOutcome> outcomes) =>
        new(outcomes.Where(o => Targeted(o) && o.Phase != MeterPhase.Succeeded)
            .GroupBy(o => (o.Phase, o.Reason))
            .OrderByDescending(g => g.Count()).ThenBy(g => g.Key.Phase).ThenBy(g => g.Key.Reason, StringComparer.Ordinal)
            .Select(g => (JsonNode)new JsonObject
            {
                ["state"] = g.Key.Phase.ToString(),
                ["reason"] = g.Key.Reason,
                ["meters"] = g.Count(),
                ["first"] = new JsonArray(g.Select(o => o.Meter).Order().Take(FirstMeters).Select(m => (JsonNode)m).ToArray()),
            }).ToArray());

    /// <summary>
    /// report.json's <c>errorsOverTime</c>: targeted meters failed or timed out by the end of each virtual
    /// hour (cumulative; empty when none), beside <c>completion</c>'s successes.
    /// </summary>
    public static JsonArray ErrorsOverTime(IReadOnlyList<MeterOutcome> outcomes)
    {
        const long Hour = 3_600_000_000L;
        var errors = outcomes.Where(o => Targeted(o) && o.Phase.IsError()).Select(o => (int)Math.Max(1, (o.FinishedMicros + Hour - 1) / Hour)).ToList();
        if (errors.Count == 0) return [];
        var byHour = new int[errors.Max() + 1];
        foreach (var hour in errors) byHour[hour]++;
        var series = new JsonArray();
        var total = 0;
        for (var hour = 1; hour < byHour.Length; hour++) series.Add(new JsonObject { ["hour"] = hour, ["errors"] = total += byHour[hour] });
        return series;
    }
}
