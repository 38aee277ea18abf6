using AmiSim.HeadEnd.Campaign;
using AmiSim.Kernel;
using AmiSim.Meter;
using AmiSim.Mesh.Topology;
using AmiSim.Protocol.C1219;
using Xunit;

namespace AmiSim.Host.Tests;

/// <summary>Each campaign rule pinned on a small fleet.</summary>
public sealed class CampaignRuleTests
{
    [Fact]
    public async Task Incompatible_and_already_updated_meters_are_skipped_with_a_reason()
    {
        var fleet = new TopologySettings { Models = [("AM-100", 0.5), ("AM-200", 0.5)], Firmware = [(new FirmwareVersion(1, 0), 0.7), (new FirmwareVersion(2, 0), 0.3)] };
        await using var run = new CampaignRun(60, 2, new CampaignSettings { CanaryMeters = 5, MaxAttempts = 6 }, fleet: fleet, targetModels: ["AM-100"]);

        await run.RunAsync();

        var outcomes = (await run.OutcomesAsync()).ToDictionary(o => o.Meter);
        foreach (var meter in run.Topology.Meters)
        {
            var outcome = outcomes[meter.Meter.Value];
            if (meter.Model != "AM-100") Assert.Equal((MeterPhase.Skipped, "incompatible: model AM-200 is not a target of FW-2026-02"), (outcome.Phase, outcome.Reason));
            else if (meter.Firmware == CampaignRun.Target) Assert.Equal((MeterPhase.Skipped, "already updated: runs 2.0"), (outcome.Phase, outcome.Reason));
            else Assert.Equal(MeterPhase.Succeeded, outcome.Phase);
        }
        Assert.Contains(outcomes.Values, o => o.Phase == MeterPhase.Succeeded);
        Assert.Equal(2, outcomes.Values.Where(o => o.Phase == MeterPhase.Skipped).Select(o => o.Reason[..5]).Distinct().Count());
    }

    [Fact]
    public async Task A_target_selection_leaves_other_meters_alone()
    {
        await using var run = new CampaignRun(40, 2, new CampaignSettings { CanaryMeters = 4, MaxAttempts = 6 }, targets: new TargetSelection { Collectors = [2] });

        await run.RunAsync();

        var outcomes = await run.OutcomesAsync();
        Assert.All(outcomes, o => Assert.Equal((2, MeterPhase.Succeeded), (o.Collector, o.Phase)));
        Assert.Equal(run.Topology.Cell(2).Count, outcomes.Count);
        foreach (var meter in run.Topology.Cell(1)) Assert.Equal(new FirmwareVersion(1, 0), (await run.BoardAsync(meter.Meter)).Firmware);
    }

    [Fact]
    public async Task A_wave_below_the_success_threshold_pauses_before_the_next()
    {
        await using var run = new CampaignRun(50, 2, new CampaignSettings { CanaryMeters = 10, SuccessThreshold = 0.95, ErrorThresholdShare = 1.0, MaxAttempts = 6 },
            new MeterFaultProfile { ActivationFailure = 0.4 });

        await run.RunAsync();

        var summary = await run.SummaryAsync();
        Assert.Equal(CampaignStatus.Paused, summary.Status);
        Assert.StartsWith("success threshold", summary.PauseReason);
        var outcomes = await run.OutcomesAsync();
        Assert.All(outcomes.Where(o => o.Wave == 0), o => Assert.True(o.Phase is MeterPhase.Succeeded or MeterPhase.Failed));
        Assert.All(outcomes.Where(o => o.Wave > 0), o => Assert.Equal(MeterPhase.Pending, o.Phase));
    }

    [Theory]
    [InlineData(Distribution.Multicast, 2)]
    [InlineData(Distribution.Unicast, 3)]
    public async Task A_collector_never_has_more_sessions_than_allowed(Distribution distribution, int sessions)
    {
        await using var run = new CampaignRun(40, 1, new CampaignSettings { Distribution = distribution, CanaryMeters = 10, SessionsPerCollector = sessions, MaxAttempts = 6 });

        await run.RunAsync();

        var summary = await run.SummaryAsync();
        Assert.Equal(sessions, summary.MostSessionsPerCollector); // used to the limit, never beyond
        Assert.All(await run.OutcomesAsync(), o => Assert.Equal(MeterPhase.Succeeded, o.Phase));
    }

