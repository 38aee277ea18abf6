using Akka.Event;
using AmiSim.Kernel;
using AmiSim.Protocol.C1219;
using AmiSim.Protocol.Network;
using AmiSim.Protocol.Programs;

namespace AmiSim.HeadEnd.Campaign;

/// <summary>
/// The head-end's front-end for one collector, without actors (steps 1.3-1.4, 1.10): it works the
/// collector's meters through the campaign for the <see cref="CampaignActor"/>. It initiates meters by
/// unicast (within the collector's session limit), floods the image (or sends it per meter), reads each
/// meter's transfer status, repairs what is missing (another multicast round when many miss, else
/// unicast), verifies and activates, and times out meters that stay silent. It reports its meters'
/// transitions to the campaign on the head-end's clock (<see cref="CampaignSettings.NextTick"/>), and
/// acknowledges a meter's confirmation once the campaign says the report holding it is durable. Only its
/// reports and the campaign's orders cross partitions, one station latency late.
/// <para>
/// <see cref="Handle"/> takes one message at its virtual time and decides into the station's
/// <see cref="LpEffects"/> what the station does: sends (to itself too), timers, the kernel promise,
/// trace entries, observations and log lines, in the order they are to be done.
/// </para>
/// </summary>
public sealed class StationState
{
    private const string DeadlineCheckTimer = "deadline-check";
    private const string WindowTimer = "maintenance-window";
    private static readonly TimeSpan DeadlineCheckInterval = TimeSpan.FromMinutes(1);

    /// <summary>Times a meter whose stored image failed verification is given the whole image again.</summary>
    private const int MaxRestarts = 1;

    private readonly StationSetup _setup;
    private readonly CampaignSettings _settings;
    private readonly ProgramManifest _manifest;
    private readonly StationScripts _scripts;
    private readonly LpEffects _effects;
    private readonly LpId _self;
    private readonly LpId _collectorLp;
    private readonly int _collector;
    private readonly Dictionary<MeterId, FleetMeter> _fleet;
    private readonly Dictionary<MeterId, MeterCampaignState> _meters = new();
    private readonly Dictionary<int, List<MeterCampaignState>> _byWave = new();
    private readonly Dictionary<long, (MeterCampaignState Meter, CampaignStep Step)> _commands = new();
    private readonly DeadlineQueue _deadlines = new();
    private readonly StationReports _reports;
    private readonly List<(MeterCampaignState Meter, int[] Blocks)> _deferredUnicast = [];
    private int[]? _deferredFlood;

    // The current wave's meters here and the collector's sessions and multicast round.
    private readonly StationSessions _sessions;
    private readonly MulticastRound _round = new();
    private List<MeterCampaignState> _waveMeters = [];
    private readonly int[] _phases = new int[Enum.GetValues<MeterPhase>().Length];
    /// <summary>The wave <see cref="_phases"/> counts (-1: none).</summary>
    private int _countedWave = -1;

    private SimTime _now;
    private int _unfinished;
    private int _wave = -1;
    private CampaignStatus _status = CampaignStatus.Created;
    private int _incarnation;
    private bool _down = true;
    private long _nextCommand = 1;
    /// <summary>The last wave whose first time-out here was logged: one warning per wave and collector, the wave's end counts the rest.</summary>
    private int _timeoutLogged = -1;

    /// <param name="effects">where the state decides what the station does; the station's actor performs and clears it after each message.</param>
    public StationState(StationSetup setup, LpEffects effects)
    {
        _setup = setup;
        _settings = setup.Settings;
        _manifest = setup.Package.Manifest;
        _scripts = new StationScripts(setup.Package, setup.Settings);
        _effects = effects;
        _collector = setup.Collector.Collector;
        _self = StationSetup.LpOf(_collector);
        _collectorLp = new LpId(AmiLps.Collector, _collector);
        _fleet = setup.Meters.ToDictionary(m => m.Meter.Meter, m => m.Meter);
        _sessions = new StationSessions(_settings.SessionsPerCollector);
        _reports = new StationReports(_collector, _settings, effects);
    }

    /// <summary>The station's meters (none while the head-end is down).</summary>
    public IReadOnlyDictionary<MeterId, MeterCampaignState> Meters => _meters;

    /// <summary>The campaign's status as the station last heard it (<see cref="CampaignStatus.Down"/> after a crash).</summary>
    public CampaignStatus Status => _status;

