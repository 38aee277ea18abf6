using AmiSim.HeadEnd.Campaign;
using AmiSim.Kernel;
using AmiSim.Protocol.C1219;
using AmiSim.Protocol.Network;
using AmiSim.Protocol.Psem;
using Xunit;

namespace AmiSim.HeadEnd.Tests;

/// <summary>A collector's station's rules, on its pure state: what it asks its meters, when, and what it reports.</summary>
public sealed class StationStateTests
{
    private static readonly CampaignSettings Multicast = new() { Distribution = Distribution.Multicast };
    private static readonly CampaignSettings Unicast = new() { Distribution = Distribution.Unicast };
    private static readonly TimeSpan PastStatusDelay = TimeSpan.FromMinutes(11);

    private static int[] Asked(StationUnderTest station, IEnumerable<ILpEffect>? effects = null) =>
        station.Commands(effects).Select(c => (int)c.Meter.Value).ToArray();

    private static List<ImageChunk> Chunks(IEnumerable<MeshDownlink> downlinks) => downlinks.Select(d => d.Frame).OfType<ImageChunk>().ToList();

    private static int[] BlocksOf(IEnumerable<ImageChunk> chunks) => chunks.SelectMany(c => c.Blocks).Select(b => b.Number).ToArray();

    /// <summary>Multicast: every meter initiated and the flood's status round started.</summary>
    private static StationUnderTest Flooded(int meters, CampaignSettings settings)
    {
        var station = new StationUnderTest(meters, settings);
        station.Start();
        for (var n = 1; n <= meters; n++) station.Answer(n, MeterAnswers.InitiateAccepted());
        station.Advance(PastStatusDelay);
        return station;
    }

    /// <summary>Unicast, one session: meter 1 initiated, sent the image and read complete, so asked to verify.</summary>
    private static StationUnderTest AtVerification(int meters = 1, CampaignSettings? settings = null)
    {
        var station = new StationUnderTest(meters, settings ?? Unicast with { SessionsPerCollector = 1 });
        station.Start();
        station.Answer(1, MeterAnswers.InitiateAccepted());
        station.Advance(PastStatusDelay);
        station.Answer(1, MeterAnswers.Complete());
        return station;
    }

    // ---- sessions --------------------------------------------------------------------------------

    [Fact]
    public void A_collector_asks_at_most_its_session_limit_of_meters_at_once_and_queues_the_rest()
    {
        var station = new StationUnderTest(5, Multicast with { SessionsPerCollector = 2 });
        station.Start();
        Assert.Equal([1, 2], Asked(station));

        var next = station.Answer(1, MeterAnswers.InitiateAccepted());

        Assert.Equal([3], Asked(station, next));
        Assert.Equal(2, station.State.ActiveSessions);
    }

    [Fact]
    public void A_unicast_transfer_keeps_its_session_until_the_image_is_complete()
    {
        var station = new StationUnderTest(2, Unicast with { SessionsPerCollector = 1 });
        station.Start();
        var initiated = station.Answer(1, MeterAnswers.InitiateAccepted());
        Assert.Equal(Enumerable.Range(0, StationUnderTest.Blocks), BlocksOf(Chunks(station.Downlinks(initiated))));
        Assert.All(station.Downlinks(initiated), d => Assert.Equal(new MeterId(1), d.Meter));

        station.Advance(PastStatusDelay);
        var complete = station.Answer(1, MeterAnswers.Complete());

        Assert.Equal([1, 1, 1], Asked(station)); // initiate, status, verify: meter 2 waits for the session
        Assert.Equal(MeterPhase.Transferred, station.Meter(1).Phase);
        Assert.Equal([1], Asked(station, complete));
        var activating = station.Answer(1, MeterAnswers.VerifiedAndActivating());
        Assert.Equal([2], Asked(station, activating));
    }

    // ---- multicast ------------------------------------------------------------------------------

    [Fact]
    public void The_flood_starts_once_the_wave_s_last_meter_here_answered_its_initiation()
    {
        var station = new StationUnderTest(3, Multicast);
        station.Start();
        station.Answer(1, MeterAnswers.InitiateAccepted());
        station.Answer(2, MeterAnswers.InitiateAccepted());
        Assert.Empty(Chunks(station.Downlinks()));

        var last = station.Answer(3, MeterAnswers.InitiateAccepted());

        var flood = station.Downlinks(last).Where(d => d.Frame is ImageChunk).ToList();
        Assert.Equal(Enumerable.Range(0, StationUnderTest.Blocks), BlocksOf(Chunks(flood)));
        Assert.All(flood, d =>
        {
            Assert.Null(d.Meter);
            Assert.Equal([1, 2, 3], d.Group!.Members.Select(m => (int)m.Value));
        });
        Assert.Contains(last.OfType<SendEffect>(), s => s.Payload is StatusRound && s.Delay > Multicast.StatusDelay);
    }