    [Fact]
    public async Task Pause_stops_new_meters_until_resume()
    {
        await using var run = new CampaignRun(60, 2, new CampaignSettings { CanaryMeters = 6, MaxAttempts = 6 });
        var pause = SimTime.FromSeconds(600);
        var resume = SimTime.FromSeconds(30 * 3600);
        run.Simulation.Schedule(CampaignSetup.Lp, pause, new OperatorCommand(OperatorAction.Pause));
        run.Simulation.Schedule(CampaignSetup.Lp, resume, new OperatorCommand(OperatorAction.Resume));

        await run.Simulation.RunAsync(resume);
        var paused = await run.SummaryAsync();
        var atResume = await run.OutcomesAsync();

        Assert.Equal((CampaignStatus.Paused, "operator"), (paused.Status, paused.PauseReason));
        Assert.Contains(atResume, o => o.Phase == MeterPhase.Pending); // later waves waited
        await run.RunAsync();
        var outcomes = await run.OutcomesAsync();
        Assert.Equal(CampaignStatus.Completed, (await run.SummaryAsync()).Status);
        Assert.All(outcomes, o => Assert.Equal(MeterPhase.Succeeded, o.Phase));
        // Meters still waiting at the resume finished after it.
        foreach (var waiting in atResume.Where(o => o.Phase == MeterPhase.Pending))
            Assert.True(outcomes.Single(o => o.Meter == waiting.Meter).FinishedMicros > resume.Micros);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_start_on_named_meters_programs_those_alone_even_across_a_head_end_crash(bool crash)
    {
        // The canary (six meters spread over both collectors) is none of them: its emptied wave is passed over.
        long[] named = [9, 10, 23, 44, 57];
        await using var run = new CampaignRun(60, 2, new CampaignSettings { CanaryMeters = 6, MaxAttempts = 6 }, startAtZero: false);
        Assert.DoesNotContain(run.Topology.Meters.Select(m => m.Meter.Value).Order().Take(6), named.Contains);
        run.Simulation.Schedule(CampaignSetup.Lp, SimTime.FromSeconds(60), new OperatorCommand(OperatorAction.Start, named, "request R-1"));
        if (crash) run.Simulation.Schedule(CampaignSetup.Lp, SimTime.FromSeconds(1200), new HeadEndCrash(TimeSpan.FromMinutes(20)));

        await run.RunAsync();

        var summary = await run.SummaryAsync();
        var outcomes = await run.OutcomesAsync();
        Assert.Equal(CampaignStatus.Completed, summary.Status);
        if (crash) Assert.Equal(1, summary.Restarts);
        foreach (var outcome in outcomes)
            if (named.Contains(outcome.Meter)) Assert.Equal(MeterPhase.Succeeded, outcome.Phase);
            else Assert.Equal((MeterPhase.Skipped, "not requested: request R-1 names other meters"), (outcome.Phase, outcome.Reason));
        Assert.Equal(CampaignRun.Target, (await run.BoardAsync(new AmiSim.Protocol.Network.MeterId(named[0]))).Firmware);
        Assert.Equal(new FirmwareVersion(1, 0), (await run.BoardAsync(new AmiSim.Protocol.Network.MeterId(1))).Firmware);
        Assert.Equal(named.Length, (await run.MdmAsync()).Count(m => m.Firmware == CampaignRun.Target.ToString()));
    }

    [Fact]
    public async Task Cancel_stops_every_meter_not_yet_activating()
    {
        await using var run = new CampaignRun(60, 2, new CampaignSettings { CanaryMeters = 6, MaxAttempts = 6 });
        run.Simulation.Schedule(CampaignSetup.Lp, SimTime.FromSeconds(1800), new OperatorCommand(OperatorAction.Cancel));

        await run.RunAsync();

        var summary = await run.SummaryAsync();
        var outcomes = await run.OutcomesAsync();
        Assert.Equal(CampaignStatus.Canceled, summary.Status);
        Assert.Contains(outcomes, o => o.Phase == MeterPhase.Canceled);
        Assert.All(outcomes, o => Assert.True(o.Phase.IsFinal(), $"meter {o.Meter} left {o.Phase}"));
        foreach (var canceled in outcomes.Where(o => o.Phase == MeterPhase.Canceled).Take(10))
            Assert.Equal(new FirmwareVersion(1, 0), (await run.BoardAsync(new AmiSim.Protocol.Network.MeterId(canceled.Meter))).Firmware);
    }

    [Fact]
    public async Task Retry_failed_gives_the_failed_meters_another_attempt()
    {
        await using var run = new CampaignRun(40, 2, new CampaignSettings { CanaryMeters = 4, SuccessThreshold = 0, ErrorThresholdShare = 1.0, MaxAttempts = 6 },
            new MeterFaultProfile { ActivationFailure = 0.3 });
        await run.RunAsync(days: 2);
        var failedBefore = (await run.OutcomesAsync()).Where(o => o.Phase == MeterPhase.Failed).Select(o => o.Meter).ToList();
        Assert.NotEmpty(failedBefore);

        run.Simulation.Schedule(CampaignSetup.Lp, run.Simulation.Now + TimeSpan.FromHours(1), new OperatorCommand(OperatorAction.RetryFailed));
        await run.RunAsync(days: 6);

        var after = (await run.OutcomesAsync()).ToDictionary(o => o.Meter);
        Assert.Contains(failedBefore, m => after[m].Phase == MeterPhase.Succeeded);
        Assert.All(failedBefore, m => Assert.True(after[m].Attempts > 3));
        Assert.Equal(CampaignStatus.Completed, (await run.SummaryAsync()).Status);
    }
}

/// <summary>The head-end's CIM delivery to the MDM.</summary>
public sealed class MdmDeliveryTests
{
    [Fact]
    public async Task CIM_messages_are_sent_again_until_the_MDM_answers_and_recorded_once()
    {
        // The MDM is unreachable for the campaign's first six hours: every message sent then is lost.
        await using var run = new CampaignRun(40, 2, new CampaignSettings { CanaryMeters = 4, MaxAttempts = 6 },
            mdmOutages: [(SimTime.Zero, SimTime.FromSeconds(6 * 3600))]);

        await run.RunAsync();

        var summary = await run.SummaryAsync();
        Assert.True(summary.CimResent > 0, "messages lost during the outage must be sent again");
        Assert.True(summary.Quiet);
        var mdm = await run.MdmAsync();
        var outcomes = await run.OutcomesAsync();
        Assert.All(outcomes.Where(o => o.Phase == MeterPhase.Succeeded), o =>
        {
            var view = mdm.Single(m => m.Mrid == $"MTR{o.Meter:D10}");
            Assert.Equal("2.0", view.Firmware);
            Assert.Single(view.History, h => h.Kind == AmiSim.Protocol.Cim.EndDeviceEventTypes.FirmwareUpgradeCompleted);
        });
    }
}
