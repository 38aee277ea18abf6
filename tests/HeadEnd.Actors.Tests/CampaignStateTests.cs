using Akka.Event;
using AmiSim.HeadEnd.Campaign;
using AmiSim.Kernel;
using AmiSim.Protocol.C1219;
using AmiSim.Protocol.Cim;
using Xunit;

namespace AmiSim.HeadEnd.Tests;

/// <summary>
/// The campaign's rules on its state alone (no actor system): plan, waves and thresholds, operator
/// actions, the head-end's crash and restore, durability and the MDM's reports. Ten meters under two
/// collectors unless said: a canary of two (meters 2 and 1), then waves of four and four.
/// </summary>
public sealed class CampaignStateTests
{
    private static readonly TimeSpan Tick = TimeSpan.FromSeconds(5); // the default flush interval: the head-end's clock
    private static readonly TimeSpan ConfirmDelay = TimeSpan.FromMinutes(4);

    private static readonly CampaignSettings Small = new() { CanaryMeters = 2, WaveShares = [0.5, 0.5] };

    private static CampaignStateRun Started(CampaignSettings? settings = null, int meters = 10)
    {
        var run = new CampaignStateRun(settings ?? Small, meters);
        run.Handle(StartCampaign.Instance);
        run.Advance(Tick); // the plan and the first wave reach the stations
        return run;
    }

    /// <summary>The head-end crashes now (once the batches in flight are written) and restarts 40 minutes later.</summary>
    private static void CrashAndRestart(CampaignStateRun run)
    {
        run.Handle(new HeadEndCrash(TimeSpan.FromMinutes(40)));
        if (run.AwaitingJournal) run.JournalAnswers();
        run.Advance(TimeSpan.FromMinutes(40));
    }

    // ---- plan and waves -------------------------------------------------------------------------

    [Fact]
    public void The_plan_skips_incompatible_and_already_updated_meters_with_their_reasons_and_journals_them_first()
    {
        var fleet = Enumerable.Range(1, 6).Select(n => CampaignStateRun.Meter(n)).Append(CampaignStateRun.Meter(7, model: "AM-900"))
            .Append(CampaignStateRun.Meter(8, firmware: CampaignStateRun.Target)).ToList();
        var run = new CampaignStateRun(Small, fleet: fleet, targetModels: ["AM-100"]);

        run.Handle(StartCampaign.Instance);

        var outcomes = run.Outcomes;
        Assert.Equal((MeterPhase.Skipped, "incompatible: model AM-900 is not a target of FW-X", -1), (outcomes[7].Phase, outcomes[7].Reason, outcomes[7].Wave));
        Assert.Equal((MeterPhase.Skipped, "already updated: runs 2.0", -1), (outcomes[8].Phase, outcomes[8].Reason, outcomes[8].Wave));
        Assert.All(Enumerable.Range(1, 6), n => Assert.Equal(MeterPhase.Pending, outcomes[n].Phase));
        var summary = run.Summary;
        Assert.Equal((CampaignStatus.Running, 1, 3), (summary.Status, summary.Wave, summary.Waves));
        Assert.Equal(2, summary.Phases[MeterPhase.Skipped]);

        run.Advance(Tick);

        var first = Assert.Single(run.Batches);
        Assert.Equal([7L, 8L], first.Transitions.Select(t => t.Meter));
        Assert.All(first.Transitions, t => Assert.Equal(MeterPhase.Skipped, t.Phase));
        Assert.Equal((CampaignStatus.Running, 0), (CampaignStatuses.Parse(first.Status), first.Wave));
        Assert.Equal(new CampaignOutline([2, 2, 2], 2), first.Plan);
    }

    [Fact]
    public void Orders_are_dispatched_at_the_head_end_clocks_next_tick_plans_before_the_first_wave()
    {
        var run = new CampaignStateRun(Small);
        run.AdvanceTo(SimTime.FromSeconds(2));

        run.Handle(StartCampaign.Instance);
        run.AdvanceTo(SimTime.FromSeconds(4.9));

        Assert.Empty(run.Sent);

        run.AdvanceTo(SimTime.FromSeconds(5));

        var orders = run.Orders();
        Assert.Equal([(1, typeof(StationPlan)), (2, typeof(StationPlan)), (1, typeof(StationWave)), (2, typeof(StationWave))], orders.Select(o => (o.Collector, o.Order.GetType())));
        Assert.All(orders.Select(o => o.Order).OfType<StationPlan>(), p => Assert.Equal((0, CampaignStatus.Running, -1, 0), (p.Incarnation, p.Status, p.RestoreWave, p.Phases.Length)));
        Assert.All(orders.Select(o => o.Order).OfType<StationWave>(), w => Assert.Equal(new StationWave(0, 0), w));
        Assert.All(run.Sent, s => Assert.Equal(SimTime.FromSeconds(5) + Small.StationLatency, s.At));
    }