    /// <summary>The collector's sessions held now.</summary>
    public int ActiveSessions => _sessions.Active;

    /// <summary>Decides what the station does on <paramref name="payload"/>, arrived at <paramref name="now"/>.</summary>
    public void Handle(object payload, SimTime now)
    {
        _now = now;
        switch (payload)
        {
            case StationPlan plan when plan.Incarnation >= _incarnation:
                OnPlan(plan);
                break;
            case StationCrash crash when crash.Incarnation > _incarnation:
                Crash(crash.Incarnation);
                break;
            case IStationOrder order when order.Incarnation != _incarnation || _down:
                break; // sent by an earlier life of the head-end
            case StationWave wave:
                StartWave(wave.Wave);
                break;
            case StationStatus status:
                OnCampaignStatus(status.Status);
                break;
            case StationRetryFailed:
                RetryFailed();
                break;
            case StationDurable durable:
                AcknowledgeDurable(durable.Report);
                break;
            case IUplinkFrame when _down:
                _reports.DroppedWhileDown(); // the process is dead: frames to it are lost (NICs resend confirmations)
                break;
            case StatusRound { Incarnation: var i } when i != _incarnation:
            case UnicastStatusDue { Incarnation: var j } when j != _incarnation:
                break; // scheduled by an earlier life of the process
            case PsemCommandResult result:
                OnCommandResult(result);
                break;
            case ProgramConfirmation confirmation:
                OnConfirmation(confirmation);
                break;
            case StatusRound round:
                OnStatusRound(round);
                break;
            case UnicastStatusDue due when _meters.TryGetValue(due.Meter, out var meter) && !meter.Phase.IsFinal():
                Enqueue(meter, CampaignStep.Status);
                Pump();
                break;
            case UnicastStatusDue:
                break;
            case DeadlineCheck:
                _effects.TimerFired(DeadlineCheckTimer);
                OnDeadlineCheck();
                break;
            case ReportDue:
                _reports.OnTimer(_incarnation, _sessions.Most);
                break;
            case WindowOpens:
                _effects.TimerFired(WindowTimer);
                OnWindowOpens();
                break;
            default:
                throw new InvalidOperationException($"campaign {_setup.CampaignId}, station of collector {_collector}: unexpected {payload}");
        }
        _reports.EnsureTimer(_now, _down);
    }

    // ---- orders from the campaign -------------------------------------------------------------

    private void OnPlan(StationPlan plan)
    {
        _incarnation = plan.Incarnation;
        _down = false;
        _status = plan.Status;
        for (var i = 0; i < _setup.Meters.Count; i++)
        {
            var planned = _setup.Meters[i];
            if (plan.Phases.Length > 0 && (MeterPhase)plan.Phases[i] == MeterPhase.Skipped) continue; // taken out of the plan by a request
            var id = planned.Meter.Meter;
            var meter = new MeterCampaignState(id, _collector, planned.Wave)
                { FirmwareAfter = planned.Meter.Firmware.ToString(), Order = planned.Order, Deadlines = _deadlines };
            _meters.Add(id, meter);
            _unfinished++;
            if (!_byWave.TryGetValue(planned.Wave, out var wave)) _byWave[planned.Wave] = wave = [];
            wave.Add(meter);
            if (plan.RestoreWave < 0) continue;
            SetPhase(meter, (MeterPhase)plan.Phases[i]);
            meter.TotalAttempts = plan.Attempts[i];
        }
        if (plan.RestoreWave >= 0) Restore(plan.RestoreWave);
        if (_effects.Logs(LogLevel.DebugLevel))
            _effects.Log(LogLevel.DebugLevel, "[{VirtualTime}] campaign {Campaign}, collector {Collector}: plan of {Meters} meters{Restored}", _now, _setup.CampaignId, _collector, _setup.Meters.Count,
                plan.RestoreWave < 0 ? "" : $", restored in wave {plan.RestoreWave + 1}: {_sessions.Waiting} meters to read again");
    }

    /// <summary>After a restart: asks the wave's unfinished meters where they got to (the flood is gone with the process, so repair is by unicast).</summary>
    private void Restore(int wave)
    {
        _wave = wave;
        Reset(_byWave.GetValueOrDefault(wave) ?? []);
        _round.Reset(_settings.Distribution == Distribution.Multicast ? 1 : 0);
        foreach (var meter in _waveMeters.Where(m => !m.Phase.IsFinal()))
        {
            meter.Attempts = 0;
            meter.DeadlineMicros = 0;
            Enqueue(meter, meter.Phase == MeterPhase.Pending ? FirstStep : CampaignStep.Status);
        }
        Pump();
        EnsureDeadlineCheck();
    }

