using System.Text.Json.Nodes;
using Xunit;

namespace AmiSim.Host.Tests;

/// <summary>A run's exit code tells a CI job how the rehearsed rollout ended (issue case 8), and report.json says which amisim ran it and how (case 15).</summary>
[Collection("runs")]
public sealed class ExitCodeTests : IDisposable
{
    private static readonly string Scenarios = Path.Combine(AppContext.BaseDirectory, "scenarios");
    private readonly string _dir = Directory.CreateTempSubdirectory("amisim-exit-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string[] Small(int meters) => SmallFleet.Args(meters, programBytes: 8192);

    [Fact]
    public async Task A_campaign_stopped_by_its_error_threshold_exits_3_with_its_report_written()
    {
        var folder = Path.Combine(_dir, "brick");
        var (code, _, error) = await CommandLine.RunAsync(["run", "--scenario", Path.Combine(Scenarios, "bricking-canary.conf"), "--out", folder,
            "--set", "amisim.scenario.fleet.meters=200", "--set", "amisim.scenario.fleet.collectors=2"]);

        Assert.Equal(ExitCode.CampaignNotCompleted, code);
        Assert.Contains("the campaign ended paused", error);
        var report = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(folder, "report.json")))!;
        Assert.Equal("paused", report["campaign"]!["status"]!.GetValue<string>());
        Assert.True(File.Exists(Path.Combine(folder, "meters.csv")));
    }

    [Fact]
    public async Task Failures_above_fail_above_exit_3_and_within_it_exit_0()
    {
        // A fifth of the meters fail to write flash for good: the campaign completes with failures.
        string[] faulty = [.. Small(100), "--set", "amisim.scenario.faults.flash-write-failure=0.2", "--set", "amisim.scenario.campaign.max-attempts=1",
            "--set", "amisim.scenario.campaign.error-threshold-count=0", "--set", "amisim.scenario.campaign.error-threshold-share=1", "--set", "amisim.scenario.campaign.success-threshold=0"];
        var strict = await CommandLine.RunAsync(["run", "--out", Path.Combine(_dir, "strict"), "--fail-above", "0.01", .. faulty]);
        var lenient = await CommandLine.RunAsync(["run", "--out", Path.Combine(_dir, "lenient"), "--fail-above", "0.99", .. faulty]);

        var report = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(_dir, "strict", "report.json")))!;
        Assert.Equal("completed", report["campaign"]!["status"]!.GetValue<string>());
        var failed = report["outcomes"]!.AsObject().Where(o => o.Key is "Failed" or "TimedOut").Sum(o => o.Value!.GetValue<int>());
        Assert.True(failed > 1, $"{failed} failed: the scenario should fail some meters");
        Assert.Equal(ExitCode.CampaignNotCompleted, strict.Code);
        Assert.Contains("--fail-above", strict.Error);
        Assert.Equal(ExitCode.Completed, lenient.Code);
    }

    [Fact]
    public async Task Report_json_records_the_version_and_the_command_line_outside_the_digest()
    {
        var first = Path.Combine(_dir, "first");
        var second = Path.Combine(_dir, "second");
        Assert.Equal(0, (await CommandLine.RunAsync(["run", "--out", first, .. Small(40)])).Code);
        Assert.Equal(0, (await CommandLine.RunAsync(["run", "--seed", "1", "--out", second, .. Small(40)])).Code);

        var a = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(first, "report.json")))!;
        var b = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(second, "report.json")))!;
        Assert.Equal(AmiSimApp.Version, a["amisim"]!["version"]!.GetValue<string>());
        Assert.StartsWith($"amisim run --out {first} --set amisim.scenario.fleet.meters=40", a["amisim"]!["commandLine"]!.GetValue<string>());
        Assert.Contains("--seed 1", b["amisim"]!["commandLine"]!.GetValue<string>());
        Assert.Equal(a["resultDigest"]!.GetValue<string>(), b["resultDigest"]!.GetValue<string>());
        Assert.Contains("amisim " + AmiSimApp.Version, await File.ReadAllTextAsync(Path.Combine(first, "amisim.log")));
    }
}