    [Fact]
    public void A_wave_that_meets_the_success_threshold_starts_the_next()
    {
        var run = Started();

        run.Report(MeterPhase.Succeeded, run.Wave(0));
        run.Advance(Tick);

        Assert.Equal(2, run.Summary.Wave);
        Assert.Equal([(1, new StationWave(0, 1)), (2, new StationWave(0, 1))], run.Orders().Where(o => o.Order is StationWave { Wave: 1 }));
    }

    [Fact]
    public void Pause_after_canary_holds_the_next_wave_until_the_operator_resumes()
    {
        var run = Started(Small with { PauseAfterCanary = true });

        run.Report(MeterPhase.Succeeded, run.Wave(0));
        run.Advance(Tick);

        Assert.Equal((CampaignStatus.Paused, "inspection after the canary wave"), (run.Summary.Status, run.Summary.PauseReason));
        Assert.Contains((1, new StationStatus(0, CampaignStatus.Paused)), run.Orders());
        Assert.DoesNotContain(run.Orders(), o => o.Order is StationWave { Wave: 1 });

        run.Operator(OperatorAction.Resume);
        run.Advance(Tick);

        Assert.Equal((CampaignStatus.Running, "", 2), (run.Summary.Status, run.Summary.PauseReason, run.Summary.Wave));
        Assert.Equal([new StationStatus(0, CampaignStatus.Running), new StationWave(0, 1)], run.Orders().Where(o => o.Collector == 1).Select(o => o.Order).TakeLast(2));
    }

    [Fact]
    public void A_finished_wave_below_the_success_threshold_pauses_before_the_next()
    {
        var run = Started();

        run.Report(MeterPhase.Succeeded, run.Wave(0).Take(1));
        run.Report(MeterPhase.Failed, run.Wave(0).Skip(1));
        run.Advance(Tick);

        Assert.Equal((CampaignStatus.Paused, "success threshold: only 1 of 2 meters of wave 1 succeeded"), (run.Summary.Status, run.Summary.PauseReason));
        Assert.DoesNotContain(run.Orders(), o => o.Order is StationWave { Wave: 1 });
    }

    [Fact]
    public void The_error_threshold_count_pauses_the_wave_as_soon_as_that_many_of_its_meters_failed()
    {
        var run = Started(Small with { CanaryMeters = 10, ErrorThresholdCount = 2, ErrorThresholdShare = 1.0 }, meters: 20);

        run.Report(MeterPhase.Failed, run.Wave(0).Take(1));
        Assert.Equal(CampaignStatus.Running, run.Summary.Status);

        run.Report(MeterPhase.TimedOut, run.Wave(0).Skip(1).Take(1));

        Assert.Equal((CampaignStatus.Paused, "error threshold: 2 of 2 finished meters of wave 1 failed or timed out"), (run.Summary.Status, run.Summary.PauseReason));
    }

    [Fact]
    public void The_error_threshold_share_is_judged_once_five_meters_and_a_fifth_of_the_wave_have_finished()
    {
        var run = Started(Small with { CanaryMeters = 10 }, meters: 20);

        run.Report(MeterPhase.Failed, run.Wave(0).Take(4));
        Assert.Equal(CampaignStatus.Running, run.Summary.Status);

        run.Report(MeterPhase.Succeeded, run.Wave(0).Skip(4).Take(1));

        Assert.Equal((CampaignStatus.Paused, "error threshold: 4 of 5 finished meters of wave 1 failed or timed out"), (run.Summary.Status, run.Summary.PauseReason));
    }

    [Fact]
    public void The_last_wave_finished_completes_the_campaign_and_it_goes_quiet_once_durable_and_answered()
    {
        var run = Started(Small with { CanaryMeters = 2 }, meters: 2);

        run.Report(MeterPhase.Succeeded, run.Wave(0));

        Assert.Equal(CampaignStatus.Completed, run.Summary.Status);
        Assert.False(run.Summary.Quiet);

        run.Advance(Tick + ConfirmDelay + Small.MdmBatchInterval);
        foreach (var (_, message) in run.Cim()) run.Handle(Reply(message, ReplyResult.OK));
        run.Advance(Tick);

        Assert.True(run.Summary.Quiet);
    }