    [Fact]
    public void The_status_round_reads_every_meter_of_the_flood()
    {
        var station = Flooded(3, Multicast);

        var reads = station.Commands().Skip(3).ToList();
        Assert.Equal([1, 2, 3], reads.Select(c => (int)c.Meter.Value));
        Assert.All(reads, c => Assert.All(c.Command.Requests, r => Assert.IsType<FullReadRequest>(r)));
    }

    [Fact]
    public void Another_multicast_round_floods_the_blocks_missing_when_enough_meters_miss_some()
    {
        var station = Flooded(4, Multicast);
        station.Answer(1, MeterAnswers.Missing(1, 5));
        station.Answer(2, MeterAnswers.Missing(5, 6));
        station.Answer(3, MeterAnswers.Complete());
        var decided = station.Answer(4, MeterAnswers.Complete());

        var flood = station.Downlinks(decided).Where(d => d.Frame is ImageChunk).ToList();
        Assert.Equal([1, 5, 6], BlocksOf(Chunks(flood)));
        Assert.All(flood, d => Assert.Equal([1, 2], d.Group!.Members.Select(m => (int)m.Value)));
    }

    [Fact]
    public void Few_meters_missing_blocks_are_repaired_by_unicast()
    {
        var station = Flooded(4, Multicast);
        station.Answer(1, MeterAnswers.Missing(3));
        station.Answer(2, MeterAnswers.Complete());
        station.Answer(3, MeterAnswers.Complete());
        var decided = station.Answer(4, MeterAnswers.Complete());

        var repair = station.Downlinks(decided).Where(d => d.Frame is ImageChunk).ToList();
        Assert.Equal([3], BlocksOf(Chunks(repair)));
        Assert.All(repair, d => Assert.Equal(new MeterId(1), d.Meter));
    }

    [Fact]
    public void The_share_that_calls_for_another_round_is_of_the_wave_meters_under_the_collector_not_of_those_still_in_flight()
    {
        // 10 wave meters here; 6 are final (failed) before the round's last answer, 2 of the other 4 miss blocks:
        // half of those in flight, but a fifth of the collector's wave meters, below the 30 % share.
        var station = Flooded(10, Multicast with { MulticastRepairShare = 0.3 });
        for (var n = 3; n <= 8; n++) station.Answer(n, MeterAnswers.Complete());
        for (var n = 3; n <= 8; n++) station.Answer(n, MeterAnswers.VerificationFailed(ImageFailure.SignatureInvalid));
        station.Answer(9, MeterAnswers.Complete());
        station.Answer(10, MeterAnswers.Complete());
        station.Answer(1, MeterAnswers.Missing(2));
        var decided = station.Answer(2, MeterAnswers.Missing(4));

        Assert.Equal(6, Enumerable.Range(3, 6).Count(n => station.Meter(n).Phase == MeterPhase.Failed));
        var repair = station.Downlinks(decided).Where(d => d.Frame is ImageChunk).ToList();
        Assert.Equal([(1, 2), (2, 4)], repair.Select(d => ((int)d.Meter!.Value.Value, BlocksOf([(ImageChunk)d.Frame]).Single())));
    }

    [Fact]
    public void After_the_last_multicast_round_what_is_missing_is_repaired_by_unicast()
    {
        var station = Flooded(2, Multicast with { MaxMulticastRounds = 1 });
        station.Answer(1, MeterAnswers.Missing(2));
        var decided = station.Answer(2, MeterAnswers.Missing(4));

        var repair = station.Downlinks(decided).Where(d => d.Frame is ImageChunk).ToList();
        Assert.Equal([(1, 2), (2, 4)], repair.Select(d => ((int)d.Meter!.Value.Value, BlocksOf([(ImageChunk)d.Frame]).Single())));
    }

    // ---- verification and activation --------------------------------------------------------------