    private CampaignStep FirstStep => _manifest.Kind == ProgramKind.Configuration ? CampaignStep.Configure : CampaignStep.Initiate;

    private void StartWave(int wave)
    {
        _wave = wave;
        if (!_byWave.TryGetValue(wave, out var meters)) return;
        Reset(meters);
        foreach (var meter in meters) Enqueue(meter, FirstStep);
        Pump();
        EnsureDeadlineCheck();
    }

    private void OnCampaignStatus(CampaignStatus status)
    {
        var was = _status;
        _status = status;
        if (status == CampaignStatus.Canceled && was != CampaignStatus.Canceled)
            foreach (var meter in _meters.Values.Where(m => !m.Phase.IsFinal() && m.Phase < MeterPhase.Activating).OrderBy(m => m.Order).ToList())
                Finish(meter, MeterPhase.Canceled, "canceled by the operator");
        if (status == CampaignStatus.Running) Pump();
    }

    private void RetryFailed()
    {
        foreach (var meter in _meters.Values.Where(m => m.Phase.IsError()).OrderBy(m => m.Order).ToList())
        {
            meter.Attempts = 0;
            meter.Reason = "";
            Transition(meter, MeterPhase.Pending);
            Enqueue(meter, FirstStep);
            Pump();
        }
        EnsureDeadlineCheck();
    }

    /// <summary>The head-end process died: everything the station held is gone until the campaign's next plan.</summary>
    private void Crash(int incarnation)
    {
        if (_effects.Logs(LogLevel.DebugLevel))
            _effects.Log(LogLevel.DebugLevel,
                "[{VirtualTime}] campaign {Campaign}, collector {Collector}: the head-end crashed: the station drops {Meters} meters' state, {Commands} commands in flight and {Confirmations} confirmations awaiting durability",
                _now, _setup.CampaignId, _collector, _meters.Count, _commands.Count, _reports.Holding);
        _reports.Crash();
        _effects.CancelTimer(DeadlineCheckTimer);
        _effects.CancelTimer(WindowTimer);
        _meters.Clear();
        _unfinished = 0;
        _byWave.Clear();
        _commands.Clear();
        _deadlines.Clear();
        _deferredUnicast.Clear();
        _deferredFlood = null;
        _sessions.Clear();
        _waveMeters = [];
        _countedWave = -1;
        Array.Clear(_phases);
        _round.Clear();
        _wave = -1;
        _status = CampaignStatus.Down;
        _down = true;
        _incarnation = incarnation;
    }

    // ---- sessions --------------------------------------------------------------------------------

    private void Reset(List<MeterCampaignState> meters)
    {
        _waveMeters = meters;
        _countedWave = meters.Count > 0 ? meters[0].Wave : -1;
        Array.Clear(_phases);
        foreach (var meter in meters) _phases[(int)meter.Phase]++;
        _round.Reset();
    }

    /// <summary>How many of the wave's meters here are in <paramref name="phase"/> (kept as phases change).</summary>
    private int InPhase(MeterPhase phase) => _phases[(int)phase];

    /// <summary>Runs a step now when the meter holds a session, else queues it for one.</summary>
    private void Enqueue(MeterCampaignState meter, CampaignStep step)
    {
        if (meter.InSession && meter.CommandId == 0)
        {
            Issue(meter, step);
            return;
        }
        _sessions.Queue(meter, step);
    }

    /// <summary>Starts queued steps while the collector has free sessions.</summary>
    private void Pump()
    {
        var deferred = new List<(MeterCampaignState Meter, CampaignStep Step)>();
        while (_sessions.TryNext(out var meter))
        {
            if (meter.QueuedStep is not { } step) continue; // issued meanwhile
            meter.QueuedStep = null;
            var next = (meter, step);
            if (meter.Phase.IsFinal()) continue;
            if (_status != CampaignStatus.Running && meter.Phase == MeterPhase.Pending)
            {
                deferred.Add(next); // paused or canceled: no new meters are started
                continue;
            }
            if (meter.CommandId != 0) continue; // already asked (a retry queued twice)
            // Queued twice (for example deferred to a maintenance window and queued again) and overtaken:
            // an initiate reaching a meter that has its image would only make the board refuse it.
            if (step == CampaignStep.Initiate && meter.Phase is not (MeterPhase.Pending or MeterPhase.Initiated or MeterPhase.Transferring)) continue;
            if (step == CampaignStep.Initiate && !TransfersAllowed())
            {
                deferred.Add(next); // outside the maintenance window: wait for it to open
                continue;
            }
            if (_sessions.Take(meter)) _reports.MostSessionsRose();
            Issue(meter, step);
        }
        foreach (var (meter, step) in deferred) _sessions.Requeue(meter, step);
        if (deferred.Any(d => d.Step == CampaignStep.Initiate) && !TransfersAllowed() && _status == CampaignStatus.Running) WaitForWindow();
    }