    [Fact]
    public void The_story_tells_a_waves_end_once_with_its_time_outs_by_collector_in_one_warning()
    {
        var run = new CampaignStateRun(Small with { CanaryMeters = 4, ErrorThresholdShare = 1.0 }, logs: true);
        run.Handle(StartCampaign.Instance);

        run.Report(MeterPhase.TimedOut, run.Wave(0).Take(3));
        run.Report(MeterPhase.Succeeded, run.Wave(0).Skip(3));
        run.Report(MeterPhase.Succeeded, run.Wave(0).Skip(3)); // the wave stays ended, paused below its success threshold

        var ended = Assert.Single(run.Lines, l => l.Template.Contains("ended:"));
        Assert.Equal(LogLevel.InfoLevel, ended.Level);
        Assert.Equal([1, 3, "1 Succeeded, 3 TimedOut", 4], ended.Args.Skip(2));
        var warning = Assert.Single(run.Lines, l => l.Level == LogLevel.WarningLevel);
        Assert.Equal([1, "3 meters", "1: 2, 2: 1"], warning.Args.Skip(2)); // the canary: meters 2, 1, 4 and 3
    }

    // ---- the operator ----------------------------------------------------------------------------

    [Fact]
    public void Operator_actions_that_do_not_fit_the_status_are_ignored()
    {
        var run = new CampaignStateRun(Small);
        foreach (var action in new[] { OperatorAction.Pause, OperatorAction.Resume, OperatorAction.Cancel }) run.Operator(action);
        run.Advance(Tick);
        Assert.Equal(CampaignStatus.Created, run.Summary.Status);
        Assert.Empty(run.Sent);

        run.Handle(StartCampaign.Instance);
        run.Operator(OperatorAction.Resume);
        run.Advance(Tick);
        Assert.Equal(CampaignStatus.Running, run.Summary.Status);

        run.Operator(OperatorAction.Cancel);
        run.Operator(OperatorAction.Pause);
        run.Operator(OperatorAction.Resume);
        run.Advance(Tick);

        Assert.Equal(CampaignStatus.Canceled, run.Summary.Status);
        Assert.Equal([new StationStatus(0, CampaignStatus.Canceled)], run.Orders().Where(o => o.Collector == 1).Select(o => o.Order).OfType<StationStatus>());
    }

    [Fact]
    public void The_operators_start_plans_a_campaign_that_waits_for_it_as_the_runs_start_does_and_is_ignored_after()
    {
        var waiting = new CampaignStateRun(Small);
        waiting.Operator(OperatorAction.RetryFailed); // nothing to retry before the start: no order goes out
        waiting.Advance(Tick);
        Assert.Empty(waiting.Sent);
        Assert.Equal(CampaignStatus.Created, waiting.Summary.Status);

        waiting.Operator(OperatorAction.Start);
        waiting.Advance(Tick);
        var started = Started();

        Assert.Equal((CampaignStatus.Running, 1, 3), (waiting.Summary.Status, waiting.Summary.Wave, waiting.Summary.Waves));
        Assert.Equal(started.Orders().Select(o => (o.Collector, o.Order.GetType())), waiting.Orders().Select(o => (o.Collector, o.Order.GetType())));
        Assert.Equal(started.Outcomes.Values.Select(o => (o.Meter, o.Wave)), waiting.Outcomes.Values.Select(o => (o.Meter, o.Wave)));

        var before = waiting.Orders().Count;
        waiting.Operator(OperatorAction.Start);
        waiting.Advance(Tick);
        Assert.Equal(before, waiting.Orders().Count);
        Assert.Equal(1, waiting.Summary.Wave);
    }

    [Fact]
    public void Pause_holds_the_stations_and_resume_of_an_unfinished_wave_starts_no_other()
    {
        var run = Started();

        run.Operator(OperatorAction.Pause);
        Assert.Equal((CampaignStatus.Paused, "operator"), (run.Summary.Status, run.Summary.PauseReason));
        run.Operator(OperatorAction.Resume);
        run.Advance(Tick);

        Assert.Equal([new StationStatus(0, CampaignStatus.Paused), new StationStatus(0, CampaignStatus.Running)], run.Orders().Where(o => o.Collector == 2).Select(o => o.Order).Skip(2));
        Assert.Equal(1, run.Summary.Wave);
    }