    [Fact]
    public void A_meter_whose_stored_image_fails_verification_is_given_it_again_once_then_fails()
    {
        var station = AtVerification();
        var restarted = station.Answer(1, MeterAnswers.VerificationFailed(ImageFailure.BlockDigestMismatch));
        Assert.Equal(MeterPhase.Pending, station.Meter(1).Phase);
        Assert.Equal(Tables.ImageManifest, Assert.IsType<FullWriteRequest>(station.Commands(restarted).Single().Command.Requests[2]).Table);

        station.Answer(1, MeterAnswers.InitiateAccepted());
        station.Advance(PastStatusDelay);
        station.Answer(1, MeterAnswers.Complete());
        station.Answer(1, MeterAnswers.VerificationFailed(ImageFailure.BlockDigestMismatch));

        Assert.Equal(MeterPhase.Failed, station.Meter(1).Phase);
        Assert.Equal("verification failed: BlockDigestMismatch", station.Meter(1).Reason);
    }

    [Fact]
    public void A_meter_whose_image_fails_its_signature_is_not_given_it_again()
    {
        var station = AtVerification();
        station.Answer(1, MeterAnswers.VerificationFailed(ImageFailure.SignatureInvalid));

        Assert.Equal(MeterPhase.Failed, station.Meter(1).Phase);
        Assert.Equal("verification failed: SignatureInvalid", station.Meter(1).Reason);
    }

    [Fact]
    public void A_refused_activation_fails_the_meter()
    {
        var station = AtVerification();
        station.Answer(1, MeterAnswers.ActivationRefused());

        Assert.Equal(MeterPhase.Failed, station.Meter(1).Phase);
        Assert.Equal("activation refused", station.Meter(1).Reason);
    }

    [Fact]
    public void An_activating_meter_succeeds_on_its_confirmation_of_the_new_version()
    {
        var station = AtVerification();
        station.Answer(1, MeterAnswers.VerifiedAndActivating());
        Assert.Equal(MeterPhase.Activating, station.Meter(1).Phase);

        station.Give(new ProgramConfirmation(new MeterId(1), 1, "FW-2", ConfirmationOutcome.Activated, StationUnderTest.After, "", station.Now.Micros));

        Assert.Equal(MeterPhase.Succeeded, station.Meter(1).Phase);
        Assert.Equal(StationUnderTest.After.ToString(), station.Meter(1).FirmwareAfter);
    }

    [Fact]
    public void A_confirmation_of_a_roll_back_fails_the_meter_with_the_version_it_runs()
    {
        var station = AtVerification();
        station.Answer(1, MeterAnswers.VerifiedAndActivating());

        station.Give(new ProgramConfirmation(new MeterId(1), 1, "FW-2", ConfirmationOutcome.RolledBack, StationUnderTest.Before, "flash write failed", station.Now.Micros));

        Assert.Equal(MeterPhase.Failed, station.Meter(1).Phase);
        Assert.Equal("activation failed, rolled back to 1.0: flash write failed", station.Meter(1).Reason);
    }

    // ---- maintenance window -----------------------------------------------------------------------

    [Fact]
    public void Initiation_waits_for_the_maintenance_window_to_open()
    {
        var window = new MaintenanceWindow(TimeSpan.FromHours(22), TimeSpan.FromHours(4));
        var station = new StationUnderTest(2, Multicast with { TransferWindow = window }, start: SimTime.From(TimeSpan.FromHours(12)));
        station.Start();
        Assert.Empty(station.Commands());

        station.AdvanceTo(SimTime.From(TimeSpan.FromHours(22)) - TimeSpan.FromSeconds(1));
        Assert.Empty(station.Commands());
        Assert.All(new[] { station.Meter(1), station.Meter(2) }, m => Assert.Equal(MeterPhase.Pending, m.Phase));

        station.AdvanceTo(SimTime.From(TimeSpan.FromHours(22)));
        Assert.Equal([1, 2], Asked(station));
    }

    [Fact]
    public void A_meter_waiting_for_the_maintenance_window_is_not_timed_out()
    {
        var window = new MaintenanceWindow(TimeSpan.FromHours(22), TimeSpan.FromHours(22) + TimeSpan.FromMinutes(5));
        var station = new StationUnderTest(1, Unicast with { TransferWindow = window }, start: SimTime.From(TimeSpan.FromHours(22)));
        station.Start();
        station.Advance(TimeSpan.FromMinutes(6)); // the window has closed when the meter answers
        var initiated = station.Answer(1, MeterAnswers.InitiateAccepted());
        Assert.Empty(Chunks(station.Downlinks(initiated)));

        station.AdvanceTo(SimTime.From(TimeSpan.FromHours(46)) - TimeSpan.FromSeconds(1));
        Assert.Equal(MeterPhase.Initiated, station.Meter(1).Phase);
        Assert.Single(station.Commands());

        station.AdvanceTo(SimTime.From(TimeSpan.FromHours(46)));
        Assert.Equal(Enumerable.Range(0, StationUnderTest.Blocks), BlocksOf(Chunks(station.Downlinks())));
    }

