using AmiSim.HeadEnd.Campaign;
using AmiSim.Meter;
using Xunit;

namespace AmiSim.Host.Tests;

/// <summary>The use case end to end on small fleets: program, network, meters, campaign, MDM.</summary>
public sealed class CampaignScenarioTests
{
    [Theory]
    [InlineData(Distribution.Multicast)]
    [InlineData(Distribution.Unicast)]
    public async Task Every_targeted_meter_ends_on_the_new_version_and_the_MDM_agrees(Distribution distribution)
    {
        await using var run = new CampaignRun(60, 2, new CampaignSettings { Distribution = distribution, CanaryMeters = 6, MaxAttempts = 6 });

        await run.RunAsync();

        var summary = await run.SummaryAsync();
        var outcomes = await run.OutcomesAsync();
        Assert.Equal(CampaignStatus.Completed, summary.Status);
        Assert.All(outcomes, o => Assert.Equal(MeterPhase.Succeeded, o.Phase));
        Assert.Equal(60, outcomes.Count);
        foreach (var meter in run.Topology.Meters)
            Assert.Equal(CampaignRun.Target, (await run.BoardAsync(meter.Meter)).Firmware);
        var mdm = await run.MdmAsync();
        Assert.All(mdm, m => Assert.Equal(("2.0", "FW-2026-02"), (m.Firmware, m.ProgramId)));
    }

    [Fact]
    public async Task A_bricking_program_is_stopped_by_the_error_threshold_at_the_canary_wave()
    {
        await using var run = new CampaignRun(80, 2, new CampaignSettings { CanaryMeters = 10, ErrorThresholdShare = 0.2, MaxAttempts = 2 },
            new MeterFaultProfile { Brick = 1.0 });

        await run.RunAsync();

        var summary = await run.SummaryAsync();
        var outcomes = await run.OutcomesAsync();
        Assert.Equal(CampaignStatus.Paused, summary.Status);
        Assert.Contains("error threshold", summary.PauseReason);
        Assert.All(outcomes.Where(o => o.Wave == 0), o => Assert.Equal(MeterPhase.TimedOut, o.Phase));
        Assert.All(outcomes.Where(o => o.Wave > 0), o => Assert.Equal(MeterPhase.Pending, o.Phase));
        var untouched = run.Topology.Meters.Where(m => outcomes.Single(o => o.Meter == m.Meter.Value).Wave > 0).Take(5);
        foreach (var meter in untouched) Assert.False((await run.BoardAsync(meter.Meter)).Bricked);
    }
}

/// <summary>The campaign's time rules: maintenance windows and scheduled activation.</summary>
public sealed class CampaignTimingTests
{
    [Fact]
    public async Task Transfers_wait_for_the_nightly_maintenance_window()
    {
        var window = new MaintenanceWindow(TimeSpan.FromHours(2), TimeSpan.FromHours(4));
        await using var run = new CampaignRun(40, 2, new CampaignSettings { CanaryMeters = 4, TransferWindow = window, MaxAttempts = 6 });

        await run.Simulation.RunAsync(AmiSim.Kernel.SimTime.From(TimeSpan.FromHours(2)));
        foreach (var meter in run.Topology.Meters)
            Assert.Equal(AmiSim.Protocol.C1219.ImageTransferStatus.NotInitiated, (await run.BoardAsync(meter.Meter)).TransferStatus);

        await run.RunAsync();

        var outcomes = await run.OutcomesAsync();
        Assert.All(outcomes, o => Assert.Equal(MeterPhase.Succeeded, o.Phase));
        Assert.All(outcomes, o => Assert.True(o.FinishedMicros > TimeSpan.FromHours(2).Ticks / 10, $"meter {o.Meter} finished before the window opened"));
    }