    [Fact]
    public void Retry_failed_resumes_a_paused_campaign_and_its_pause_reason_goes_with_the_pause()
    {
        var run = Started();
        run.Operator(OperatorAction.Pause);
        run.Operator(OperatorAction.RetryFailed);

        Assert.Equal((CampaignStatus.Running, ""), (run.Summary.Status, run.Summary.PauseReason));
    }

    [Fact]
    public void Retry_failed_runs_a_completed_campaign_again_and_completes_it_when_the_retried_meters_finish()
    {
        var run = Started(Small with { SuccessThreshold = 0.5 }, meters: 2);
        run.Report(MeterPhase.Succeeded, run.Wave(0).Take(1));
        run.Report(MeterPhase.Failed, run.Wave(0).Skip(1));
        Assert.Equal(CampaignStatus.Completed, run.Summary.Status);

        run.Operator(OperatorAction.RetryFailed);
        run.Advance(Tick);

        Assert.Equal(CampaignStatus.Running, run.Summary.Status);
        Assert.Equal([new StationStatus(0, CampaignStatus.Completed), new StationStatus(0, CampaignStatus.Running), new StationRetryFailed(0)],
            run.Orders().Where(o => o.Collector == 2).Select(o => o.Order).Skip(2));

        run.Report(MeterPhase.Initiated, run.Wave(0).Skip(1));
        Assert.Equal(CampaignStatus.Running, run.Summary.Status);
        run.Report(MeterPhase.Succeeded, run.Wave(0).Skip(1));

        Assert.Equal(CampaignStatus.Completed, run.Summary.Status);
    }

    [Fact]
    public void A_meter_tried_again_before_its_durable_outcome_was_reported_is_not_reported()
    {
        var run = Started();
        var failed = run.Wave(0).Take(1).ToList();
        run.Report(MeterPhase.Failed, failed);
        run.Advance(Tick + ConfirmDelay); // durable, waiting for the MDM's batch

        run.Report(MeterPhase.Initiated, failed);
        run.Advance(Small.MdmBatchInterval);

        Assert.Empty(run.Cim());
    }

    // ---- durability ----------------------------------------------------------------------------

    [Fact]
    public void A_flushed_batch_is_durable_after_the_confirm_delay_and_then_its_stations_may_acknowledge()
    {
        var run = Started();
        run.Report(1, MeterPhase.Initiated, run.Wave(0).Where(m => m.Collector == 1), acks: 3);
        var flushedAt = Small.NextTick(run.Now, strictlyAfter: true);

        run.AdvanceTo(flushedAt);
        Assert.Single(run.Batches.Skip(1), b => b.Transitions.Count == 1);
        run.AdvanceTo(flushedAt + ConfirmDelay - TimeSpan.FromSeconds(1));
        Assert.DoesNotContain(run.Orders(), o => o.Order is StationDurable);

        run.AdvanceTo(flushedAt + ConfirmDelay);

        Assert.Equal([(1, (IStationOrder)new StationDurable(0, 1))], run.Orders().Where(o => o.Order is StationDurable));
        Assert.Equal(flushedAt + ConfirmDelay + Small.StationLatency, run.Sent.Last().At);
        Assert.Equal(2, run.Summary.JournalWrites); // the plan's batch, and this one
    }

    [Fact]
    public void A_batch_the_journal_has_not_written_waits_for_it()
    {
        var run = Started();
        run.JournalLags = true;
        run.Report(1, MeterPhase.Initiated, run.Wave(0).Where(m => m.Collector == 1), acks: 1);

        run.Advance(Tick + ConfirmDelay + Tick);

        Assert.True(run.AwaitingJournal);
        Assert.DoesNotContain(run.Orders(), o => o.Order is StationDurable);

        run.JournalAnswers();
        run.Advance(Tick);

        Assert.Contains(run.Orders(), o => o.Order is StationDurable);
    }

    // ---- the MDM -------------------------------------------------------------------------------------

