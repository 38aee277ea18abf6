using System.Text.Json.Nodes;
using AmiSim.Host.Run;
using Xunit;

namespace AmiSim.Host.Tests;

/// <summary>The sweep's pure parts: the grid, the seeds, the estimates, constraints and the choice of the best.</summary>
public sealed class SweepTests
{
    [Fact]
    public void The_grid_holds_every_combination_with_the_first_key_varying_slowest()
    {
        var grid = Sweep.Grid([SweepKey.Parse("campaign.distribution=unicast,multicast"), SweepKey.Parse("amisim.scenario.campaign.sessions-per-collector=4,8,16")]);

        Assert.Equal(["campaign.distribution=unicast, campaign.sessions-per-collector=4", "campaign.distribution=unicast, campaign.sessions-per-collector=8",
            "campaign.distribution=unicast, campaign.sessions-per-collector=16", "campaign.distribution=multicast, campaign.sessions-per-collector=4",
            "campaign.distribution=multicast, campaign.sessions-per-collector=8", "campaign.distribution=multicast, campaign.sessions-per-collector=16"],
            grid.Select(c => c.Label));
        Assert.Equal(["amisim.scenario.campaign.distribution=multicast", "amisim.scenario.campaign.sessions-per-collector=16"], grid[5].Sets);
        Assert.Equal([7L, 8L, 9L], Sweep.Seeds(7, 3));
    }

    [Fact]
    public void A_combination_folder_keeps_only_characters_every_file_system_takes()
    {
        var combination = Sweep.Grid([SweepKey.Parse("campaign.window=\"22:00/6h\"")])[0];

        Assert.Equal("campaign.window=_22_00_6h_", combination.Folder);
    }

    [Theory]
    [InlineData("campaign.distribution", "expected KEY=V1,V2")]
    [InlineData("=unicast", "expected KEY=V1,V2")]
    [InlineData("campaign.distribution=unicast,,multicast", "an empty value")]
    [InlineData("campaign.distribution=unicast,unicast", "a value given twice")]
    public void A_malformed_vary_is_refused_naming_it(string vary, string why)
    {
        var error = Assert.Throws<FormatException>(() => SweepKey.Parse(vary));

        Assert.StartsWith($"--vary {vary}: ", error.Message);
        Assert.Contains(why, error.Message);
    }

    [Fact]
    public void The_interval_is_students_t_over_the_seeds()
    {
        var estimate = Estimate.Of([10, 12, 14]);

        // mean 12, standard deviation 2, t(0.975; 2 degrees of freedom) = 4.302653
        Assert.Equal(12, estimate.Mean, 9);
        Assert.Equal(12 - 4.302653 * 2 / Math.Sqrt(3), estimate.Low, 5);
        Assert.Equal(12 + 4.302653 * 2 / Math.Sqrt(3), estimate.High, 5);
        Assert.Equal(new Estimate(5, 5, 5, 1), Estimate.Of([5]));
        Assert.True(double.IsNaN(Estimate.Of([]).Mean));
    }

    [Theory]
    [InlineData("failed<=0.5%", SweepMetric.Failed, 0.5, true, 0.5)]
    [InlineData("failed <= 0.5 %", SweepMetric.Failed, 0.5, false, 0.6)]
    [InlineData("duration<48", SweepMetric.Duration, 48, false, 48)]
    [InlineData("P95>=10", SweepMetric.P95, 10, true, 10)]
    [InlineData("airtime>1.5", SweepMetric.Airtime, 1.5, true, 1.6)]
    [InlineData("duration<48h", SweepMetric.Duration, 48, true, 47.9)]
    public void A_constraint_bounds_a_metric(string text, SweepMetric metric, double bound, bool holds, double value)
    {
        var constraint = SweepConstraint.Parse(text);

        Assert.Equal(metric, constraint.Metric);
        Assert.Equal(bound, constraint.Bound);
        Assert.Equal(holds, constraint.Holds(value));
    }

    [Theory]
    [InlineData("failed=0.5", "expected METRIC<=NUMBER")]
    [InlineData("speed<3", "no metric speed; the metrics are duration, p95, failed, airtime")]
    [InlineData("faild<=1", "no metric faild (did you mean failed?)")]
    [InlineData("failed<=", "expected METRIC<=NUMBER")]
    [InlineData("failed<=-1", "expected METRIC<=NUMBER")]
    [InlineData("p95<=5%", "p95 is in hours (such as p95<48h), not %")]
    [InlineData("failed<=1h", "failed is in % of the targeted meters")]
    [InlineData("duration<2d", "duration is in hours")]
    public void A_malformed_constraint_is_refused_naming_it_and_the_units(string text, string why)
    {
        var error = Assert.Throws<FormatException>(() => SweepConstraint.Parse(text));

        Assert.StartsWith($"--constraint {text}: ", error.Message);
        Assert.Contains(why, error.Message);
    }

    private static JsonObject Report(double hours, double? p95, int failed, int timedOut, int targeted, double airtimeSeconds) => new()
    {
        ["virtualTime"] = new JsonObject { ["durationHours"] = hours },
        ["timeToShare"] = new JsonObject { ["all"] = new JsonObject { ["p95"] = p95 } },
        ["waves"] = new JsonArray(new JsonObject { ["meters"] = targeted / 2 }, new JsonObject { ["meters"] = targeted - targeted / 2 }),
        ["outcomes"] = new JsonObject { ["Succeeded"] = targeted - failed - timedOut, ["Failed"] = failed, ["TimedOut"] = timedOut },
        ["airtimeSeconds"] = new JsonObject { ["down"] = airtimeSeconds, ["up"] = 1.0 },
    };

