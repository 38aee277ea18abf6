using System.Buffers.Binary;
using Akka.Event;
using AmiSim.Kernel;
using AmiSim.Protocol.C1219;
using AmiSim.Protocol.Network;
using AmiSim.Protocol.Programs;
using AmiSim.Protocol.Psem;

namespace AmiSim.HeadEnd.Campaign;

/// <summary>
/// The head-end's front-end for one collector (steps 1.3-1.4, 1.10): it works the collector's meters
/// through the campaign for the <see cref="CampaignActor"/>. It initiates meters by unicast (within the
/// collector's session limit), floods the image (or sends it per meter), reads each meter's transfer
/// status, repairs what is missing (another multicast round when many miss, else unicast), verifies
/// and activates, and times out meters that stay silent. It reports its meters' transitions to the
/// campaign on the head-end's clock (<see cref="CampaignSettings.NextTick"/>), and acknowledges a
/// meter's confirmation once the campaign says the report holding it is durable. It lives on its
/// collector's partition: only its reports and the campaign's orders cross partitions, one station
/// latency late.
/// </summary>
public sealed class CollectorStation : SimActor
{
    private const string ReportTimer = "report";
    private const string TickTimer = "tick";
    private const string WindowTimer = "maintenance-window";
    private static readonly TimeSpan TickInterval = TimeSpan.FromMinutes(1);

    /// <summary>Times a meter whose stored image failed verification is given the whole image again.</summary>
    private const int MaxRestarts = 1;

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly StationSetup _setup;
    private readonly CampaignSettings _settings;
    private readonly ProgramManifest _manifest;
    private readonly int _collector;
    private readonly Dictionary<MeterId, FleetMeter> _fleet;
    private readonly Dictionary<MeterId, MeterCampaignState> _meters = new();
    private readonly Dictionary<int, List<MeterCampaignState>> _byWave = new();
    private readonly Dictionary<long, (MeterCampaignState Meter, CampaignStep Step)> _commands = new();
    private readonly DeadlineQueue _deadlines = new();
    private readonly List<MeterTransition> _unreported = [];
    /// <summary>Confirmations received since the last report.</summary>
    private readonly List<ProgramConfirmation> _confirmations = [];
    /// <summary>Confirmations reported, by the report that held them, waiting for it to be durable.</summary>
    private readonly Queue<(long Report, ProgramConfirmation Confirmation)> _awaitingDurable = new();
    private readonly List<(MeterCampaignState Meter, int[] Blocks)> _deferredUnicast = [];
    private int[]? _deferredFlood;

    // The current wave's meters here and the collector's sessions and multicast round.
    /// <summary>Meters waiting for a session; each meter's <see cref="MeterCampaignState.QueuedStep"/> says for what.</summary>
    private readonly Queue<MeterCampaignState> _queue = new();
    private int _active;
    private List<MeterCampaignState> _waveMeters = [];
    private readonly int[] _phases = new int[Enum.GetValues<MeterPhase>().Length];
    /// <summary>The wave <see cref="_phases"/> counts (-1: none).</summary>
    private int _countedWave = -1;
    private int _round;
    private RoundStage _stage;
    /// <summary>When the collector's latest flood should have crossed its cell (its channel is busy until then).</summary>
    private SimTime _floodEnds;
    private readonly HashSet<MeterId> _statusOutstanding = [];

    private int _unfinished;
    private int _wave = -1;
    private CampaignStatus _status = CampaignStatus.Created;
    private int _incarnation;
    private bool _down = true;
    private long _nextCommand = 1;
    private long _reports;
    private SimTime _reportAt;
    private byte[]? _manifestTable;

    // Running totals, kept across a restart of the head-end, reported with the transitions.
    private bool _countersChanged;
    private int _mostSessions;
    private int _multicastRounds;
    private long _multicastBlocks;
    private long _unicastBlocks;
    private long _droppedWhileDown;
    /// <summary>The last wave whose first time-out here was logged: one warning per wave and collector, the wave's end counts the rest.</summary>
    private int _timeoutLogged = -1;