    [Fact]
    public void Durable_outcomes_wait_for_the_batch_interval_unless_a_batch_is_full()
    {
        var run = Started(Small with { CanaryMeters = 3, MdmBatchSize = 2 }, meters: 3);
        run.Report(MeterPhase.Failed, run.Wave(0).Take(1));
        var durable = run.Now + Tick + ConfirmDelay;
        run.AdvanceTo(durable);
        Assert.Empty(run.Cim());

        run.AdvanceTo(durable + Small.MdmBatchInterval);

        var (at, single) = Assert.Single(run.Cim());
        Assert.Equal(durable + Small.MdmBatchInterval + CampaignStateRun.Lookahead, at);
        Assert.Single(Assert.IsType<EndDeviceEvents>(single.Payload).Events);

        run.Report(MeterPhase.Succeeded, run.Wave(0).Skip(1));
        run.Advance(Tick + ConfirmDelay);

        var full = run.Cim().Skip(1).Select(c => c.Message).ToList();
        Assert.Equal(["EndDeviceEvents", "MeterConfig"], full.Select(m => m.Header.Noun));
        Assert.Equal(["C1-000002", "C1-000003"], full.Select(m => m.Header.MessageId));
        Assert.Equal(2, Assert.IsType<EndDeviceEvents>(full[0].Payload).Events.Count);
    }

    [Fact]
    public void An_unanswered_CIM_message_is_sent_again_until_the_MDM_answers()
    {
        var run = Started(meters: 2, settings: Small with { SuccessThreshold = 0 });
        run.Report(MeterPhase.Failed, run.Wave(0));
        run.Advance(Tick + ConfirmDelay + Small.MdmBatchInterval);
        var sent = Assert.Single(run.Cim()).Message;

        run.Advance(Small.MdmRetry);

        Assert.Equal(2, run.Cim().Count);
        Assert.Equal(1, run.Summary.CimResent);

        run.Handle(Reply(sent, ReplyResult.OK));
        run.Advance(Small.MdmRetry * 3);

        Assert.Equal(2, run.Cim().Count);
    }

    [Fact]
    public void A_FAILED_reply_counts_the_message_as_rejected_and_it_is_not_sent_again()
    {
        var run = Started(meters: 2, settings: Small with { SuccessThreshold = 0 });
        run.Report(MeterPhase.Failed, run.Wave(0));
        run.Advance(Tick + ConfirmDelay + Small.MdmBatchInterval);

        run.Handle(Reply(Assert.Single(run.Cim()).Message, ReplyResult.FAILED));
        run.Advance(Small.MdmRetry * 2);

        Assert.Equal((1L, 0L), (run.Summary.CimRejected, run.Summary.CimResent));
        Assert.Single(run.Cim());
    }

    // ---- the head-end's crash and restore ------------------------------------------------------------

    [Fact]
    public void A_crash_with_batches_in_flight_lets_them_be_written_first_and_loses_their_acknowledgements()
    {
        var run = Started();
        run.JournalLags = true;
        run.Report(1, MeterPhase.Initiated, run.Wave(0).Where(m => m.Collector == 1), acks: 2);
        run.Advance(Tick); // the batch is in flight

        run.Handle(new HeadEndCrash(TimeSpan.FromMinutes(40)));

        Assert.True(run.AwaitingJournal);
        Assert.Equal(CampaignStatus.Running, run.Summary.Status);
        Assert.DoesNotContain(run.Decided, d => d.Effect is StopJournal);

        run.JournalAnswers();
        run.Advance(ConfirmDelay + Tick);

        Assert.Equal((CampaignStatus.Down, 1), (run.Summary.Status, run.Summary.Restarts));
        Assert.Contains(run.Decided, d => d.Effect is StopJournal);
        Assert.Equal([new StationCrash(1)], run.Orders().Where(o => o.Collector == 1).Select(o => o.Order).OfType<StationCrash>());
        Assert.DoesNotContain(run.Orders(), o => o.Order is StationDurable);
    }

    [Fact]
    public void A_crash_loses_undispatched_orders_and_what_reaches_the_head_end_while_down()
    {
        var run = new CampaignStateRun(Small);
        run.AdvanceTo(SimTime.FromSeconds(2));
        run.Handle(StartCampaign.Instance);

        run.Handle(new HeadEndCrash(TimeSpan.FromMinutes(40)));
        run.Operator(OperatorAction.Pause);
        run.Report(1, MeterPhase.Initiated, run.Wave(0).Take(1), incarnation: 0);
        run.Advance(Tick);

        Assert.Equal([(1, (IStationOrder)new StationCrash(1)), (2, new StationCrash(1))], run.Orders());
        Assert.Equal((CampaignStatus.Down, 1L), (run.Summary.Status, run.Summary.DroppedWhileDown));
        Assert.DoesNotContain(run.Decided, d => d.Effect is StartJournal { Name: "journal-1" });

        run.Advance(TimeSpan.FromMinutes(40));

        Assert.Contains(run.Decided, d => d.Effect is StartJournal { Name: "journal-1" });
    }