    [Fact]
    public void A_runs_metrics_come_from_its_report()
    {
        var report = Report(40, 30, 3, 2, 1000, 7200);

        Assert.Equal(40, Sweep.Measure(report, SweepMetric.Duration));
        Assert.Equal(30, Sweep.Measure(report, SweepMetric.P95));
        Assert.Equal(0.5, Sweep.Measure(report, SweepMetric.Failed), 9);
        Assert.Equal(2, Sweep.Measure(report, SweepMetric.Airtime), 9);
        // A run that never reached 95 % counts its whole duration.
        Assert.Equal(40, Sweep.Measure(Report(40, null, 100, 0, 1000, 0), SweepMetric.P95));
    }

    [Fact]
    public void The_best_combination_has_the_least_mean_objective_among_those_meeting_every_constraint()
    {
        var grid = Sweep.Grid([SweepKey.Parse("campaign.distribution=unicast,multicast,both")]);
        var results = new[]
        {
            Sweep.Summarize(grid[0], [Report(50, 45, 0, 0, 1000, 7000), Report(54, 47, 1, 0, 1000, 7100)], 0),
            Sweep.Summarize(grid[1], [Report(20, 18, 9, 0, 1000, 5000), Report(22, 19, 7, 0, 1000, 5100)], 0), // fastest, but 0.8 % failed
            Sweep.Summarize(grid[2], [Report(30, 25, 2, 0, 1000, 6000)], 1),
        };

        Assert.Equal(grid[1], Sweep.Best(results, SweepMetric.P95, [])!.Combination);
        Assert.Equal(grid[2], Sweep.Best(results, SweepMetric.P95, [SweepConstraint.Parse("failed<=0.5%")])!.Combination);
        Assert.Equal(grid[0], Sweep.Best(results, SweepMetric.Failed, [])!.Combination);
        Assert.Null(Sweep.Best(results, SweepMetric.P95, [SweepConstraint.Parse("duration<10")]));
        Assert.Equal(1, results[2].Failed);
    }

    [Fact]
    public void Sweep_csv_has_a_row_per_combination_with_each_metrics_mean_and_interval()
    {
        var keys = new[] { SweepKey.Parse("campaign.distribution=unicast,multicast") };
        var grid = Sweep.Grid(keys);
        var results = grid.Select(c => Sweep.Summarize(c, [Report(10, 8, 0, 0, 100, 3600), Report(14, 12, 1, 0, 100, 3600)], 0)).ToList();

        var lines = Sweep.Csv(keys, results, [], results[1]).TrimEnd('\n').Split('\n');

        Assert.Equal(3, lines.Length);
        var header = lines[0].Split(',');
        var row = lines[2].Split(',');
        Assert.Equal("multicast", row[Array.IndexOf(header, "campaign.distribution")]);
        Assert.Equal("2", row[Array.IndexOf(header, "runs")]);
        Assert.Equal("12", row[Array.IndexOf(header, "duration_h_mean")]);
        Assert.Equal("0.5", row[Array.IndexOf(header, "failed_pct_mean")]);
        Assert.Equal("1", row[Array.IndexOf(header, "airtime_h_mean")]);
        Assert.True(double.Parse(row[Array.IndexOf(header, "duration_h_ci95_low")], System.Globalization.CultureInfo.InvariantCulture) < 10);
        Assert.Equal("yes", row[Array.IndexOf(header, "meets_constraints")]);
        Assert.Equal(["no", "yes"], lines.Skip(1).Select(l => l.Split(',')[Array.IndexOf(header, "best")]));
        // An interval is cut at 0: no metric is below it.
        Assert.Equal("0", row[Array.IndexOf(header, "failed_pct_ci95_low")]);
    }

    [Fact]
    public void A_sweep_folder_made_with_other_arguments_is_told_apart()
    {
        var dir = Directory.CreateTempSubdirectory("amisim-manifest-").FullName;
        try
        {
            var scenario = Path.Combine(dir, "s.conf");
            File.WriteAllText(scenario, "amisim.scenario.fleet.meters = 100\n");
            var manifest = SweepManifest.Of(scenario, ["amisim.scenario.fleet.collectors=2"], 1);
            manifest.Write(Path.Combine(dir, SweepManifest.FileName));
            var read = SweepManifest.Read(Path.Combine(dir, SweepManifest.FileName));

            Assert.Null(read.Difference(SweepManifest.Of(scenario, ["amisim.scenario.fleet.collectors=2"], 1)));
            Assert.Contains("base seed 1, this sweep has 5", read.Difference(SweepManifest.Of(scenario, ["amisim.scenario.fleet.collectors=2"], 5)));
            Assert.Contains("this sweep has no --set", read.Difference(SweepManifest.Of(scenario, [], 1)));
            File.AppendAllText(scenario, "amisim.scenario.fleet.collectors = 3\n");
            Assert.Contains("has changed", read.Difference(SweepManifest.Of(scenario, ["amisim.scenario.fleet.collectors=2"], 1)));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