    /// <summary>Unicast transfers keep their session from initiation until the image is complete.</summary>
    private bool KeepsSession(MeterCampaignState meter) =>
        _settings.Distribution == Distribution.Unicast && meter.Phase is MeterPhase.Initiated or MeterPhase.Transferring;

    private void Issue(MeterCampaignState meter, CampaignStep step)
    {
        var credential = _fleet[meter.Meter].Credential;
        var requests = step switch
        {
            CampaignStep.Initiate => _scripts.Initiate(credential),
            CampaignStep.Status => StationScripts.Status(),
            CampaignStep.Verify => _scripts.VerifyAndActivate(credential),
            CampaignStep.Configure => _scripts.Configure(credential),
            _ => throw new ArgumentOutOfRangeException(nameof(step)),
        };
        var id = _nextCommand++;
        if (step is CampaignStep.Initiate or CampaignStep.Configure && meter.TotalAttempts == 0)
            _effects.Trace(meter.Meter.Value, "1.3", $"campaign {_setup.CampaignId} takes the meter on in wave {meter.Wave + 1} ({_settings.Distribution})");
        _effects.Trace(meter.Meter.Value, "1.4", $"{step} request (PSEM command {id}: {string.Join(", ", requests.Select(r => r.Service))}) sent toward its NIC through collector {_collector}");
        _commands[id] = (meter, step);
        meter.QueuedStep = null; // a queued step for it is done by this one
        meter.CommandId = id;
        meter.Attempts++;
        meter.TotalAttempts++;
        meter.DeadlineMicros = StepDeadline(_settings.StepTimeout);
        ToCollector(new MeshDownlink(meter.Meter, new PsemCommand(id, requests)));
    }

    /// <summary>
    /// When a step asked now is late: <paramref name="wait"/> from now, or from the end of the collector's
    /// flood if that is later (a frame waits behind the flood on the cell's channel).
    /// </summary>
    private long StepDeadline(TimeSpan wait) => ((_round.FloodEnds > _now ? _round.FloodEnds : _now) + wait).Micros;

    /// <summary>
    /// When a meter in activation has been silent too long: the confirmation timeout counted from the
    /// scheduled activation time if that is still ahead (a meter waiting for it is not late).
    /// </summary>
    private long ActivationDeadline()
    {
        var wait = _settings.ActivateAt is { } at && at > _now ? at - _now : TimeSpan.Zero;
        return (_now + wait + _settings.ConfirmationTimeout).Micros;
    }

    // ---- answers from meters --------------------------------------------------------------

    private void OnCommandResult(PsemCommandResult result)
    {
        if (!_commands.Remove(result.CommandId, out var command)) return; // an answer to a command already given up
        var (meter, step) = command;
        if (meter.CommandId != result.CommandId || meter.Phase.IsFinal()) return;
        meter.CommandId = 0;
        switch (step)
        {
            case CampaignStep.Initiate:
                OnInitiated(meter, StationScripts.ReadInitiate(result.Responses));
                break;
            case CampaignStep.Status:
                OnStatus(meter, StationScripts.ReadStatus(result.Responses));
                break;
            case CampaignStep.Verify:
                OnVerified(meter, StationScripts.ReadVerifyAndActivate(result.Responses));
                break;
            case CampaignStep.Configure:
                if (StationScripts.ReadConfigure(result.Responses) is { } refused)
                {
                    Fail(meter, refused);
                    break;
                }
                meter.FirmwareAfter = _manifest.Version.ToString();
                Finish(meter, MeterPhase.Succeeded, "");
                break;
        }
        if (!KeepsSession(meter) && meter.CommandId == 0) _sessions.Release(meter);
        Pump();
    }

