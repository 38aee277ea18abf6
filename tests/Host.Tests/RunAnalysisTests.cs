using System.Text.Json.Nodes;
using AmiSim.HeadEnd.Campaign;
using AmiSim.Host.Run;
using AmiSim.Scenario;
using Xunit;

namespace AmiSim.Host.Tests;

/// <summary>The report's answers, on hand-made outcomes: times to each share, what did not succeed, the scenario's own keys, readable durations.</summary>
public sealed class RunAnalysisTests
{
    private const long Hour = 3_600_000_000L;

    private static MeterOutcome Meter(long id, MeterPhase phase, double hours, int wave = 0, int collector = 1, string reason = "") =>
        new(id, collector, wave, phase, reason, 3, (long)(hours * Hour), "2.0");

    [Fact]
    public void The_time_to_a_share_is_the_finish_of_the_meter_that_reaches_it_and_never_when_too_few_succeed()
    {
        // Ten targeted meters, nine succeed at hours 1..9, one fails; one more is skipped and does not count.
        var outcomes = Enumerable.Range(1, 9).Select(i => Meter(i, MeterPhase.Succeeded, i))
            .Append(Meter(10, MeterPhase.Failed, 2, reason: "flash")).Append(Meter(11, MeterPhase.Skipped, 0, wave: -1)).ToList();

        Assert.Equal(5.0, RunAnalysis.HoursTo(50, outcomes)); // the 5th of 10
        Assert.Equal(9.0, RunAnalysis.HoursTo(90, outcomes)); // the 9th
        Assert.Null(RunAnalysis.HoursTo(95, outcomes));        // needs 10 successes
        Assert.Null(RunAnalysis.HoursTo(100, outcomes));
        Assert.Null(RunAnalysis.HoursTo(50, [Meter(1, MeterPhase.Skipped, 0, wave: -1)])); // nothing targeted
    }

    [Fact]
    public void Times_to_share_are_given_per_wave_and_per_collector()
    {
        var outcomes = new[]
        {
            Meter(1, MeterPhase.Succeeded, 1, wave: 0, collector: 1), Meter(2, MeterPhase.Succeeded, 3, wave: 1, collector: 1),
            Meter(3, MeterPhase.Succeeded, 4, wave: 1, collector: 2), Meter(4, MeterPhase.TimedOut, 5, wave: 1, collector: 2),
        };
        var shares = RunAnalysis.TimeToShare(outcomes);

        Assert.Equal(3.0, shares["all"]!["p50"]!.GetValue<double>());
        Assert.Equal(1.0, shares["waves"]![0]!["hours"]!["p100"]!.GetValue<double>());
        Assert.Equal(2, shares["waves"]![1]!["wave"]!.GetValue<int>());
        Assert.Null(shares["waves"]![1]!["hours"]!["p100"]);
        Assert.Equal(4.0, shares["collectors"]![1]!["hours"]!["p50"]!.GetValue<double>());
        Assert.Equal(2, shares["collectors"]![1]!["meters"]!.GetValue<int>());
    }

    [Fact]
    public void What_did_not_succeed_is_grouped_by_state_and_reason_the_largest_first_with_its_first_meters()
    {
        var outcomes = Enumerable.Range(1, 8).Select(i => Meter(100 - i, MeterPhase.Failed, 1, reason: "rolled back"))
            .Append(Meter(5, MeterPhase.TimedOut, 2, reason: "no answer")).Append(Meter(6, MeterPhase.Succeeded, 1))
            .Append(Meter(7, MeterPhase.Skipped, 0, wave: -1, reason: "already on 2.0")).ToList();
        var groups = RunAnalysis.NotSucceeded(outcomes);

        Assert.Equal(2, groups.Count); // skipped meters were not targeted, the success is not listed
        Assert.Equal("Failed", groups[0]!["state"]!.GetValue<string>());
        Assert.Equal(8, groups[0]!["meters"]!.GetValue<int>());
        Assert.Equal([92L, 93, 94, 95, 96], groups[0]!["first"]!.AsArray().Select(m => m!.GetValue<long>()));
        Assert.Equal("no answer", groups[1]!["reason"]!.GetValue<string>());
    }

    [Fact]
    public void Errors_over_time_are_cumulative_per_hour()
    {
        var errors = RunAnalysis.ErrorsOverTime([Meter(1, MeterPhase.Failed, 0.5), Meter(2, MeterPhase.TimedOut, 2.5), Meter(3, MeterPhase.Succeeded, 1)]);
        Assert.Equal([1, 1, 2], errors.Select(e => e!["errors"]!.GetValue<int>()));
        Assert.Empty(RunAnalysis.ErrorsOverTime([Meter(3, MeterPhase.Succeeded, 1)]));
    }

    [Fact]
    public void The_scenario_keys_a_report_shows_are_those_that_differ_from_their_defaults_with_who_gave_them()
    {
        var reader = ScenarioReader.Load("amisim.scenario { name = \"mine\", fleet.meters = 10000, fleet.collectors = 4 }", "mine.conf",
            ["amisim.scenario.campaign.max-attempts=2"]);
        var keys = reader.Differences();

        Assert.Contains(new ScenarioKeyValue("fleet.collectors", "4", "10", "mine.conf"), keys);
        Assert.Contains(new ScenarioKeyValue("campaign.max-attempts", "2", "5", "--set amisim.scenario.campaign.max-attempts=2"), keys);
        Assert.Contains(keys, k => k.Key == "name" && k.Value == "mine");
        Assert.DoesNotContain(keys, k => k.Key == "fleet.meters"); // given, but the default's value
        Assert.Equal(keys.Select(k => k.Key).Order(StringComparer.Ordinal), keys.Select(k => k.Key));
    }

    [Theory]
    [InlineData(0.25, "15 min")]
    [InlineData(1.0, "1 h")]
    [InlineData(66.34, "2 d 18 h 20 min")]
    [InlineData(48, "2 d 0 h")]
    public void Durations_read_as_days_hours_and_minutes(double hours, string expected) => Assert.Equal(expected, ReportHtml.Duration(hours));

    [Fact]
    public void Instants_read_as_a_weekday_date_and_time()
    {
        Assert.Equal("Mon 5 Jan 2026 00:00 UTC", ReportHtml.When(JsonValue.Create("2026-01-05T00:00:00.0000000Z")));
    }
}