    [Fact]
    public async Task Download_now_activate_later_switches_versions_only_at_the_scheduled_time()
    {
        var activateAt = AmiSim.Kernel.SimTime.From(TimeSpan.FromHours(20));
        await using var run = new CampaignRun(30, 1, new CampaignSettings { CanaryMeters = 30, ActivateAt = activateAt, MaxAttempts = 6 });

        await run.Simulation.RunAsync(activateAt);
        foreach (var meter in run.Topology.Meters)
        {
            var board = await run.BoardAsync(meter.Meter);
            Assert.Equal(new AmiSim.Protocol.C1219.FirmwareVersion(1, 0), board.Firmware);
            Assert.Equal(AmiSim.Protocol.C1219.ImageTransferStatus.ActivationInitiated, board.TransferStatus);
        }

        await run.RunAsync();
        var outcomes = await run.OutcomesAsync();
        Assert.All(outcomes, o => Assert.Equal(MeterPhase.Succeeded, o.Phase));
        Assert.All(outcomes, o => Assert.True(o.FinishedMicros >= activateAt.Micros + 20_000_000));
    }
}

/// <summary>A head-end that crashes and restarts from its journal loses no confirmation and counts none twice.</summary>
public sealed class HeadEndCrashTests
{
    private static async Task<(IReadOnlyList<MeterOutcome> Outcomes, IReadOnlyList<AmiSim.HeadEnd.Mdm.MdmQueries.MeterView> Mdm, string[] Boards, CampaignSummary Summary)> Run(params double[] crashHours)
    {
        // Snapshots every 7 flushes, so that recovery starts from a snapshot and replays the flushes after it.
        await using var run = new CampaignRun(60, 2, new CampaignSettings { CanaryMeters = 6, MaxAttempts = 8, SnapshotEvery = 7, SnapshotJournalRatio = 0 }, new AmiSim.Meter.MeterFaultProfile { ActivationFailure = 0.05 });
        foreach (var hour in crashHours)
            run.Simulation.Schedule(CampaignSetup.Lp, AmiSim.Kernel.SimTime.FromSeconds(hour * 3600), new HeadEndCrash(TimeSpan.FromMinutes(40)));
        await run.RunAsync();
        var boards = new List<string>();
        foreach (var meter in run.Topology.Meters) boards.Add((await run.BoardAsync(meter.Meter)).Firmware.ToString());
        return (await run.OutcomesAsync(), await run.MdmAsync(), boards.ToArray(), await run.SummaryAsync());
    }

    [Theory]
    [InlineData(0.3)]
    [InlineData(1.0)]
    [InlineData(2.0)]
    [InlineData(1.0, 6.0)]
    public async Task A_crash_ends_with_the_same_versions_and_counts_as_the_run_without_it(params double[] crashHours)
    {
        var (expected, _, expectedBoards, _) = await Run();
        var (outcomes, mdm, boards, summary) = await Run(crashHours);

        Assert.Equal(crashHours.Length, summary.Restarts);
        Assert.Equal(expectedBoards, boards);
        Assert.Equal(expected.GroupBy(o => o.Phase).ToDictionary(g => g.Key, g => g.Count()), outcomes.GroupBy(o => o.Phase).ToDictionary(g => g.Key, g => g.Count()));
        Assert.Equal(expected.Select(o => (o.Meter, o.Phase, o.FirmwareAfter)), outcomes.Select(o => (o.Meter, o.Phase, o.FirmwareAfter)));
        // The MDM holds each meter's new version once, and one completion event per succeeded meter.
        Assert.All(outcomes.Where(o => o.Phase == MeterPhase.Succeeded), o =>
        {
            var view = mdm.Single(m => m.Mrid == $"MTR{o.Meter:D10}");
            Assert.Equal("2.0", view.Firmware);
            Assert.Single(view.History, h => h.Kind == AmiSim.Protocol.Cim.EndDeviceEventTypes.FirmwareUpgradeCompleted);
        });
    }

    [Fact]
    public async Task A_crash_as_a_confirmation_arrives_drops_what_reaches_the_dead_head_end()
    {
        // One second before the head-end heard of its first success in the run without a crash, that meter's
        // answer is on its way: it reaches a dead head-end.
        var (quiet, _, _, _) = await Run();
        var first = quiet.Where(o => o.Phase == MeterPhase.Succeeded).Min(o => o.FinishedMicros);
        var (_, _, _, summary) = await Run((first - 1_000_000) / 3_600_000_000.0);
        Assert.True(summary.DroppedWhileDown > 0, "frames sent to the dead head-end were dropped");
    }
}