    [Fact]
    public void Restore_rebuilds_the_phases_from_the_journal_sends_plans_with_them_and_reports_the_outcomes_again()
    {
        var run = Started();
        CrashAndRestart(run);
        Assert.Equal([2L, 1L], run.Wave(0).Select(m => m.Meter.Value)); // the canary: meter 2 under collector 1, meter 1 under collector 2
        var durable = new DurableCampaignState(CampaignStatus.Running, 1, 3, new Dictionary<long, MeterTransition>
        {
            [2] = new(2, MeterPhase.Succeeded, "", 1, 60_000_000, "2.0"),
            [1] = new(1, MeterPhase.Transferring, "", 2, 0, "1.0"),
        });

        run.Recovered(durable);
        run.Advance(Tick);

        Assert.Equal((MeterPhase.Succeeded, 1, 60_000_000L), (run.Outcomes[2].Phase, run.Outcomes[2].Attempts, run.Outcomes[2].FinishedMicros));
        Assert.Equal((MeterPhase.Transferring, 2), (run.Outcomes[1].Phase, run.Outcomes[1].Attempts));
        Assert.Equal((CampaignStatus.Running, 1), (run.Summary.Status, run.Summary.Wave));
        var plans = run.Orders().Where(o => o.Order is StationPlan { Incarnation: 1 }).Select(o => (o.Collector, (StationPlan)o.Order)).ToList();
        Assert.Equal([1, 2], plans.Select(p => p.Collector));
        var (_, plan1) = plans[0];
        Assert.Equal((0, CampaignStatus.Running), (plan1.RestoreWave, plan1.Status));
        Assert.Equal([(byte)MeterPhase.Succeeded, (byte)MeterPhase.Pending, (byte)MeterPhase.Pending, (byte)MeterPhase.Pending, (byte)MeterPhase.Pending], plan1.Phases);
        Assert.Equal([(byte)MeterPhase.Transferring, 0, 0, 0, 0], plans[1].Item2.Phases);
        Assert.Equal([2, 0, 0, 0, 0], plans[1].Item2.Attempts);

        run.Advance(Small.MdmBatchInterval);

        var events = run.Cim().Select(c => c.Message).ToList();
        Assert.Equal(["C1-r1-000001", "C1-r1-000002"], events.Select(m => m.Header.MessageId));
        Assert.Equal(["MTR0000000002"], Assert.IsType<EndDeviceEvents>(events[0].Payload).Events.Select(e => e.MeterMrid));
    }

    [Fact]
    public void Restore_from_an_empty_journal_starts_the_campaign_over()
    {
        var run = Started();
        run.Report(MeterPhase.Succeeded, run.Wave(0));
        CrashAndRestart(run);

        run.Recovered(null);
        run.Advance(Tick);

        Assert.Equal((CampaignStatus.Running, 1), (run.Summary.Status, run.Summary.Wave));
        Assert.All(run.Wave(0), m => Assert.Equal(MeterPhase.Pending, run.Outcomes[m.Meter.Value].Phase));
        Assert.Equal([-1, -1], run.Orders().Select(o => o.Order).OfType<StationPlan>().Where(p => p.Incarnation == 1).Select(p => p.RestoreWave));
        Assert.Equal([new StationWave(1, 0), new StationWave(1, 0)], run.Orders().Select(o => o.Order).OfType<StationWave>().Where(w => w.Incarnation == 1));
    }

    [Fact]
    public void Reports_written_before_a_restart_are_ignored()
    {
        var run = Started();
        CrashAndRestart(run);
        run.Recovered(null);

        run.Report(1, MeterPhase.Succeeded, run.Wave(0).Where(m => m.Collector == 1), incarnation: 0);

        Assert.All(run.Wave(0), m => Assert.Equal(MeterPhase.Pending, run.Outcomes[m.Meter.Value].Phase));
    }

    private static CimDelivery Reply(CimMessage message, ReplyResult result) =>
        new(CimXml.Write(new ResponseMessage(new CimHeader("reply", message.Header.Noun, CampaignStateRun.Epoch, "AmiSim-MDM", $"MDM-{message.Header.MessageId}", message.Header.MessageId),
            new CimReply(result, []))));
}