    // ---- time-outs --------------------------------------------------------------------------------

    [Fact]
    public void A_silent_meter_is_asked_again_after_the_step_timeout_and_times_out_after_its_attempts()
    {
        var station = new StationUnderTest(1, Multicast with { MaxAttempts = 2 });
        station.Start();
        station.Advance(TimeSpan.FromMinutes(29));
        Assert.Single(station.Commands());

        station.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(2, station.Commands().Count);
        Assert.Equal(MeterPhase.Pending, station.Meter(1).Phase);

        station.Advance(TimeSpan.FromMinutes(31));
        Assert.Equal(2, station.Commands().Count);
        Assert.Equal(MeterPhase.TimedOut, station.Meter(1).Phase);
        Assert.Equal("no answer in Pending after 2 attempts", station.Meter(1).Reason);
    }

    [Fact]
    public void An_answer_to_a_command_given_up_is_ignored()
    {
        var station = new StationUnderTest(1, Multicast);
        station.Start();
        var first = station.Commands().Single().Command;
        station.Advance(TimeSpan.FromMinutes(31));

        station.Give(new PsemCommandResult(new MeterId(1), first.CommandId, MeterAnswers.InitiateAccepted()));

        Assert.Equal(MeterPhase.Pending, station.Meter(1).Phase);
    }

    // ---- operator ---------------------------------------------------------------------------------

    [Fact]
    public void A_paused_campaign_starts_no_new_meters_until_it_runs_again()
    {
        var station = new StationUnderTest(2, Multicast);
        station.Start(CampaignStatus.Paused);
        Assert.Empty(station.Commands());

        var resumed = station.Give(new StationStatus(0, CampaignStatus.Running));

        Assert.Equal([1, 2], Asked(station, resumed));
    }

    [Fact]
    public void Cancel_finishes_the_meters_not_yet_activating_and_leaves_those_activating()
    {
        var station = AtVerification(2);
        station.Answer(1, MeterAnswers.VerifiedAndActivating());

        station.Give(new StationStatus(0, CampaignStatus.Canceled));

        Assert.Equal(MeterPhase.Activating, station.Meter(1).Phase);
        Assert.Equal(MeterPhase.Canceled, station.Meter(2).Phase);
        Assert.Equal("canceled by the operator", station.Meter(2).Reason);
    }

    [Fact]
    public void Retry_failed_starts_failed_meters_again_from_initiation()
    {
        var station = new StationUnderTest(2, Multicast);
        station.Start();
        station.Answer(1, PsemResponse.Ok, PsemResponse.Of(PsemResponseCode.InsufficientSecurityClearance));
        Assert.Equal(MeterPhase.Failed, station.Meter(1).Phase);

        var retried = station.Give(new StationRetryFailed(0));

        Assert.Equal(MeterPhase.Pending, station.Meter(1).Phase);
        Assert.Equal("", station.Meter(1).Reason);
        Assert.Equal([1], Asked(station, retried));
    }

    // ---- crash and restore ------------------------------------------------------------------------

    [Fact]
    public void A_crash_drops_the_station_s_state_and_its_timers()
    {
        var station = new StationUnderTest(2, Multicast);
        station.Start();

        var crashed = station.Give(new StationCrash(1));

        Assert.Empty(station.State.Meters);
        Assert.Equal(CampaignStatus.Down, station.State.Status);
        Assert.Equal(0, station.State.ActiveSessions);
        Assert.Equal(["report", "deadline-check", "maintenance-window"], crashed.OfType<CancelTimerEffect>().Select(c => (string)c.Key));
    }

    [Fact]
    public void Orders_and_own_messages_of_an_earlier_incarnation_are_ignored()
    {
        var station = new StationUnderTest(1, Multicast);
        station.Start();
        var oldCommand = station.Commands().Single().Command;
        station.Give(new StationCrash(1));

        Assert.DoesNotContain(station.Give(new StationWave(0, 0)), e => e is SendEffect);
        station.Give(new PsemCommandResult(new MeterId(1), oldCommand.CommandId, MeterAnswers.InitiateAccepted())); // lost: the process is down
        station.Give(new StationPlan(1, CampaignStatus.Running, -1, [], []));
        Assert.DoesNotContain(station.Give(new UnicastStatusDue(new MeterId(1), 0)), e => e is SendEffect);
        Assert.DoesNotContain(station.Give(new StationWave(0, 0)), e => e is SendEffect);

        station.Advance(TimeSpan.FromSeconds(10));
        var report = StationUnderTest.Reports(station.Decided).Last();
        Assert.Equal(1, report.Incarnation);
        Assert.Equal(1, report.Counters.DroppedWhileDown);
    }

