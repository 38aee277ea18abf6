using System.Text.Json.Nodes;
using Xunit;

namespace AmiSim.Host.Tests;

/// <summary>`amisim run` through the real command line, on small scenarios.</summary>
[Collection("runs")] // runs use the console and Serilog's global logger: one at a time
public sealed class RunCommandTests : IDisposable
{
    private static readonly string[] Small = SmallFleet.Args();

    private readonly string _dir = Directory.CreateTempSubdirectory("amisim-run-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private async Task<(int Code, JsonObject? Report)> Run(string name, params string[] args)
    {
        var folder = Path.Combine(_dir, name);
        var code = await AmiSimApp.Create().RunAsync(["run", "--out", folder, .. Small, .. args]);
        var report = Path.Combine(folder, "report.json");
        return (code, File.Exists(report) ? JsonNode.Parse(await File.ReadAllTextAsync(report))!.AsObject() : null);
    }

    [Fact]
    public async Task A_run_writes_a_report_that_accounts_for_every_meter_and_agrees_with_the_MDM()
    {
        var (code, report) = await Run("a");

        Assert.Equal(0, code);
        var outcomes = report!["outcomes"]!.AsObject();
        Assert.Equal(120, outcomes.Sum(o => o.Value!.GetValue<int>()));
        var succeeded = outcomes["Succeeded"]!.GetValue<int>();
        Assert.True(succeeded >= 110, $"{succeeded} of 120 succeeded");
        Assert.Equal(succeeded, report["mdm"]!["metersOnProgramVersion"]!.GetValue<int>());
        Assert.True(report["mdm"]!["agreesWithCampaign"]!.GetValue<bool>());
        var csv = await File.ReadAllLinesAsync(Path.Combine(_dir, "a", "meters.csv"));
        Assert.Equal(121, csv.Length);
        Assert.All(csv.Skip(1).Where(l => l.Contains(",Succeeded,")), l => Assert.Contains(",2.0,Succeeded,", l));
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(_dir, "a", "cim"), "*.xml"));
        Assert.True(File.Exists(Path.Combine(_dir, "a", "headend.db")));
        Assert.Contains("Step 1.2", await File.ReadAllTextAsync(Path.Combine(_dir, "a", "amisim.log")));

        var trace = await File.ReadAllLinesAsync(Path.Combine(_dir, "a", "trace.txt"));
        var firstMeter = trace.SkipWhile(l => !l.StartsWith("== meter", StringComparison.Ordinal)).Skip(1).TakeWhile(l => l.Length > 0).ToList();
        var steps = trace.Take(3).Concat(firstMeter).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries).ElementAtOrDefault(1)).ToHashSet();
        foreach (var step in new[] { "1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "1.7", "1.8", "1.9", "1.10", "1.11" })
            Assert.Contains(step, steps);

        var html = await File.ReadAllTextAsync(Path.Combine(_dir, "a", "report.html"));
        Assert.Equal(5, html.Split("<svg").Length - 1);
        foreach (var title in new[] { "Meters finished over virtual time", "Outcomes", "Success by collector", "Success by hop depth", "Airtime by collector" })
            Assert.Contains(title, html);
        Assert.DoesNotContain("http://", html.Replace("http://www.w3.org", "")); // self-contained

        File.Delete(Path.Combine(_dir, "a", "report.html"));
        Assert.Equal(0, await AmiSimApp.Create().RunAsync(["report", Path.Combine(_dir, "a")]));
        Assert.Equal(html, await File.ReadAllTextAsync(Path.Combine(_dir, "a", "report.html")));
    }

    [Fact]
    public async Task One_seed_gives_one_digest_and_the_same_CIM_files_another_seed_another_digest()
    {
        var (_, first) = await Run("first", "--seed", "5");
        var (_, second) = await Run("second", "--seed", "5");
        var (_, other) = await Run("other", "--seed", "6");

        Assert.Equal(first!["resultDigest"]!.GetValue<string>(), second!["resultDigest"]!.GetValue<string>());
        Assert.NotEqual(first["resultDigest"]!.GetValue<string>(), other!["resultDigest"]!.GetValue<string>());
        var firstCim = Directory.GetFiles(Path.Combine(_dir, "first", "cim")).Select(Path.GetFileName).Order().ToList();
        Assert.Equal(firstCim, Directory.GetFiles(Path.Combine(_dir, "second", "cim")).Select(Path.GetFileName).Order().ToList());
        foreach (var file in firstCim)
            Assert.Equal(await File.ReadAllTextAsync(Path.Combine(_dir, "first", "cim", file!)), await File.ReadAllTextAsync(Path.Combine(_dir, "second", "cim", file!)));
    }

    [Fact]
    public async Task Kernel_partitions_do_not_change_the_result()
    {
        var (_, one) = await Run("p1", "--set", "amisim.kernel.partitions=1");
        var (_, three) = await Run("p3", "--set", "amisim.kernel.partitions=3");

        Assert.Equal(one!["resultDigest"]!.GetValue<string>(), three!["resultDigest"]!.GetValue<string>());
    }

    /// <summary>
    /// The campaign's orders to its stations (pause, resume, a crash and the plan after the restart)
    /// cross partitions one station latency late: the result is still the one of a single partition.
    /// </summary>
    [Fact]
    public async Task A_crash_and_the_operator_give_the_same_result_on_partitions_as_on_one()
    {
        string[] script =
        [
            "--set", "amisim.scenario.operator-actions=[{ at = 20m, action = pause }, { at = 35m, action = resume }]",
            "--set", "amisim.scenario.head-end-crashes=[{ at = 1h, downtime = 20m }]",
        ];
        var (_, one) = await Run("crash-p1", [.. script, "--set", "amisim.kernel.partitions=1"]);
        var (_, three) = await Run("crash-p3", [.. script, "--set", "amisim.kernel.partitions=3"]);

        Assert.Equal(120, one!["outcomes"]!.AsObject().Sum(o => o.Value!.GetValue<int>()));
        Assert.Contains(Directory.GetFiles(Path.Combine(_dir, "crash-p1", "cim")), f => Path.GetFileName(f).Contains("-r1-")); // sent after the restart
        Assert.Equal(one["resultDigest"]!.GetValue<string>(), three!["resultDigest"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("amisim.scenario.fleet.meterz=10")]
    [InlineData("amisim.scenario.fleet.meters=lots")]
    [InlineData("amisim.scenario.campaign.distribution=broadcast")]
    [InlineData("amisim.scenario.network.hop-latency=100")]
    [InlineData("amisim.heap-limit=lots")]
    public async Task A_bad_key_or_value_stops_the_run_with_a_nonzero_exit_and_no_report(string set)
    {
        var (code, report) = await Run("bad", "--set", set);

        Assert.Equal(2, code);
        Assert.Null(report);
    }

    [Fact]
    public async Task A_bad_scenario_file_is_rejected_naming_the_file_and_key()
    {
        var file = Path.Combine(_dir, "bad.conf");
        await File.WriteAllTextAsync(file, "amisim.scenario.campaign.canary = 5\n");
        var (code, _, error) = await CommandLine.RunAsync("run", "--scenario", file, "--out", Path.Combine(_dir, "x"));
        Assert.Equal(2, code);
        var text = error.Replace("\n", " ");
        Assert.Contains("bad.conf", text);
        Assert.Contains("amisim.scenario.campaign.canary", text);
    }
}