    private void OnInitiated(MeterCampaignState meter, InitiateResult initiate)
    {
        if (initiate.Failure is { } failure)
        {
            Fail(meter, failure);
            return;
        }
        Transition(meter, MeterPhase.Initiated);
        meter.DeadlineMicros = (_now + _settings.StepTimeout).Micros;
        if (_settings.Distribution == Distribution.Unicast || _round.Number > 0 || meter.Wave != _wave)
        {
            SendUnicast(meter, Enumerable.Range(0, _manifest.BlockCount).ToArray()); // unicast, or a meter restarted after its collector's flood
            return;
        }
        // It waits for its collector's flood, which starts once the wave's last meter there has
        // answered its initiation (and gives it its deadline): not late meanwhile, however long that takes.
        meter.DeadlineMicros = 0;
        MaybeFlood();
    }

    private void OnStatus(MeterCampaignState meter, TransferStatus? status)
    {
        _round.Outstanding.Remove(meter.Meter);
        if (status is { Control: var control })
        {
            if (control.Status == ImageTransferStatus.TransferInitiated && control.MissingCount == 0)
            {
                meter.Missing = [];
                Transition(meter, MeterPhase.Transferred);
                Enqueue(meter, CampaignStep.Verify);
            }
            else if (control.Status == ImageTransferStatus.TransferInitiated)
            {
                var missing = status.Missing(_manifest.BlockCount);
                if (meter.Missing is null || missing.Length < meter.Missing.Length) meter.Attempts = 0; // progress: the repair works
                meter.Missing = missing;
                if (meter.Phase != MeterPhase.Transferring) Transition(meter, MeterPhase.Transferring);
            }
            else if (control.Status == ImageTransferStatus.NotInitiated && status.Firmware == _manifest.Version)
            {
                // Already running the program (activated, then its transfer state was cleared): done, not to be sent again.
                meter.FirmwareAfter = status.Firmware.ToString();
                Finish(meter, MeterPhase.Succeeded, "");
            }
            else if (control.Status == ImageTransferStatus.NotInitiated)
            {
                Enqueue(meter, CampaignStep.Initiate); // the meter lost its transfer: start again
            }
            // A head-end that restarted learns where the meter got to without it.
            else if (control.Status is ImageTransferStatus.VerificationSuccessful or ImageTransferStatus.VerificationFailed)
            {
                Transition(meter, MeterPhase.Transferred);
                Enqueue(meter, CampaignStep.Verify);
            }
            else if (control.Status == ImageTransferStatus.ActivationInitiated)
            {
                Transition(meter, MeterPhase.Activating);
                meter.DeadlineMicros = ActivationDeadline();
            }
            else if (control.Status == ImageTransferStatus.ActivationSuccessful && status.Firmware == _manifest.Version)
            {
                meter.FirmwareAfter = status.Firmware.ToString();
                Finish(meter, MeterPhase.Succeeded, "");
            }
            else if (control.Status == ImageTransferStatus.ActivationFailed)
            {
                meter.FirmwareAfter = status.Firmware.ToString();
                Fail(meter, $"activation failed, rolled back to {status.Firmware}: {control.LastFailure}");
            }
        }
        if (_round.Stage == RoundStage.Collecting)
        {
            // It answered: it waits for the collector's other meters and the repair decision, which gives
            // it its next deadline; reading it again meanwhile would only spend its attempts.
            if (meter.Phase == MeterPhase.Transferring) meter.DeadlineMicros = 0;
            if (_round.Outstanding.Count == 0) DecideRepair();
        }
        else if (_round.Stage == RoundStage.Idle && meter.Phase == MeterPhase.Transferring && meter.Missing is { Length: > 0 } missing)
        {
            SendUnicast(meter, missing); // unicast distribution, or repair after the multicast rounds
        }
    }

    private void OnVerified(MeterCampaignState meter, VerifyActivateResult result)
    {
        switch (result.Outcome)
        {
            case VerifyOutcome.Refused:
                Fail(meter, result.Reason);
                return;
            case VerifyOutcome.VerificationFailed:
                if (result.Failure is ImageFailure.BlockDigestMismatch or ImageFailure.ImageDigestMismatch && meter.Restarts < MaxRestarts)
                {
                    // Blocks were stored corrupted: transfer the image again, once, by unicast.
                    meter.Restarts++;
                    Transition(meter, MeterPhase.Pending);
                    Enqueue(meter, CampaignStep.Initiate);
                    return;
                }
                Fail(meter, result.Reason);
                return;
        }
        Transition(meter, MeterPhase.Verified);
        if (result.Outcome == VerifyOutcome.ActivationRefused)
        {
            Fail(meter, result.Reason);
            return;
        }
        Transition(meter, MeterPhase.Activating);
        meter.Attempts = 0;
        meter.DeadlineMicros = ActivationDeadline();
    }

