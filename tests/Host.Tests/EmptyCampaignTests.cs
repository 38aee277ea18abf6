using System.Text.Json.Nodes;
using AmiSim.Host.Cli;
using AmiSim.Protocol.Programs;
using AmiSim.Scenario;
using Xunit;

namespace AmiSim.Host.Tests;

/// <summary>
/// `amisim run` on campaigns with nothing to do (every meter skipped, no meter targeted, canceled at
/// once), on a program for none of the fleet's models, and what amisim.log tells of a campaign.
/// </summary>
[Collection("runs")] // runs use the console and Serilog's global logger: one at a time
public sealed class EmptyCampaignTests : IDisposable
{
    private static readonly string[] Small = SmallFleet.Args();

    private readonly string _dir = Directory.CreateTempSubdirectory("amisim-empty-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private sealed record Outcome(int Code, JsonObject? Report, string[] Csv, string Log);

    private async Task<Outcome> Run(string name, params string[] args)
    {
        var folder = Path.Combine(_dir, name);
        var code = await AmiSimApp.Create().RunAsync(["run", "--out", folder, .. Small, .. args]);
        string In(string file) => Path.Combine(folder, file);
        return new Outcome(code,
            File.Exists(In("report.json")) ? JsonNode.Parse(await File.ReadAllTextAsync(In("report.json")))!.AsObject() : null,
            File.Exists(In("meters.csv")) ? await File.ReadAllLinesAsync(In("meters.csv")) : [],
            File.Exists(In("amisim.log")) ? await File.ReadAllTextAsync(In("amisim.log")) : "");
    }

    /// <summary>The run completed at zero with every meter skipped, each with <paramref name="reason"/> in meters.csv and counted by it in report.json.</summary>
    private static void CompletedAtOnceSkipping(Outcome run, Func<string, string> reason)
    {
        Assert.Equal(ExitCode.Completed, run.Code);
        var report = run.Report!;
        Assert.Equal("completed", report["campaign"]!["status"]!.GetValue<string>());
        Assert.Equal(0, report["campaign"]!["waves"]!.GetValue<int>());
        Assert.Equal(120, report["outcomes"]!["Skipped"]!.GetValue<int>());
        Assert.Equal(0, report["virtualTime"]!["durationHours"]!.GetValue<double>());
        Assert.Equal(0, report["mdm"]!["cimMessages"]!.GetValue<int>());
        Assert.Equal(121, run.Csv.Length);
        var reasons = new Dictionary<string, int>();
        foreach (var line in run.Csv.Skip(1))
        {
            var cells = line.Split(',');
            Assert.Equal(("Skipped", reason(cells[4])), (cells[6], cells[7])); // version_before, final_state, reason
            reasons[cells[7]] = reasons.GetValueOrDefault(cells[7]) + 1;
        }
        var reported = report["skipped"]!["reasons"]!.AsObject().ToDictionary(r => r.Key, r => r.Value!.GetValue<int>());
        Assert.Equal(reasons.OrderBy(r => r.Key), reported.OrderBy(r => r.Key));
        Assert.Equal(0, report["skipped"]!["notTargeted"]!.GetValue<int>());
        Assert.Contains("nothing to do", run.Log);
    }

    [Fact]
    public async Task A_program_allowed_over_no_version_of_the_fleet_completes_at_once_with_every_meter_skipped()
    {
        var run = await Run("allowed", "--set", """amisim.scenario.program.allowed-from=["7.7"]""");

        CompletedAtOnceSkipping(run, version => $"incompatible: FW-2026-01 cannot be applied over {version}");
        Assert.Equal(0, run.Report!["mdm"]!["metersOnProgramVersion"]!.GetValue<int>());
        Assert.True(run.Report["mdm"]!["agreesWithCampaign"]!.GetValue<bool>());
    }

    [Fact]
    public async Task A_fleet_already_on_the_new_version_completes_at_once_with_every_meter_skipped()
    {
        var run = await Run("updated", "--set", """amisim.scenario.fleet.firmware=[{ version = "2.0", weight = 1 }]""");

        CompletedAtOnceSkipping(run, _ => "already updated: runs 2.0");
        Assert.Equal(120, run.Report!["mdm"]!["metersOnProgramVersion"]!.GetValue<int>()); // the MDM answers: its fleet already runs 2.0
    }

    [Fact]
    public async Task Targets_that_select_no_meter_complete_at_once_with_no_meter_touched()
    {
        var run = await Run("untargeted", "--set", """amisim.scenario.campaign.targets.models=["AM-999"]""");

        Assert.Equal(ExitCode.Completed, run.Code);
        var report = run.Report!;
        Assert.Equal("completed", report["campaign"]!["status"]!.GetValue<string>());
        Assert.Empty(report["outcomes"]!.AsObject());
        Assert.Equal(120, report["skipped"]!["notTargeted"]!.GetValue<int>());
        Assert.Single(run.Csv); // the header: no meter is the campaign's
        Assert.Contains("nothing to do", run.Log);
    }

    [Fact]
    public async Task A_cancel_at_zero_cancels_every_meter_and_the_run_ends()
    {
        var run = await Run("canceled", "--set", "amisim.scenario.operator-actions=[{ at = 0m, action = cancel }]");

        Assert.NotNull(run.Report);
        Assert.Equal("canceled", run.Report["campaign"]!["status"]!.GetValue<string>());
        Assert.Equal(120, run.Report["outcomes"]!["Canceled"]!.GetValue<int>());
        Assert.All(run.Csv.Skip(1), line => Assert.Contains(",Canceled,canceled by the operator,", line));
        Assert.Contains("campaign canceled", run.Log);
    }

    /// <summary>A catalogue scenario's log; the run ends with <see cref="ExitCode.CampaignNotCompleted"/> where the campaign does not complete (bricking-canary).</summary>
    private async Task<string> RunScenario(string name, params string[] args)
    {
        var folder = Path.Combine(_dir, name);
        Assert.Equal(name == "bricking-canary" ? ExitCode.CampaignNotCompleted : ExitCode.Completed, await AmiSimApp.Create().RunAsync(["run", "--scenario", Path.Combine(AppContext.BaseDirectory, "scenarios", name + ".conf"), "--out", folder, .. args]));
        return await File.ReadAllTextAsync(Path.Combine(folder, "amisim.log"));
    }

    [Fact]
    public async Task The_log_tells_the_campaign_wave_by_wave_with_its_pauses_thresholds_and_virtual_times()
    {
        var paused = await RunScenario("operator-pause");

        Assert.Contains("[00:00:00.000] campaign C1: started: FW-2026-01 2.0 to 1000 meters in 3 waves", paused);
        Assert.Contains("[00:00:00.000] campaign C1: wave 1 of 3 started: 20 meters under 2 collectors", paused);
        Assert.Matches(@"\] campaign C1: wave 1 of 3 ended: 20 Succeeded of 20 meters", paused);
        Assert.Matches(@"\] campaign C1: wave 1: success threshold met: 20 of 20 meters succeeded \(100\.0 %, threshold 90 %\)", paused);
        Assert.Matches(@"\] campaign C1: paused in wave 1: inspection after the canary wave", paused);
        Assert.Contains("[12:00:00.000] campaign C1: operator: resume (the campaign is paused)", paused);
        Assert.Contains("[12:00:00.000] campaign C1: resumed (paused before), in wave 1 of 3", paused);
        Assert.Contains("[12:00:00.000] campaign C1: wave 2 of 3 started", paused);
        Assert.Matches(@"\[1d [0-9:.]+\] campaign C1: campaign completed after 3 waves: 998 Succeeded, 1 Failed, 1 TimedOut", paused);
        Assert.DoesNotContain("[DBG]", paused);

        var bricked = await RunScenario("bricking-canary");

        Assert.Contains("campaign C1: wave 1 of 3 started: 20 meters under 4 collectors", bricked);
        Assert.Matches(@"\[INF\] \[[0-9:.]+\] campaign C1: wave 1: error threshold exceeded: \d+ of \d+ finished meters \(20 in the wave\) failed or timed out \(threshold: 20 % of those finished\)", bricked);
        Assert.Matches(@"\[INF\] \[[0-9:.]+\] campaign C1: paused in wave 1: error threshold: \d+ of \d+ finished meters of wave 1 failed or timed out", bricked);
        Assert.Contains("campaign C1: wave 1 of 3 ended: 20 TimedOut of 20 meters", bricked);
        Assert.Contains("[WRN] ", bricked);
        Assert.Contains("campaign C1: wave 1: 20 meters timed out, by collector: 1: 5, 2: 5, 3: 5, 4: 5", bricked);
        // Time-outs are grouped: one warning per wave and collector at most, and one for the wave.
        var lines = bricked.Split('\n');
        Assert.Equal(4, lines.Count(l => l.Contains("first time-out here")));
        Assert.DoesNotContain(lines, l => l.Contains("wave 2 of 3 started"));
    }

    [Fact]
    public async Task The_log_tells_each_head_end_crash_and_what_the_restart_recovered()
    {
        var log = await RunScenario("head-end-crash");

        Assert.Matches(@"\[01:00:00\.000\] campaign C1: head-end crashed, down for 00:40:00: lost \d+ meter transitions not yet journaled", log);
        Assert.Contains("[01:40:00.000] campaign C1: head-end restarted after its crash", log);
        Assert.Matches(@"\[01:40:00\.000\] campaign C1: head-end recovered from its journal \(\d+ flushes\): campaign running in wave 1 of 3, \d+ meters finished, \d+ in flight", log);
        Assert.Equal(2, log.Split('\n').Count(l => l.Contains("head-end recovered from its journal")));
    }

    [Fact]
    public async Task Akka_loglevel_DEBUG_adds_debug_lines_to_the_log()
    {
        var log = (await Run("debug", "--set", "akka.loglevel=DEBUG")).Log;

        Assert.Contains("[DBG] ", log);
        Assert.Matches(@"\[DBG\] \[[0-9:.]+\] campaign C1: flush 1: \d+ transitions", log);
        Assert.Matches(@"\[DBG\] \[[0-9:.]+\] MDM: answered OK to message C1-000001", log);
    }

    [Fact]
    public async Task A_program_for_none_of_the_fleets_models_is_refused_before_the_run_naming_the_models()
    {
        var folder = Path.Combine(_dir, "incompatible");
        var (code, _, error) = await CommandLine.RunAsync(["run", "--out", folder, .. Small, "--set", """amisim.scenario.program.target-models=["AM-999"]"""]);

        Assert.Equal(ExitCode.BadInput, code);
        Assert.Contains("Incompatible: FW-2026-01 2.0 targets models AM-999, none of which is in the fleet (its models: AM-100, AM-200)", error);
        Assert.Contains("--set amisim.scenario.program.target-models", error);
        Assert.False(Directory.Exists(folder), "a refused run made its folder");
    }
}