    public CollectorStation(StationSetup setup)
    {
        _setup = setup;
        _settings = setup.Settings;
        _manifest = setup.Package.Manifest;
        _collector = setup.Collector.Collector;
        _fleet = setup.Meters.ToDictionary(m => m.Meter.Meter, m => m.Meter);
    }

    public static Akka.Actor.Props Props(StationSetup setup) => Akka.Actor.Props.Create(() => new CollectorStation(setup));

    private static LpId CollectorLp(int collector) => new(AmiLps.Collector, collector);

    protected override void OnEvent(object payload)
    {
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
                _droppedWhileDown++; // the process is dead: frames to it are lost (NICs resend confirmations)
                _countersChanged = true;
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
            case Tick:
                OnTick();
                break;
            case ReportDue:
                Report();
                break;
            case WindowOpens:
                OnWindowOpens();
                break;
            default:
                throw new InvalidOperationException($"campaign {_setup.CampaignId}, station of collector {_collector}: unexpected {payload}");
        }
        EnsureReportTimer();
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
        if (_log.IsDebugEnabled && IsLive)
            _log.Debug("[{VirtualTime}] campaign {Campaign}, collector {Collector}: plan of {Meters} meters{Restored}", Now, _setup.CampaignId, _collector, _setup.Meters.Count,
                plan.RestoreWave < 0 ? "" : $", restored in wave {plan.RestoreWave + 1}: {_queue.Count} meters to read again");
    }

    /// <summary>After a restart: asks the wave's unfinished meters where they got to (the flood is gone with the process, so repair is by unicast).</summary>
    private void Restore(int wave)
    {
        _wave = wave;
        Reset(_byWave.GetValueOrDefault(wave) ?? []);
        _round = _settings.Distribution == Distribution.Multicast ? 1 : 0;
        foreach (var meter in _waveMeters.Where(m => !m.Phase.IsFinal()))
        {
            meter.Attempts = 0;
            meter.DeadlineMicros = 0;
            Enqueue(meter, meter.Phase == MeterPhase.Pending ? FirstStep : CampaignStep.Status);
        }
        Pump();
        EnsureTick();
    }

    private CampaignStep FirstStep => _manifest.Kind == ProgramKind.Configuration ? CampaignStep.Configure : CampaignStep.Initiate;

    private void StartWave(int wave)
    {
        _wave = wave;
        if (!_byWave.TryGetValue(wave, out var meters)) return;
        Reset(meters);
        foreach (var meter in meters) Enqueue(meter, FirstStep);
        Pump();
        EnsureTick();
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
        EnsureTick();
    }

    /// <summary>The head-end process died: everything the station held is gone until the campaign's next plan.</summary>
    private void Crash(int incarnation)
    {
        if (_log.IsDebugEnabled && IsLive)
            _log.Debug("[{VirtualTime}] campaign {Campaign}, collector {Collector}: the head-end crashed: the station drops {Meters} meters' state, {Commands} commands in flight and {Confirmations} confirmations awaiting durability",
                Now, _setup.CampaignId, _collector, _meters.Count, _commands.Count, _confirmations.Count + _awaitingDurable.Count);
        foreach (var timer in new[] { ReportTimer, TickTimer, WindowTimer }) CancelTimer(timer);
        _meters.Clear();
        _unfinished = 0;
        _byWave.Clear();
        _commands.Clear();
        _deadlines.Clear();
        _unreported.Clear();
        _confirmations.Clear();
        _awaitingDurable.Clear();
        _deferredUnicast.Clear();
        _deferredFlood = null;
        _queue.Clear();
        _active = 0;
        _waveMeters = [];
        _countedWave = -1;
        Array.Clear(_phases);
        _round = 0;
        _stage = RoundStage.Idle;
        _floodEnds = SimTime.Zero;
        _statusOutstanding.Clear();
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
        _round = 0;
        _stage = RoundStage.Idle;
        _statusOutstanding.Clear();
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
        // One place in the queue per meter, for the latest step asked: a step asked again while the meter
        // waits for a session (a tick found it late) must not queue it twice and read it twice.
        var queued = meter.QueuedStep is not null;
        meter.QueuedStep = step;
        if (!queued) _queue.Enqueue(meter);
    }

    /// <summary>Starts queued steps while the collector has free sessions.</summary>
    private void Pump()
    {
        var deferred = new List<(MeterCampaignState Meter, CampaignStep Step)>();
        while (_active < _settings.SessionsPerCollector && _queue.TryDequeue(out var meter))
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
            if (!meter.InSession)
            {
                meter.InSession = true;
                _active++;
                if (_active > _mostSessions)
                {
                    _mostSessions = _active;
                    _countersChanged = true;
                }
            }
            Issue(meter, step);
        }
        foreach (var (meter, step) in deferred)
        {
            meter.QueuedStep = step;
            _queue.Enqueue(meter);
        }
        if (deferred.Any(d => d.Step == CampaignStep.Initiate) && !TransfersAllowed() && _status == CampaignStatus.Running) WaitForWindow();
    }

    private void Release(MeterCampaignState meter)
    {
        if (!meter.InSession) return;
        meter.InSession = false;
        _active--;
    }

    /// <summary>Unicast transfers keep their session from initiation until the image is complete.</summary>
    private bool KeepsSession(MeterCampaignState meter) =>
        _settings.Distribution == Distribution.Unicast && meter.Phase is MeterPhase.Initiated or MeterPhase.Transferring;

    private void Issue(MeterCampaignState meter, CampaignStep step)
    {
        var credential = _fleet[meter.Meter].Credential;
        PsemRequest[] Authenticated(params PsemRequest[] requests) => [new LogonRequest(1, "headend"), new SecurityRequest(credential), .. requests];
        var requests = step switch
        {
            CampaignStep.Initiate => Authenticated(
                new FullWriteRequest(Tables.ImageManifest, _manifestTable ??= ImageManifestTable.Encode(_manifest, _setup.Package.Signature)),
                Procedure(ProcedureId.Manufacturer(ManufacturerProcedure.InitiateImageTransfer),
                    new InitiateImageTransferParameters(_manifest.ProgramId, _manifest.Version, (uint)_manifest.Size, (ushort)_manifest.BlockSize).Encode(DataOrder.BigEndian)),
                new FullReadRequest(Tables.ProcedureResponse)),
            CampaignStep.Status => [new FullReadRequest(Tables.ImageTransferControl), new FullReadRequest(Tables.ImageTransferBitmap), new FullReadRequest(Tables.GeneralManufacturerId)],
            CampaignStep.Verify => Authenticated(
                Procedure(ProcedureId.Manufacturer(ManufacturerProcedure.VerifyImage), []),
                new FullReadRequest(Tables.ProcedureResponse),
                Procedure(ProcedureId.Manufacturer(ManufacturerProcedure.ActivateImage, ResponseSelector.ImmediatelyAndOnCompletion), ActivationTime()),
                new FullReadRequest(Tables.ProcedureResponse)),
            CampaignStep.Configure => Authenticated([
                .. _manifest.ConfigurationWrites.Select(w => (PsemRequest)new FullWriteRequest(w.Table.AsPending(), w.Data)),
                Procedure(ProcedureId.Standard(StandardProcedure.ActivateSpecificPendingTables), PendingList()),
                new FullReadRequest(Tables.ProcedureResponse)]),
            _ => throw new ArgumentOutOfRangeException(nameof(step)),
        };
        var id = _nextCommand++;
        if (step is CampaignStep.Initiate or CampaignStep.Configure && meter.TotalAttempts == 0)
            Trace(meter.Meter.Value, "1.3", $"campaign {_setup.CampaignId} takes the meter on in wave {meter.Wave + 1} ({_settings.Distribution})");
        Trace(meter.Meter.Value, "1.4", $"{step} request (PSEM command {id}: {string.Join(", ", requests.Select(r => r.Service))}) sent toward its NIC through collector {_collector}");
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
    private long StepDeadline(TimeSpan wait) => ((_floodEnds > Now ? _floodEnds : Now) + wait).Micros;

    /// <summary>
    /// When a meter in activation has been silent too long: the confirmation timeout counted from the
    /// scheduled activation time if that is still ahead (a meter waiting for it is not late).
    /// </summary>
    private long ActivationDeadline()
    {
        var wait = _settings.ActivateAt is { } at && at > Now ? at - Now : TimeSpan.Zero;
        return (Now + wait + _settings.ConfirmationTimeout).Micros;
    }

    private byte[] ActivationTime()
    {
        if (_settings.ActivateAt is not { } at) return [];
        var bytes = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, (ulong)at.Micros);
        return bytes;
    }

    private byte[] PendingList()
    {
        var writer = new TableWriter(DataOrder.BigEndian).U8((byte)_manifest.ConfigurationWrites.Count);
        foreach (var write in _manifest.ConfigurationWrites) writer.U16(write.Table.WithoutPending().Raw);
        return writer.ToArray();
    }

    private static FullWriteRequest Procedure(ProcedureId procedure, byte[] parameters) =>
        new(Tables.ProcedureInitiate, new ProcedureInitiateTable(procedure, 1, parameters).Encode(DataOrder.BigEndian));

    // ---- answers from meters --------------------------------------------------------------

    private void OnCommandResult(PsemCommandResult result)
    {
        if (!_commands.Remove(result.CommandId, out var command)) return; // an answer to a command already given up
        var (meter, step) = command;
        if (meter.CommandId != result.CommandId || meter.Phase.IsFinal()) return;
        meter.CommandId = 0;
        var responses = result.Responses;
        switch (step)
        {
            case CampaignStep.Initiate:
                if (!result.AllOk || responses.Count < 5)
                {
                    Fail(meter, $"initiate refused: {Describe(responses)}");
                    break;
                }
                var st8 = ProcedureResponseTable.Decode(responses[^1].Data.Span, DataOrder.BigEndian);
                if (st8.Result != ProcedureResult.Completed)
                {
                    Fail(meter, st8.ResponseData.Length > 0 ? $"initiate: {(ImageFailure)st8.ResponseData[0]}" : $"initiate: {st8.Result}");
                    break;
                }
                Transition(meter, MeterPhase.Initiated);
                meter.DeadlineMicros = (Now + _settings.StepTimeout).Micros;
                if (_settings.Distribution == Distribution.Unicast || _round > 0 || meter.Wave != _wave)
                {
                    SendUnicast(meter, Enumerable.Range(0, _manifest.BlockCount).ToArray()); // unicast, or a meter restarted after its collector's flood
                    break;
                }
                // It waits for its collector's flood, which starts once the wave's last meter there has
                // answered its initiation (and gives it its deadline): not late meanwhile, however long that takes.
                meter.DeadlineMicros = 0;
                MaybeFlood();
                break;
            case CampaignStep.Status:
                OnStatus(meter, responses);
                break;
            case CampaignStep.Verify:
                OnVerified(meter, responses);
                break;
            case CampaignStep.Configure:
                if (result.AllOk && ProcedureResponseTable.Decode(responses[^1].Data.Span, DataOrder.BigEndian).Result == ProcedureResult.Completed)
                {
                    meter.FirmwareAfter = _manifest.Version.ToString();
                    Finish(meter, MeterPhase.Succeeded, "");
                }
                else Fail(meter, $"configuration refused: {Describe(responses)}");
                break;
        }
        if (!KeepsSession(meter) && meter.CommandId == 0) Release(meter);
        Pump();
    }

    private static string Describe(IReadOnlyList<PsemResponse> responses) => string.Join(",", responses.Select(r => r.Code));

    private void OnStatus(MeterCampaignState meter, IReadOnlyList<PsemResponse> responses)
    {
        _statusOutstanding.Remove(meter.Meter);
        if (responses.Count == 3 && responses.All(r => r.IsOk))
        {
            var control = ImageTransferControlTable.Decode(responses[0].Data.Span, DataOrder.BigEndian);
            var bitmap = responses[1].Data.ToArray();
            var st1 = GeneralManufacturerIdTable.Decode(responses[2].Data.Span);
            if (control.Status == ImageTransferStatus.TransferInitiated && control.MissingCount == 0)
            {
                meter.Missing = [];
                Transition(meter, MeterPhase.Transferred);
                Enqueue(meter, CampaignStep.Verify);
            }
            else if (control.Status == ImageTransferStatus.TransferInitiated)
            {
                var missing = BlockBitmap.Missing(bitmap, _manifest.BlockCount).ToArray();
                if (meter.Missing is null || missing.Length < meter.Missing.Length) meter.Attempts = 0; // progress: the repair works
                meter.Missing = missing;
                if (meter.Phase != MeterPhase.Transferring) Transition(meter, MeterPhase.Transferring);
            }
            else if (control.Status == ImageTransferStatus.NotInitiated && st1.Firmware == _manifest.Version)
            {
                // Already running the program (activated, then its transfer state was cleared): done, not to be sent again.
                meter.FirmwareAfter = st1.Firmware.ToString();
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
            else if (control.Status == ImageTransferStatus.ActivationSuccessful && st1.Firmware == _manifest.Version)
            {
                meter.FirmwareAfter = st1.Firmware.ToString();
                Finish(meter, MeterPhase.Succeeded, "");
            }
            else if (control.Status == ImageTransferStatus.ActivationFailed)
            {
                meter.FirmwareAfter = st1.Firmware.ToString();
                Fail(meter, $"activation failed, rolled back to {st1.Firmware}: {control.LastFailure}");
            }
        }
        if (_stage == RoundStage.Collecting)
        {
            // It answered: it waits for the collector's other meters and the repair decision, which gives
            // it its next deadline; reading it again meanwhile would only spend its attempts.
            if (meter.Phase == MeterPhase.Transferring) meter.DeadlineMicros = 0;
            if (_statusOutstanding.Count == 0) DecideRepair();
        }
        else if (_stage == RoundStage.Idle && meter.Phase == MeterPhase.Transferring && meter.Missing is { Length: > 0 } missing)
        {
            SendUnicast(meter, missing); // unicast distribution, or repair after the multicast rounds
        }
    }

    private void OnVerified(MeterCampaignState meter, IReadOnlyList<PsemResponse> responses)
    {
        if (responses.Count < 6 || !responses[3].IsOk)
        {
            Fail(meter, $"verification command refused: {Describe(responses)}");
            return;
        }
        var verify = ProcedureResponseTable.Decode(responses[3].Data.Span, DataOrder.BigEndian);
        var failure = verify.ResponseData.Length > 1 ? (ImageFailure)verify.ResponseData[1] : ImageFailure.None;
        if (verify.Result != ProcedureResult.Completed || failure != ImageFailure.None)
        {
            if (failure is ImageFailure.BlockDigestMismatch or ImageFailure.ImageDigestMismatch && meter.Restarts < MaxRestarts)
            {
                // Blocks were stored corrupted: transfer the image again, once, by unicast.
                meter.Restarts++;
                Transition(meter, MeterPhase.Pending);
                Enqueue(meter, CampaignStep.Initiate);
                return;
            }
            Fail(meter, $"verification failed: {failure}");
            return;
        }
        Transition(meter, MeterPhase.Verified);
        if (responses.Count < 6 || !responses[5].IsOk ||
            ProcedureResponseTable.Decode(responses[5].Data.Span, DataOrder.BigEndian).Result is not (ProcedureResult.AcceptedNotCompleted or ProcedureResult.Completed))
        {
            Fail(meter, "activation refused");
            return;
        }
        Transition(meter, MeterPhase.Activating);
        meter.Attempts = 0;
        meter.DeadlineMicros = ActivationDeadline();
    }

    private void OnConfirmation(ProgramConfirmation confirmation)
    {
        _confirmations.Add(confirmation);
        if (!_meters.TryGetValue(confirmation.Meter, out var meter) || meter.Phase.IsFinal() || confirmation.ProgramId != _manifest.ProgramId) return;
        meter.FirmwareAfter = confirmation.Firmware.ToString();
        Trace(confirmation.Meter.Value, "1.10", $"head-end received confirmation {confirmation.ConfirmationId}: {confirmation.Outcome}, firmware {confirmation.Firmware}");
        if (confirmation.Outcome == ConfirmationOutcome.Activated && confirmation.Firmware == _manifest.Version) Finish(meter, MeterPhase.Succeeded, "");
        else Fail(meter, $"activation failed, rolled back to {confirmation.Firmware}: {confirmation.Reason}");
    }

    // ---- distribution ---------------------------------------------------------------------

    /// <summary>Multicast: once every wave meter here has answered its initiation, flood the image.</summary>
    private void MaybeFlood()
    {
        if (_round > 0 || InPhase(MeterPhase.Pending) > 0 || InPhase(MeterPhase.Initiated) == 0) return;
        Flood(Enumerable.Range(0, _manifest.BlockCount).ToArray());
    }

    private bool TransfersAllowed() => _settings.TransferWindow?.Contains(Now) ?? true;

    /// <summary>Wakes the station when the maintenance window opens, and keeps waiting meters from timing out meanwhile.</summary>
    private void WaitForWindow()
    {
        var opens = _settings.TransferWindow!.NextOpening(Now);
        if (!IsTimerActive(WindowTimer)) StartTimer(WindowTimer, opens - Now, WindowOpens.Instance);
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
        _round++;
        _stage = RoundStage.Flooding;
        _multicastRounds++;
        _multicastBlocks += blocks.Length;
        _countersChanged = true;
        var chunks = Chunks(blocks);
        // Addressed to the meters that still need blocks: the wave's meters here that were initiated and
        // not yet read complete. The others hear the flood and drop it.
        var group = new MulticastGroup(_multicastRounds, _waveMeters
            .Where(m => m.Phase is MeterPhase.Initiated or MeterPhase.Transferring).Select(m => m.Meter).ToArray());
        foreach (var chunk in chunks) ToCollector(new MeshDownlink(null, chunk, group));
        var profile = _setup.Collector;
        var airtime = chunks.Sum(c => AirtimeMicros(c.WireBytes)) * (profile.Relays + 1);
        var settle = TimeSpan.FromTicks(airtime * 10) + _setup.HopLatency * (profile.MaxDepth + 1) + _settings.StatusDelay;
        Send(Id, settle, new StatusRound(_round, _incarnation));
        // The flood holds the collector's channel for about that long: meters waiting for it are not late
        // until it has had its time, and neither is an answer queued behind it on the channel.
        _floodEnds = Now + settle;
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
        if (round.Round != _round) return;
        _stage = RoundStage.Collecting;
        foreach (var meter in _waveMeters.Where(m => m.Phase is MeterPhase.Initiated or MeterPhase.Transferring))
        {
            _statusOutstanding.Add(meter.Meter);
            Enqueue(meter, CampaignStep.Status);
        }
        if (_statusOutstanding.Count == 0) _stage = RoundStage.Idle;
        Pump();
    }

    private void DecideRepair()
    {
        _stage = RoundStage.Idle;
        var missing = _waveMeters.Where(m => m.Phase == MeterPhase.Transferring && m.Missing is { Length: > 0 }).ToList();
        if (missing.Count == 0) return;
        var candidates = _waveMeters.Count(m => !m.Phase.IsFinal());
        if (_round < _settings.MaxMulticastRounds && missing.Count >= _settings.MulticastRepairShare * candidates)
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
        _unicastBlocks += blocks.Length;
        _countersChanged = true;
        var chunks = Chunks(blocks);
        foreach (var chunk in chunks) ToCollector(new MeshDownlink(meter.Meter, chunk));
        var depth = _setup.Collector.MaxDepth;
        var settle = TimeSpan.FromTicks(chunks.Sum(c => AirtimeMicros(c.WireBytes)) * depth * 10) + _setup.HopLatency * (depth + 1) + _settings.StatusDelay;
        meter.DeadlineMicros = StepDeadline(settle + _settings.StepTimeout);
        Send(Id, settle, new UnicastStatusDue(meter.Meter, _incarnation));
    }

    private List<ImageChunk> Chunks(int[] blocks)
    {
        var chunks = new List<ImageChunk>();
        for (var i = 0; i < blocks.Length; i += _settings.BlocksPerChunk)
            chunks.Add(new ImageChunk(_manifest.ProgramId, _manifest.BlockSize,
                blocks.Skip(i).Take(_settings.BlocksPerChunk).Select(b => new ImageBlock(b, _setup.Package.Block(b))).ToList()));
        return chunks;
    }

    private long AirtimeMicros(int bytes) => (bytes * 8L * 1_000_000 + _setup.PhyBitsPerSecond - 1) / _setup.PhyBitsPerSecond;

    /// <summary>
    /// Puts a frame on the collector's backhaul now: it reaches the collector's router one backhaul
    /// latency later, which books the backhaul's bandwidth as of now (see docs/MESH-MODEL.md).
    /// </summary>
    private void ToCollector(MeshDownlink downlink) => Send(CollectorLp(_collector), _setup.Collector.BackhaulLatency, downlink);

    // ---- timeouts -------------------------------------------------------------------------

    private void EnsureTick()
    {
        if (!IsTimerActive(TickTimer) && Unfinished) StartTimer(TickTimer, TickInterval, Tick.Instance);
    }

    /// <summary>Some meter here has not finished (counted as phases change: a tick a minute must not look at every meter).</summary>
    private bool Unfinished => _unfinished > 0;

    private void OnTick()
    {
        foreach (var meter in _deadlines.Due(Now.Micros))
        {
            if (meter.CommandId != 0)
            {
                _commands.Remove(meter.CommandId);
                meter.CommandId = 0;
                if (!KeepsSession(meter)) Release(meter);
                _statusOutstanding.Remove(meter.Meter);
            }
            if (meter.Attempts >= _settings.MaxAttempts)
            {
                Finish(meter, MeterPhase.TimedOut, $"no answer in {meter.Phase} after {meter.Attempts} attempts");
                if (meter.Wave > _timeoutLogged && IsLive && _log.IsWarningEnabled)
                {
                    _timeoutLogged = meter.Wave;
                    _log.Warning("[{VirtualTime}] campaign {Campaign}, collector {Collector}: wave {Wave}: first time-out here, meter {Meter}: {Reason} (the wave's end counts the others)",
                        Now, _setup.CampaignId, _collector, meter.Wave + 1, meter.Meter.Value, meter.Reason);
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
        if (_stage == RoundStage.Collecting && _statusOutstanding.Count == 0) DecideRepair(); // the last status reads timed out
        if (_settings.Distribution == Distribution.Multicast) MaybeFlood();
        Pump();
        if (Unfinished) StartTimer(TickTimer, TickInterval, Tick.Instance);
    }

    // ---- state changes and reports ------------------------------------------------------------

    /// <summary>Moves a meter to <paramref name="phase"/>; a new step starts with no attempts spent.</summary>
    private void Transition(MeterCampaignState meter, MeterPhase phase)
    {
        if (meter.Phase != phase) meter.Attempts = 0;
        SetPhase(meter, phase);
        _unreported.Add(new MeterTransition(meter.Meter.Value, meter.Phase, meter.Reason, meter.TotalAttempts, Now.Micros, meter.FirmwareAfter));
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
        if (IsObserved && meter.Phase != phase) Publish(new MeterPhaseObserved(Now, meter.Meter, meter.Wave + 1, meter.Phase, phase, meter.Reason));
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
        Release(meter);
        meter.Reason = reason;
        meter.FinishedMicros = Now.Micros;
        meter.DeadlineMicros = 0;
        Transition(meter, phase);
    }

    private bool ReportDueNow => _unreported.Count > 0 || _confirmations.Count > 0 || _countersChanged;

    /// <summary>
    /// Starts the report timer, for the clock's next tick, when there is something to report, and promises
    /// the kernel when the campaign can hear from this station next: the station speaks to it only in
    /// <see cref="Report"/>, so at the timer, or at a later tick. The campaign's partition then runs up to
    /// there without waiting for the mesh.
    /// </summary>
    private void EnsureReportTimer()
    {
        if (!_down && ReportDueNow && !IsTimerActive(ReportTimer))
        {
            _reportAt = _settings.NextTick(Now, strictlyAfter: true);
            StartTimer(ReportTimer, _reportAt - Now, ReportDue.Instance);
        }
        PromiseQuiet(IsTimerActive(ReportTimer) ? _reportAt : Now, onlyEvery: _settings.FlushInterval);
    }

    /// <summary>Tells the campaign what changed since the last report, one station latency later.</summary>
    private void Report()
    {
        if (!ReportDueNow) return;
        var sequence = ++_reports;
        foreach (var confirmation in _confirmations) _awaitingDurable.Enqueue((sequence, confirmation));
        Send(CampaignSetup.Lp, _settings.StationLatency, new StationReport(_collector, _incarnation, sequence, _unreported.ToList(), _confirmations.Count,
            new StationCounters(_mostSessions, _multicastRounds, _multicastBlocks, _unicastBlocks, _droppedWhileDown)));
        _unreported.Clear();
        _confirmations.Clear();
        _countersChanged = false;
    }

    /// <summary>The reports up to <paramref name="report"/> are durable: acknowledge the confirmations they held.</summary>
    private void AcknowledgeDurable(long report)
    {
        while (_awaitingDurable.TryPeek(out var waiting) && waiting.Report <= report)
        {
            var confirmation = _awaitingDurable.Dequeue().Confirmation;
            ToCollector(new MeshDownlink(confirmation.Meter, new ConfirmationAck(confirmation.Meter, confirmation.ConfirmationId)));
        }
    }

    /// <summary>
    /// Where the collector's multicast round is: its flood is on the air until the round's status reads
    /// start (<see cref="StatusRound"/>); the repair is decided once they have all been answered or
    /// given up. Deciding while the flood is still travelling would find every meter missing blocks.
    /// </summary>
    private enum RoundStage
    {
        Idle,
        Flooding,
        Collecting,
    }

    private sealed record StatusRound(int Round, int Incarnation);

    private sealed record UnicastStatusDue(MeterId Meter, int Incarnation);

    private sealed class Tick
    {
        public static readonly Tick Instance = new();

        private Tick() { }
    }

    private sealed class ReportDue
    {
        public static readonly ReportDue Instance = new();

        private ReportDue() { }
    }

    private sealed class WindowOpens
    {
        public static readonly WindowOpens Instance = new();

        private WindowOpens() { }
    }
}