    private void OnConfirmation(ProgramConfirmation confirmation)
    {
        _reports.Confirmed(confirmation);
        if (!_meters.TryGetValue(confirmation.Meter, out var meter) || meter.Phase.IsFinal() || confirmation.ProgramId != _manifest.ProgramId) return;
        meter.FirmwareAfter = confirmation.Firmware.ToString();
        _effects.Trace(confirmation.Meter.Value, "1.10", $"head-end received confirmation {confirmation.ConfirmationId}: {confirmation.Outcome}, firmware {confirmation.Firmware}");
        if (confirmation.Outcome == ConfirmationOutcome.Activated && confirmation.Firmware == _manifest.Version) Finish(meter, MeterPhase.Succeeded, "");
        else Fail(meter, $"activation failed, rolled back to {confirmation.Firmware}: {confirmation.Reason}");
    }

    // ---- distribution ---------------------------------------------------------------------

    /// <summary>Multicast: once every wave meter here has answered its initiation, flood the image.</summary>
    private void MaybeFlood()
    {
        if (_round.Number > 0 || InPhase(MeterPhase.Pending) > 0 || InPhase(MeterPhase.Initiated) == 0) return;
        Flood(Enumerable.Range(0, _manifest.BlockCount).ToArray());
    }

    private bool TransfersAllowed() => _settings.TransferWindow?.Contains(_now) ?? true;

    /// <summary>Wakes the station when the maintenance window opens, and keeps waiting meters from timing out meanwhile.</summary>
    private void WaitForWindow()
    {
        var opens = _settings.TransferWindow!.NextOpening(_now);
        if (!_effects.IsTimerActive(WindowTimer)) _effects.StartTimer(WindowTimer, opens - _now, WindowOpens.Instance);
        foreach (var meter in _meters.Values.Where(m => !m.Phase.IsFinal() && m.CommandId == 0 && m.Phase < MeterPhase.Transferred))
            meter.DeadlineMicros = Math.Max(meter.DeadlineMicros, (opens + _settings.StepTimeout).Micros);
    }

    private void OnWindowOpens()
    {
        if (_deferredFlood is { } blocks)
        {
            _deferredFlood = null;
            Flood(blocks);
        }
        foreach (var (meter, missing) in _deferredUnicast.ToList()) SendUnicast(meter, missing);
        _deferredUnicast.Clear();
        Pump();
    }

    private void Flood(int[] blocks)
    {
        if (!TransfersAllowed())
        {
            _deferredFlood = blocks;
            WaitForWindow();
            return;
        }
        _reports.Flooded(blocks.Length);
        var chunks = Chunks(blocks);
        var profile = _setup.Collector;
        var settle = _setup.Radio.FloodSettle(chunks.Select(c => c.WireBytes), profile.Relays, profile.MaxDepth) + _settings.StatusDelay;
        // The flood holds the collector's channel for about that long: meters waiting for it are not late
        // until it has had its time, and neither is an answer queued behind it on the channel.
        _round.Flood(_now + settle);
        // Addressed to the meters that still need blocks: the wave's meters here that were initiated and
        // not yet read complete. The others hear the flood and drop it.
        var group = new MulticastGroup(_reports.MulticastRounds, _waveMeters
            .Where(m => m.Phase is MeterPhase.Initiated or MeterPhase.Transferring).Select(m => m.Meter).ToArray());
        foreach (var chunk in chunks) ToCollector(new MeshDownlink(null, chunk, group));
        _effects.Send(_self, settle, new StatusRound(_round.Number, _incarnation));
        var deadline = StepDeadline(_settings.StepTimeout);
        foreach (var meter in _waveMeters)
        {
            if (meter.Phase.IsFinal()) continue;
            if (meter.DeadlineMicros > 0 || meter.Phase is MeterPhase.Initiated or MeterPhase.Transferring && meter.CommandId == 0)
                meter.DeadlineMicros = Math.Max(meter.DeadlineMicros, deadline);
        }
    }