    [Fact]
    public void A_restored_station_reads_its_wave_s_unfinished_meters_again_and_initiates_those_not_started()
    {
        var station = new StationUnderTest(3, Multicast);
        var phases = new[] { MeterPhase.Transferring, MeterPhase.Succeeded, MeterPhase.Pending }.Select(p => (byte)p).ToArray();

        var restored = station.Give(new StationPlan(1, CampaignStatus.Running, 0, phases, [2, 3, 0]));

        var commands = station.Commands(restored);
        Assert.Equal([1, 3], commands.Select(c => (int)c.Meter.Value));
        Assert.All(commands[0].Command.Requests, r => Assert.IsType<FullReadRequest>(r));
        Assert.IsType<LogonRequest>(commands[1].Command.Requests[0]);
        Assert.Equal(3, station.Meter(1).TotalAttempts); // the journal's two, and this read
    }

    [Fact]
    public void A_restored_meter_read_complete_goes_on_to_verification_and_one_missing_blocks_is_repaired_by_unicast()
    {
        var station = new StationUnderTest(2, Multicast);
        var phases = new[] { MeterPhase.Transferring, MeterPhase.Transferring }.Select(p => (byte)p).ToArray();
        station.Give(new StationPlan(1, CampaignStatus.Running, 0, phases, [1, 1]));

        var verify = station.Answer(1, MeterAnswers.Complete());
        var repair = station.Answer(2, MeterAnswers.Missing(0, 7));

        Assert.Equal(MeterPhase.Transferred, station.Meter(1).Phase);
        Assert.Equal([1], Asked(station, verify));
        Assert.Equal([0, 7], BlocksOf(Chunks(station.Downlinks(repair))));
        Assert.All(station.Downlinks(repair), d => Assert.Equal(new MeterId(2), d.Meter));
    }

    // ---- reports ----------------------------------------------------------------------------------

    [Fact]
    public void Transitions_are_reported_at_the_head_end_clock_s_next_tick_one_station_latency_late()
    {
        var station = new StationUnderTest(1, Multicast);
        station.Start();
        station.AdvanceTo(SimTime.FromSeconds(12.3));

        var initiated = station.Answer(1, MeterAnswers.InitiateAccepted());

        var timer = initiated.OfType<StartTimerEffect>().Single(t => t.Payload is ReportDue);
        Assert.Equal(TimeSpan.FromMilliseconds(2700), timer.Delay);
        Assert.Equal(new PromiseQuietEffect(SimTime.FromSeconds(15), Multicast.FlushInterval), initiated.Last());
        station.AdvanceTo(SimTime.FromSeconds(15));
        var send = station.Decided.OfType<SendEffect>().Last(s => s.To == CampaignSetup.Lp);
        Assert.Equal(Multicast.StationLatency, send.Delay);
        var transition = Assert.Single(((StationReport)send.Payload).Transitions);
        Assert.Equal(new MeterTransition(1, MeterPhase.Initiated, "", 1, SimTime.FromSeconds(12.3).Micros, StationUnderTest.Before.ToString()), transition);
    }

    [Fact]
    public void A_confirmation_is_acknowledged_once_the_report_holding_it_is_durable()
    {
        var station = AtVerification();
        station.Answer(1, MeterAnswers.VerifiedAndActivating());
        station.Give(new ProgramConfirmation(new MeterId(1), 9, "FW-2", ConfirmationOutcome.Activated, StationUnderTest.After, "", station.Now.Micros));
        station.Advance(TimeSpan.FromSeconds(5));
        var report = StationUnderTest.Reports(station.Decided).Last();
        Assert.Equal(1, report.Acks);
        Assert.DoesNotContain(station.Downlinks(), d => d.Frame is ConfirmationAck);

        Assert.Empty(station.Downlinks(station.Give(new StationDurable(0, report.Sequence - 1))));
        var durable = station.Give(new StationDurable(0, report.Sequence));

        Assert.Equal(new ConfirmationAck(new MeterId(1), 9), Assert.Single(station.Downlinks(durable)).Frame);
    }
}