    private void OnStatusRound(StatusRound round)
    {
        if (round.Round != _round.Number) return;
        _round.Stage = RoundStage.Collecting;
        foreach (var meter in _waveMeters.Where(m => m.Phase is MeterPhase.Initiated or MeterPhase.Transferring))
        {
            _round.Outstanding.Add(meter.Meter);
            Enqueue(meter, CampaignStep.Status);
        }
        if (_round.Outstanding.Count == 0) _round.Stage = RoundStage.Idle;
        Pump();
    }

    private void DecideRepair()
    {
        _round.Stage = RoundStage.Idle;
        var missing = _waveMeters.Where(m => m.Phase == MeterPhase.Transferring && m.Missing is { Length: > 0 }).ToList();
        if (missing.Count == 0) return;
        // The share is of the wave's meters under this collector, final ones included: a few stragglers
        // among many finished meters are repaired one by one, not by flooding the cell again.
        if (_round.Number < _settings.MaxMulticastRounds && missing.Count >= _settings.MulticastRepairShare * _waveMeters.Count)
        {
            Flood(missing.SelectMany(m => m.Missing!).Distinct().Order().ToArray());
            return;
        }
        foreach (var meter in missing) SendUnicast(meter, meter.Missing!);
    }

    /// <summary>Sends blocks to one meter on its own path, and asks for its status once they should be there.</summary>
    private void SendUnicast(MeterCampaignState meter, int[] blocks)
    {
        if (!TransfersAllowed())
        {
            if (!_deferredUnicast.Any(d => d.Meter == meter)) _deferredUnicast.Add((meter, blocks));
            WaitForWindow();
            return;
        }
        if (meter.Phase == MeterPhase.Initiated) Transition(meter, MeterPhase.Transferring);
        _reports.SentUnicast(blocks.Length);
        var chunks = Chunks(blocks);
        foreach (var chunk in chunks) ToCollector(new MeshDownlink(meter.Meter, chunk));
        var settle = _setup.Radio.UnicastSettle(chunks.Select(c => c.WireBytes), _setup.Collector.MaxDepth) + _settings.StatusDelay;
        meter.DeadlineMicros = StepDeadline(settle + _settings.StepTimeout);
        _effects.Send(_self, settle, new UnicastStatusDue(meter.Meter, _incarnation));
    }

    private List<ImageChunk> Chunks(int[] blocks)
    {
        var chunks = new List<ImageChunk>();
        for (var i = 0; i < blocks.Length; i += _settings.BlocksPerChunk)
            chunks.Add(new ImageChunk(_manifest.ProgramId, _manifest.BlockSize,
                blocks.Skip(i).Take(_settings.BlocksPerChunk).Select(b => new ImageBlock(b, _setup.Package.Block(b))).ToList()));
        return chunks;
    }

    /// <summary>
    /// Puts a frame on the collector's backhaul now: it reaches the collector's router one backhaul
    /// latency later, which books the backhaul's bandwidth as of now (see docs/MESH-MODEL.md).
    /// </summary>
    private void ToCollector(MeshDownlink downlink) => _effects.Send(_collectorLp, _setup.Collector.BackhaulLatency, downlink);

    // ---- time-outs ------------------------------------------------------------------------

    private void EnsureDeadlineCheck()
    {
        if (!_effects.IsTimerActive(DeadlineCheckTimer) && Unfinished) _effects.StartTimer(DeadlineCheckTimer, DeadlineCheckInterval, DeadlineCheck.Instance);
    }

    /// <summary>Some meter here has not finished (counted as phases change: a deadline check a minute must not look at every meter).</summary>
    private bool Unfinished => _unfinished > 0;

    /// <summary>Tries again the steps whose deadline has passed, and times out meters out of attempts.</summary>
    private void OnDeadlineCheck()
    {
        foreach (var meter in _deadlines.Due(_now.Micros))
        {
            if (meter.CommandId != 0)
            {
                _commands.Remove(meter.CommandId);
                meter.CommandId = 0;
                if (!KeepsSession(meter)) _sessions.Release(meter);
                _round.Outstanding.Remove(meter.Meter);
            }
            if (meter.Attempts >= _settings.MaxAttempts)
            {
                Finish(meter, MeterPhase.TimedOut, $"no answer in {meter.Phase} after {meter.Attempts} attempts");
                if (meter.Wave > _timeoutLogged && _effects.Logs(LogLevel.WarningLevel))
                {
                    _timeoutLogged = meter.Wave;
                    _effects.Log(LogLevel.WarningLevel,
                        "[{VirtualTime}] campaign {Campaign}, collector {Collector}: wave {Wave}: first time-out here, meter {Meter}: {Reason} (the wave's end counts the others)",
                        _now, _setup.CampaignId, _collector, meter.Wave + 1, meter.Meter.Value, meter.Reason);
                }
                continue;
            }
            meter.DeadlineMicros = 0;
            switch (meter.Phase)
            {
                case MeterPhase.Pending: Enqueue(meter, FirstStep); break;
                case MeterPhase.Initiated or MeterPhase.Transferring: Enqueue(meter, CampaignStep.Status); break;
                case MeterPhase.Transferred or MeterPhase.Verified: Enqueue(meter, CampaignStep.Verify); break;
                case MeterPhase.Activating:
                    meter.Attempts++;
                    meter.DeadlineMicros = ActivationDeadline();
                    break;
            }
        }
        if (_round.Stage == RoundStage.Collecting && _round.Outstanding.Count == 0) DecideRepair(); // the last status reads timed out
        if (_settings.Distribution == Distribution.Multicast) MaybeFlood();
        Pump();
        if (Unfinished) _effects.StartTimer(DeadlineCheckTimer, DeadlineCheckInterval, DeadlineCheck.Instance);
    }

    // ---- state changes and reports ------------------------------------------------------------

    /// <summary>Moves a meter to <paramref name="phase"/>; a new step starts with no attempts spent.</summary>
    private void Transition(MeterCampaignState meter, MeterPhase phase)
    {
        if (meter.Phase != phase) meter.Attempts = 0;
        SetPhase(meter, phase);
        _reports.Transitioned(new MeterTransition(meter.Meter.Value, meter.Phase, meter.Reason, meter.TotalAttempts, _now.Micros, meter.FirmwareAfter));
    }

    /// <summary>The only place a meter's phase changes, so that the wave's counts stay exact.</summary>
    private void SetPhase(MeterCampaignState meter, MeterPhase phase)
    {
        if (meter.Wave == _countedWave && meter.Phase != phase)
        {
            _phases[(int)meter.Phase]--;
            _phases[(int)phase]++;
        }
        if (meter.Phase.IsFinal() != phase.IsFinal()) _unfinished += phase.IsFinal() ? -1 : 1;
        if (_effects.Observed && meter.Phase != phase) _effects.Publish(new MeterPhaseObserved(_now, meter.Meter, meter.Wave + 1, meter.Phase, phase, meter.Reason));
        meter.Phase = phase;
    }

    private void Fail(MeterCampaignState meter, string reason) => Finish(meter, MeterPhase.Failed, reason);

    private void Finish(MeterCampaignState meter, MeterPhase phase, string reason)
    {
        if (meter.CommandId != 0)
        {
            _commands.Remove(meter.CommandId);
            meter.CommandId = 0;
        }
        _sessions.Release(meter);
        meter.Reason = reason;
        meter.FinishedMicros = _now.Micros;
        meter.DeadlineMicros = 0;
        Transition(meter, phase);
    }

    /// <summary>The reports up to <paramref name="report"/> are durable: acknowledge the confirmations they held.</summary>
    private void AcknowledgeDurable(long report)
    {
        foreach (var confirmation in _reports.Durable(report))
            ToCollector(new MeshDownlink(confirmation.Meter, new ConfirmationAck(confirmation.Meter, confirmation.ConfirmationId)));
    }
}

/// <summary>The station's own message: the flood of multicast round <paramref name="Round"/> should have crossed the cell, read its meters' status.</summary>
internal sealed record StatusRound(int Round, int Incarnation);

/// <summary>The station's own message: a unicast's blocks should have reached <paramref name="Meter"/>, read its status.</summary>
internal sealed record UnicastStatusDue(MeterId Meter, int Incarnation);

/// <summary>The station's timer, a minute apart: look for meters whose step is late.</summary>
internal sealed class DeadlineCheck
{
    public static readonly DeadlineCheck Instance = new();

    private DeadlineCheck() { }
}

/// <summary>The station's timer on the head-end's clock: report to the campaign.</summary>
internal sealed class ReportDue
{
    public static readonly ReportDue Instance = new();

    private ReportDue() { }
}

/// <summary>The station's timer: the maintenance window opens.</summary>
internal sealed class WindowOpens
{
    public static readonly WindowOpens Instance = new();

    private WindowOpens() { }
}
