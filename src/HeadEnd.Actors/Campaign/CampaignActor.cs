using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Akka.Actor;
using AmiSim.Kernel;
using AmiSim.Protocol.C1219;
using AmiSim.Protocol.Cim;
using AmiSim.Protocol.Network;
using AmiSim.Protocol.Programs;
using AmiSim.Protocol.Psem;

namespace AmiSim.HeadEnd.Campaign;

/// <summary>
/// The head-end's campaign (steps 1.3-1.4, 1.10-1.11): a self-managing rollout of one program to its
/// target meters, wave by wave. Per collector it initiates meters by unicast (within the collector's
/// session limit), floods the image (or sends it per meter), reads each meter's transfer status,
/// repairs what is missing (another multicast round when many miss, else unicast), verifies and
/// activates, and counts a meter as succeeded only when its confirmation shows the new version.
/// State changes are written in batches every flush interval; confirmations are acknowledged and
/// CIM messages sent to the MDM only after the batch holding them is durable.
/// </summary>
public sealed class CampaignActor : SimActor
{
    private const string FlushTimer = "flush";
    private const string WrittenTimer = "written";
    private const string TickTimer = "tick";
    private const string MdmTimer = "mdm-retry";
    private const string MdmBatchTimer = "mdm-batch";
    private const string WindowTimer = "maintenance-window";
    private static readonly TimeSpan TickInterval = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How long after a batch is written the campaign treats it as confirmed durable. A write really takes
    /// a few milliseconds of wall time (3.7 ms on average through Akka.Persistence.Sql and SQLite here);
    /// four minutes of virtual time are usually many windows of simulation, so it is done by then (with
    /// one minute, quiet stretches of the night made the campaign wait 855 times in the fleet-10k run,
    /// with four 145). It stays under the NIC's first resend of an unacknowledged confirmation (5 min)
    /// and is small beside the MDM's batching (15 min).
    /// </summary>
    private static readonly TimeSpan ConfirmDelay = TimeSpan.FromMinutes(4);

    /// <summary>Times a meter whose stored image failed verification is given the whole image again.</summary>
    private const int MaxRestarts = 1;

    private readonly CampaignSetup _setup;
    private readonly CampaignSettings _settings;
    private readonly ProgramManifest _manifest;
    private readonly Dictionary<MeterId, MeterCampaignState> _meters = new();
    private readonly List<MeterCampaignState> _skipped = [];
    private readonly List<List<MeterCampaignState>> _waves = [];
    private PhaseTally _tally = new(0);
    private readonly Dictionary<int, CollectorWork> _collectors = new();
    private readonly Dictionary<int, CollectorProfile> _profiles;
    private readonly Dictionary<MeterId, FleetMeter> _fleet;
    private readonly Dictionary<long, (MeterCampaignState Meter, CampaignStep Step)> _commands = new();
    private readonly List<MeterTransition> _unflushed = [];
    private readonly List<MeterCampaignState> _finishedUnreported = [];
    private readonly List<MeterCampaignState> _reportable = [];
    private readonly SortedDictionary<int, int[]> _deferredFloods = new();
    private readonly List<(MeterCampaignState Meter, int[] Blocks)> _deferredUnicast = [];
    private readonly List<ProgramConfirmation> _acksAfterFlush = [];
    private readonly SortedDictionary<string, string> _unacknowledgedCim = new(StringComparer.Ordinal);
    private IActorRef _journal = ActorRefs.Nobody;
    private readonly Queue<FlushInFlight> _inFlight = new();
    private readonly DeadlineQueue _deadlines = new();
    private WriteProgress _written = new();
    private long _told;
    private TimeSpan? _crashAfterWrite;
    private int _wave = -1;
    private string _status = "created";
    private (string Status, int Wave) _lastObserved = ("created", 0);
    private string _flushedStatus = "created";
    private string _pauseReason = "";
    private long _nextCommand = 1;
    private long _cimSequence;
    private int _incarnation;
    private bool _down;
    private long _droppedWhileDown;
    private long _cimRejected;
    private long _cimResent;
    private long _journalWrites;
    private int _mostSessions;
    private int _multicastRounds;
    private long _multicastBlocks;
    private long _unicastBlocks;

    public CampaignActor(CampaignSetup setup)
    {
        _setup = setup;
        _settings = setup.Settings;
        _manifest = setup.Package.Manifest;
        _profiles = setup.Collectors.ToDictionary(c => c.Collector);
        _fleet = setup.Fleet.ToDictionary(m => m.Meter);
    }

    public static Props Props(CampaignSetup setup) => Akka.Actor.Props.Create(() => new CampaignActor(setup));

    protected override void OnStart()
    {
        StartJournal("journal");
    }

    /// <summary>Starts the campaign's journal member (again after a crash, under a new name) and asks what it recovered.</summary>
    private void StartJournal(string name)
    {
        _journal = StartMember(CampaignJournal.Props(Membership, _setup.CampaignId, _settings.Snapshots, _written = new WriteProgress()), name);
        SendDirect(_journal, CampaignJournal.GetRecovered.Instance);
    }

    protected override void OnEvent(object payload)
    {
        HandleEvent(payload);
        ObserveStatus();
    }

    private void HandleEvent(object payload)
    {
        if (_down)
        {
            if (payload is HeadEndRestart restart && restart.Incarnation == _incarnation) Restart();
            else _droppedWhileDown++; // the process is dead: frames to it are lost (NICs resend confirmations)
            return;
        }
        switch (payload)
        {
            case HeadEndCrash crash when _inFlight.Count > 0:
                // Batches in flight were durable from the moment they were written: let them finish, then die.
                _crashAfterWrite = crash.Downtime;
                SendDirect(_journal, CampaignJournal.AwaitWritten.Instance);
                return;
            case HeadEndCrash crash:
                Crash(crash.Downtime);
                return;
            case StatusRound { Incarnation: var i } when i != _incarnation:
            case UnicastStatusDue { Incarnation: var j } when j != _incarnation:
            case HeadEndRestart:
                break; // scheduled by an earlier life of the process
            case StartCampaign when _status == "created":
                Plan();
                NextWave();
                break;
            case PsemCommandResult result:
                OnCommandResult(result);
                break;
            case ProgramConfirmation confirmation:
                OnConfirmation(confirmation);
                break;
            case CimDelivery reply:
                OnMdmReply(reply);
                break;
            case StatusRound round:
                OnStatusRound(round);
                break;
            case UnicastStatusDue due when _meters.TryGetValue(due.Meter, out var meter) && !meter.Phase.IsFinal():
                Enqueue(meter, CampaignStep.Status);
                Pump(meter.Collector);
                break;
            case UnicastStatusDue:
                break;
            case Tick:
                OnTick();
                break;
            case Flush:
                BeginFlush();
                break;
            case ConfirmDue:
                ConfirmWritten();
                break;
            case MdmRetry:
                ResendCim();
                break;
            case ReportDue:
                ReportToMdm();
                break;
            case WindowOpens:
                OnWindowOpens();
                break;
            case OperatorCommand command:
                OnOperator(command.Action);
                break;
            default:
                throw new InvalidOperationException($"campaign {_setup.CampaignId}: unexpected {payload}");
        }
        EnsureFlushTimer();
    }

    protected override void OnDirect(object message)
    {
        HandleDirect(message);
        ObserveStatus();
    }

    /// <summary>Publishes the campaign's status and wave when either changed (observed runs only).</summary>
    private void ObserveStatus()
    {
        if (!IsObserved) return;
        var observed = (_status, Math.Max(0, _wave + 1));
        if (observed == _lastObserved) return;
        _lastObserved = observed;
        Publish(new CampaignStatusObserved(Now, _status, observed.Item2, _pauseReason));
    }

    private void HandleDirect(object message)
    {
        switch (message)
        {
            case CampaignJournal.Recovered recovered when _incarnation == 0:
                if (recovered.State is { } existing)
                    throw new InvalidOperationException($"campaign {_setup.CampaignId} has a journal already ({existing.Flushes} flushes): use a new run folder");
                break;
            case CampaignJournal.Recovered recovered:
                Restore(recovered.State);
                break;
            case CampaignJournal.Written when _crashAfterWrite is { } downtime:
                _crashAfterWrite = null;
                Crash(downtime);
                break;
            case CampaignJournal.Written:
                OnWritten();
                break;
            default:
                throw new InvalidOperationException($"campaign {_setup.CampaignId}: unexpected {message}");
        }
    }

    protected override void OnOtherMessage(object message)
    {
        switch (message)
        {
            case GetCampaignSummary:
                // Counted in one pass (phases in order of first appearance, as a GroupBy would give): a run asks
                // every virtual hour, and grouping 100,000 meters made large-object arrays each time.
                var phases = new Dictionary<MeterPhase, int>();
                foreach (var meter in _meters.Values) CollectionsMarshal.GetValueRefOrAddDefault(phases, meter.Phase, out _)++;
                foreach (var meter in _skipped) CollectionsMarshal.GetValueRefOrAddDefault(phases, meter.Phase, out _)++;
                var quiet = _meters.Values.All(m => m.Phase.IsFinal() || m.Phase == MeterPhase.Pending && _status != "running")
                            && !FlushDue && _inFlight.Count == 0 && _unacknowledgedCim.Count == 0
                            && _finishedUnreported.Count == 0 && _reportable.Count == 0;
                Sender.Tell(new CampaignSummary(_status, Math.Max(0, _wave) + 1, _waves.Count, phases, _pauseReason, quiet, (int)_cimSequence, _incarnation, _droppedWhileDown, _cimResent, _cimRejected, _journalWrites, _mostSessions,
                    _multicastRounds, _multicastBlocks, _unicastBlocks));
                break;
            case GetMeterOutcomes:
                Sender.Tell(_meters.Values.Concat(_skipped).OrderBy(m => m.Meter)
                    .Select(m => new MeterOutcome(m.Meter.Value, m.Collector, m.Wave, m.Phase, m.Reason, m.TotalAttempts, m.FinishedMicros, m.FirmwareAfter)).ToList());
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    // ---- planning and waves -------------------------------------------------------------

    private void Plan()
    {
        var targets = new List<FleetMeter>();
        foreach (var meter in _setup.Fleet.Where(_setup.Targets.Selects).OrderBy(m => m.Meter))
        {
            var reason =
                _manifest.TargetModels.Count > 0 && !_manifest.TargetModels.Contains(meter.Model) ? $"incompatible: model {meter.Model} is not a target of {_manifest.ProgramId}"
                : _manifest.Kind == ProgramKind.Firmware && meter.Firmware >= _manifest.Version ? $"already updated: runs {meter.Firmware}"
                : _manifest.AllowedSourceVersions.Count > 0 && !_manifest.AllowedSourceVersions.Contains(meter.Firmware) ? $"incompatible: {_manifest.ProgramId} cannot be applied over {meter.Firmware}"
                : null;
            if (reason is null) targets.Add(meter);
            else _skipped.Add(new MeterCampaignState(meter.Meter, meter.Collector, -1) { Phase = MeterPhase.Skipped, Reason = reason, FirmwareAfter = meter.Firmware.ToString() });
        }
        foreach (var skipped in _skipped) Record(skipped);

        // Canary first (spread over collectors), then the configured shares of the rest.
        var order = targets.GroupBy(t => t.Collector).SelectMany(g => g.Select((m, i) => (m, i))).OrderBy(x => x.i).ThenBy(x => x.m.Collector).Select(x => x.m).ToList();
        var canary = order.Take(Math.Min(_settings.CanaryMeters, order.Count)).ToList();
        var rest = order.Skip(canary.Count).OrderBy(m => m.Meter).ToList();
        var sizes = new List<List<FleetMeter>> { canary };
        var start = 0;
        for (var i = 0; i < _settings.WaveShares.Count && start < rest.Count; i++)
        {
            var count = i == _settings.WaveShares.Count - 1 ? rest.Count - start : (int)Math.Ceiling(rest.Count * _settings.WaveShares[i]);
            sizes.Add(rest.Skip(start).Take(count).ToList());
            start += count;
        }
        if (start < rest.Count) sizes.Add(rest.Skip(start).ToList());
        foreach (var wave in sizes.Where(w => w.Count > 0))
        {
            var index = _waves.Count;
            _waves.Add(wave.Select(m =>
            {
                var state = new MeterCampaignState(m.Meter, m.Collector, index) { FirmwareAfter = m.Firmware.ToString(), Order = _meters.Count, Deadlines = _deadlines };
                _meters.Add(m.Meter, state);
                return state;
            }).ToList());
        }
        _tally = new PhaseTally(_waves.Count);
        _status = "running";
    }

    private void NextWave()
    {
        _wave++;
        if (_wave >= _waves.Count)
        {
            _status = "completed";
            return;
        }
        foreach (var byCollector in _waves[_wave].GroupBy(m => m.Collector))
        {
            var work = Work(byCollector.Key);
            work.Reset(byCollector.ToList());
            foreach (var meter in byCollector) Enqueue(meter, _manifest.Kind == ProgramKind.Configuration ? CampaignStep.Configure : CampaignStep.Initiate);
            Pump(byCollector.Key);
        }
        EnsureTick();
    }

    private void OnWaveProgress()
    {
        if (_wave >= _waves.Count && _status == "running" && _tally.FinishedTotal == _meters.Count)
            _status = "completed"; // meters retried after the last wave have finished
        if (_wave < 0 || _wave >= _waves.Count) return;
        var wave = _waves[_wave];
        var finished = _tally.Finished[_wave];
        var errors = _tally.Errors[_wave];
        if (_status == "running" && (_settings.ErrorThresholdCount > 0 && errors >= _settings.ErrorThresholdCount ||
                                     finished >= Math.Max(5, wave.Count / 5) && (double)errors / finished >= _settings.ErrorThresholdShare))
        {
            _status = "paused";
            _pauseReason = $"error threshold: {errors} of {finished} finished meters of wave {_wave + 1} failed or timed out";
        }
        if (finished < wave.Count || _status != "running") return;
        var succeeded = _tally.Succeeded[_wave];
        if ((double)succeeded / wave.Count < _settings.SuccessThreshold)
        {
            _status = "paused";
            _pauseReason = $"success threshold: only {succeeded} of {wave.Count} meters of wave {_wave + 1} succeeded";
            return;
        }
        if (_wave == 0 && _settings.PauseAfterCanary && _waves.Count > 1)
        {
            _status = "paused";
            _pauseReason = "inspection after the canary wave";
            return;
        }
        NextWave();
    }

    private void OnOperator(OperatorAction action)
    {
        switch (action)
        {
            case OperatorAction.Pause when _status == "running":
                _status = "paused";
                _pauseReason = "operator";
                break;
            case OperatorAction.Resume when _status == "paused":
                _status = "running";
                _pauseReason = "";
                foreach (var collector in _collectors.Keys.ToList()) Pump(collector);
                if (_wave >= 0 && _wave < _waves.Count && _waves[_wave].All(m => m.Phase.IsFinal())) NextWave();
                break;
            case OperatorAction.Cancel when _status is "running" or "paused":
                _status = "canceled";
                foreach (var meter in _meters.Values.Where(m => !m.Phase.IsFinal() && m.Phase < MeterPhase.Activating))
                    Finish(meter, MeterPhase.Canceled, "canceled by the operator");
                break;
            case OperatorAction.RetryFailed:
                foreach (var meter in _meters.Values.Where(m => m.Phase.IsError()))
                {
                    meter.Attempts = 0;
                    meter.Reason = "";
                    Transition(meter, MeterPhase.Pending);
                    _finishedUnreported.Remove(meter);
                    foreach (var flushing in _inFlight) flushing.Finished.Remove(meter);
                    _reportable.Remove(meter);
                    Enqueue(meter, _manifest.Kind == ProgramKind.Configuration ? CampaignStep.Configure : CampaignStep.Initiate);
                    Pump(meter.Collector);
                }
                if (_status is "paused" or "completed") _status = "running";
                EnsureTick();
                break;
        }
    }

    // ---- head-end crash and recovery -------------------------------------------------------

    /// <summary>The process dies: everything not in the journal is gone, and nothing answers until the restart.</summary>
    private void Crash(TimeSpan downtime)
    {
        Context.Stop(_journal);
        foreach (var timer in new[] { FlushTimer, WrittenTimer, TickTimer, MdmTimer, MdmBatchTimer, WindowTimer }) CancelTimer(timer);
        _meters.Clear();
        _skipped.Clear();
        _waves.Clear();
        _collectors.Clear();
        _commands.Clear();
        _unflushed.Clear();
        _finishedUnreported.Clear();
        _reportable.Clear();
        _acksAfterFlush.Clear();
        _unacknowledgedCim.Clear();
        _deferredFloods.Clear();
        _deferredUnicast.Clear();
        _inFlight.Clear();
        _deadlines.Clear();
        _wave = -1;
        _status = "down";
        _cimSequence = 0;
        _down = true;
        _incarnation++;
        Send(Id, downtime, new HeadEndRestart(_incarnation));
    }

    private void Restart()
    {
        _down = false;
        _told = 0;
        StartJournal($"journal-{_incarnation}");
    }

    /// <summary>Rebuilds the campaign from its journal, then asks every meter still in flight where it got to.</summary>
    private void Restore(DurableCampaignState? durable)
    {
        _status = "created";
        Plan();
        if (durable is null)
        {
            NextWave(); // nothing was durable yet: the campaign starts over
            return;
        }
        foreach (var meter in _meters.Values.Concat(_skipped))
        {
            if (!durable.Meters.TryGetValue(meter.Meter.Value, out var transition)) continue;
            SetPhase(meter, transition.Phase);
            meter.Reason = transition.Reason;
            meter.TotalAttempts = transition.Attempts;
            meter.FirmwareAfter = transition.FirmwareAfter;
            if (transition.Phase.IsFinal()) meter.FinishedMicros = transition.AtMicros;
        }
        _unflushed.Clear();
        _status = durable.Status;
        _flushedStatus = _status;
        _wave = Math.Max(0, durable.Wave - 1);
        // Outcomes the MDM may not have acknowledged are reported again; it records each event once.
        _reportable.AddRange(_meters.Values.Where(m => m.Phase is MeterPhase.Succeeded or MeterPhase.Failed or MeterPhase.TimedOut).OrderBy(m => m.Meter));
        if (_reportable.Count > 0) StartTimer(MdmBatchTimer, _settings.MdmBatchInterval, ReportDue.Instance);
        if (_wave < _waves.Count)
        {
            foreach (var byCollector in _waves[_wave].GroupBy(m => m.Collector))
            {
                var work = Work(byCollector.Key);
                work.Reset(byCollector.ToList());
                work.Round = _settings.Distribution == Distribution.Multicast ? 1 : 0; // the flood is gone with the process: repair by unicast
                foreach (var meter in byCollector.Where(m => !m.Phase.IsFinal()))
                {
                    meter.Attempts = 0;
                    meter.DeadlineMicros = 0;
                    Enqueue(meter, meter.Phase == MeterPhase.Pending ? (_manifest.Kind == ProgramKind.Configuration ? CampaignStep.Configure : CampaignStep.Initiate) : CampaignStep.Status);
                }
                Pump(byCollector.Key);
            }
        }
        EnsureTick();
        OnWaveProgress();
    }

    // ---- per-collector sessions ---------------------------------------------------------

    private CollectorWork Work(int collector)
    {
        if (!_collectors.TryGetValue(collector, out var work)) _collectors[collector] = work = new CollectorWork();
        return work;
    }

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
        if (!queued) Work(meter.Collector).Queue.Enqueue(meter);
    }

    /// <summary>Starts queued steps while the collector has free sessions.</summary>
    private void Pump(int collector)
    {
        var work = Work(collector);
        var deferred = new List<(MeterCampaignState Meter, CampaignStep Step)>();
        while (work.Active < _settings.SessionsPerCollector && work.Queue.TryDequeue(out var meter))
        {
            if (meter.QueuedStep is not { } step) continue; // issued meanwhile
            meter.QueuedStep = null;
            var next = (meter, step);
            if (meter.Phase.IsFinal()) continue;
            if (_status != "running" && meter.Phase == MeterPhase.Pending)
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
                work.Active++;
                if (work.Active > _mostSessions) _mostSessions = work.Active;
            }
            Issue(meter, step);
        }
        foreach (var (meter, step) in deferred)
        {
            meter.QueuedStep = step;
            work.Queue.Enqueue(meter);
        }
        if (deferred.Any(d => d.Step == CampaignStep.Initiate) && !TransfersAllowed() && _status == "running") WaitForWindow();
    }

    private void Release(MeterCampaignState meter)
    {
        if (!meter.InSession) return;
        meter.InSession = false;
        Work(meter.Collector).Active--;
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
        Trace(meter.Meter.Value, "1.4", $"{step} request (PSEM command {id}: {string.Join(", ", requests.Select(r => r.Service))}) sent toward its NIC through collector {meter.Collector}");
        _commands[id] = (meter, step);
        meter.QueuedStep = null; // a queued step for it is done by this one
        meter.CommandId = id;
        meter.Attempts++;
        meter.TotalAttempts++;
        meter.DeadlineMicros = StepDeadline(meter.Collector, _settings.StepTimeout);
        ToCollector(meter.Collector, new MeshDownlink(meter.Meter, new PsemCommand(id, requests)));
    }

    private byte[]? _manifestTable;

    /// <summary>
    /// When a meter in activation has been silent too long: the confirmation timeout counted from the
    /// scheduled activation time if that is still ahead (a meter waiting for it is not late).
    /// </summary>
    /// <summary>
    /// When a step asked now of a meter of <paramref name="collector"/> is late: <paramref name="wait"/> from
    /// now, or from the end of the collector's flood if that is later (a frame waits behind the flood on the
    /// cell's channel).
    /// </summary>
    private long StepDeadline(int collector, TimeSpan wait)
    {
        var floodEnds = Work(collector).FloodEnds;
        return ((floodEnds > Now ? floodEnds : Now) + wait).Micros;
    }

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
                if (_settings.Distribution == Distribution.Unicast || Work(meter.Collector).Round > 0 || meter.Wave != _wave)
                {
                    SendUnicast(meter, Enumerable.Range(0, _manifest.BlockCount).ToArray()); // unicast, or a meter restarted after its collector's flood
                    break;
                }
                // It waits for its collector's flood, which starts once the wave's last meter there has
                // answered its initiation (and gives it its deadline): not late meanwhile, however long that takes.
                meter.DeadlineMicros = 0;
                MaybeFlood(meter.Collector);
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
        Pump(meter.Collector);
        OnWaveProgress();
    }

    private static string Describe(IReadOnlyList<PsemResponse> responses) => string.Join(",", responses.Select(r => r.Code));

    private void OnStatus(MeterCampaignState meter, IReadOnlyList<PsemResponse> responses)
    {
        var work = Work(meter.Collector);
        work.StatusOutstanding.Remove(meter.Meter);
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
        if (work.Stage == RoundStage.Collecting)
        {
            // It answered: it waits for the collector's other meters and the repair decision, which gives
            // it its next deadline; reading it again meanwhile would only spend its attempts.
            if (meter.Phase == MeterPhase.Transferring) meter.DeadlineMicros = 0;
            if (work.StatusOutstanding.Count == 0) DecideRepair(meter.Collector);
        }
        else if (work.Stage == RoundStage.Idle && meter.Phase == MeterPhase.Transferring && meter.Missing is { Length: > 0 } missing)
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
        _acksAfterFlush.Add(confirmation);
        if (!_meters.TryGetValue(confirmation.Meter, out var meter) || meter.Phase.IsFinal() || confirmation.ProgramId != _manifest.ProgramId) return;
        meter.FirmwareAfter = confirmation.Firmware.ToString();
        Trace(confirmation.Meter.Value, "1.10", $"head-end received confirmation {confirmation.ConfirmationId}: {confirmation.Outcome}, firmware {confirmation.Firmware}");
        if (confirmation.Outcome == ConfirmationOutcome.Activated && confirmation.Firmware == _manifest.Version) Finish(meter, MeterPhase.Succeeded, "");
        else Fail(meter, $"activation failed, rolled back to {confirmation.Firmware}: {confirmation.Reason}");
        OnWaveProgress();
    }

    // ---- distribution ---------------------------------------------------------------------

    /// <summary>Multicast: once every wave meter of the collector has answered its initiation, flood the image.</summary>
    private void MaybeFlood(int collector)
    {
        var work = Work(collector);
        if (work.Round > 0 || work.InPhase(MeterPhase.Pending) > 0 || work.InPhase(MeterPhase.Initiated) == 0) return;
        Flood(collector, Enumerable.Range(0, _manifest.BlockCount).ToArray());
    }

    private bool TransfersAllowed() => _settings.TransferWindow?.Contains(Now) ?? true;

    /// <summary>Wakes the campaign when the maintenance window opens, and keeps waiting meters from timing out meanwhile.</summary>
    private void WaitForWindow()
    {
        var opens = _settings.TransferWindow!.NextOpening(Now);
        if (!IsTimerActive(WindowTimer)) StartTimer(WindowTimer, opens - Now, WindowOpens.Instance);
        foreach (var meter in _meters.Values.Where(m => !m.Phase.IsFinal() && m.CommandId == 0 && m.Phase < MeterPhase.Transferred))
            meter.DeadlineMicros = Math.Max(meter.DeadlineMicros, (opens + _settings.StepTimeout).Micros);
    }

    private void OnWindowOpens()
    {
        foreach (var (collector, blocks) in _deferredFloods.ToList()) Flood(collector, blocks);
        _deferredFloods.Clear();
        foreach (var (meter, blocks) in _deferredUnicast.ToList()) SendUnicast(meter, blocks);
        _deferredUnicast.Clear();
        foreach (var collector in _collectors.Keys.ToList()) Pump(collector);
    }

    private void Flood(int collector, int[] blocks)
    {
        if (!TransfersAllowed())
        {
            _deferredFloods[collector] = blocks;
            WaitForWindow();
            return;
        }
        var work = Work(collector);
        work.Round++;
        work.Stage = RoundStage.Flooding;
        _multicastRounds++;
        _multicastBlocks += blocks.Length;
        var chunks = Chunks(blocks);
        // Addressed to the meters that still need blocks: the wave's meters there that were initiated and
        // not yet read complete. The others hear the flood and drop it.
        var group = new MulticastGroup(_multicastRounds, work.Meters
            .Where(m => m.Phase is MeterPhase.Initiated or MeterPhase.Transferring).Select(m => m.Meter).ToArray());
        foreach (var chunk in chunks) ToCollector(collector, new MeshDownlink(null, chunk, group));
        var profile = _profiles.GetValueOrDefault(collector) ?? new CollectorProfile(collector, 0, 1);
        var airtime = chunks.Sum(c => AirtimeMicros(c.WireBytes)) * (profile.Relays + 1);
        var settle = TimeSpan.FromTicks(airtime * 10) + _setup.HopLatency * (profile.MaxDepth + 1) + _settings.StatusDelay;
        Send(Id, settle, new StatusRound(collector, work.Round, _incarnation));
        // The flood holds the collector's channel for about that long: meters waiting for it are not late
        // until it has had its time, and neither is an answer queued behind it on the channel.
        work.FloodEnds = Now + settle;
        var deadline = StepDeadline(collector, _settings.StepTimeout);
        foreach (var meter in work.Meters)
        {
            if (meter.Phase.IsFinal()) continue;
            if (meter.DeadlineMicros > 0 || meter.Phase is MeterPhase.Initiated or MeterPhase.Transferring && meter.CommandId == 0)
                meter.DeadlineMicros = Math.Max(meter.DeadlineMicros, deadline);
        }
    }

    private void OnStatusRound(StatusRound round)
    {
        var work = Work(round.Collector);
        if (round.Round != work.Round) return;
        work.Stage = RoundStage.Collecting;
        foreach (var meter in work.Meters.Where(m => m.Phase is MeterPhase.Initiated or MeterPhase.Transferring))
        {
            work.StatusOutstanding.Add(meter.Meter);
            Enqueue(meter, CampaignStep.Status);
        }
        if (work.StatusOutstanding.Count == 0) work.Stage = RoundStage.Idle;
        Pump(round.Collector);
    }

    private void DecideRepair(int collector)
    {
        var work = Work(collector);
        work.Stage = RoundStage.Idle;
        var missing = work.Meters.Where(m => m.Phase == MeterPhase.Transferring && m.Missing is { Length: > 0 }).ToList();
        if (missing.Count == 0) return;
        var candidates = work.Meters.Count(m => !m.Phase.IsFinal());
        if (work.Round < _settings.MaxMulticastRounds && missing.Count >= _settings.MulticastRepairShare * candidates)
        {
            Flood(collector, missing.SelectMany(m => m.Missing!).Distinct().Order().ToArray());
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
        var chunks = Chunks(blocks);
        foreach (var chunk in chunks) ToCollector(meter.Collector, new MeshDownlink(meter.Meter, chunk));
        var depth = _profiles.GetValueOrDefault(meter.Collector)?.MaxDepth ?? 1;
        var settle = TimeSpan.FromTicks(chunks.Sum(c => AirtimeMicros(c.WireBytes)) * depth * 10) + _setup.HopLatency * (depth + 1) + _settings.StatusDelay;
        meter.DeadlineMicros = StepDeadline(meter.Collector, settle + _settings.StepTimeout);
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

    // ---- timeouts -------------------------------------------------------------------------

    /// <summary>Some targeted meter has not finished (the tally counts finished ones as phases change).</summary>
    private bool Unfinished => _tally.FinishedTotal < _meters.Count;

    private void EnsureTick()
    {
        if (!IsTimerActive(TickTimer) && Unfinished) StartTimer(TickTimer, TickInterval, Tick.Instance);
    }

    private void OnTick()
    {
        foreach (var meter in _deadlines.Due(Now.Micros))
        {
            if (meter.CommandId != 0)
            {
                _commands.Remove(meter.CommandId);
                meter.CommandId = 0;
                if (!KeepsSession(meter)) Release(meter);
                Work(meter.Collector).StatusOutstanding.Remove(meter.Meter);
            }
            if (meter.Attempts >= _settings.MaxAttempts)
            {
                Finish(meter, MeterPhase.TimedOut, $"no answer in {meter.Phase} after {meter.Attempts} attempts");
                continue;
            }
            meter.DeadlineMicros = 0;
            switch (meter.Phase)
            {
                case MeterPhase.Pending: Enqueue(meter, _manifest.Kind == ProgramKind.Configuration ? CampaignStep.Configure : CampaignStep.Initiate); break;
                case MeterPhase.Initiated or MeterPhase.Transferring: Enqueue(meter, CampaignStep.Status); break;
                case MeterPhase.Transferred or MeterPhase.Verified: Enqueue(meter, CampaignStep.Verify); break;
                case MeterPhase.Activating:
                    meter.Attempts++;
                    meter.DeadlineMicros = ActivationDeadline();
                    break;
            }
        }
        foreach (var collector in _collectors.Keys.ToList())
        {
            var work = Work(collector);
            if (work.Stage == RoundStage.Collecting && work.StatusOutstanding.Count == 0) DecideRepair(collector); // the last status reads timed out
            if (_settings.Distribution == Distribution.Multicast) MaybeFlood(collector);
            Pump(collector);
        }
        OnWaveProgress();
        if (Unfinished) StartTimer(TickTimer, TickInterval, Tick.Instance);
    }

    // ---- state changes, durability and the MDM -----------------------------------------------

    /// <summary>Moves a meter to <paramref name="phase"/>; a new step starts with no attempts spent.</summary>
    private void Transition(MeterCampaignState meter, MeterPhase phase)
    {
        if (meter.Phase != phase) meter.Attempts = 0;
        SetPhase(meter, phase);
        Record(meter);
    }

    /// <summary>The only place a targeted meter's phase changes, so that the wave tallies stay exact.</summary>
    private void SetPhase(MeterCampaignState meter, MeterPhase phase)
    {
        _tally.Move(meter.Wave, meter.Phase, phase);
        if (_collectors.TryGetValue(meter.Collector, out var work)) work.Move(meter, phase);
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
        if (phase is MeterPhase.Succeeded or MeterPhase.Failed or MeterPhase.TimedOut) _finishedUnreported.Add(meter);
    }

    private void Record(MeterCampaignState meter) =>
        _unflushed.Add(new MeterTransition(meter.Meter.Value, meter.Phase, meter.Reason, meter.TotalAttempts, Now.Micros, meter.FirmwareAfter));

    private bool FlushDue => _unflushed.Count > 0 || _acksAfterFlush.Count > 0 || _status != _flushedStatus;

    private void EnsureFlushTimer()
    {
        if (FlushDue && !IsTimerActive(FlushTimer)) StartTimer(FlushTimer, _settings.FlushInterval, Flush.Instance);
    }

    /// <summary>
    /// Writes what changed since the last flush as one batch, without waiting for the journal. The batch
    /// is confirmed <see cref="ConfirmDelay"/> of virtual time later (<see cref="ConfirmWritten"/>): what
    /// depends on its durability (acknowledging the confirmations it holds, reporting its finished meters
    /// to the MDM) happens then, at a time that does not depend on the disk, and by then the write has
    /// almost always finished, so the simulation seldom waits for it.
    /// </summary>
    private void BeginFlush()
    {
        if (!FlushDue) return;
        _flushedStatus = _status;
        var batch = new FlushInFlight(new CampaignFlushed(_unflushed.ToList(), _wave, _status), _acksAfterFlush.ToList(), _finishedUnreported.ToList(), Now + ConfirmDelay, ++_told);
        _unflushed.Clear();
        _acksAfterFlush.Clear();
        _finishedUnreported.Clear();
        TellMember(_journal, batch.Batch);
        _inFlight.Enqueue(batch);
        if (!IsTimerActive(WrittenTimer)) StartTimer(WrittenTimer, ConfirmDelay, ConfirmDue.Instance);
    }

    /// <summary>
    /// Confirms the batches due now: at once if the journal has written them (the usual case), else by
    /// asking it, which waits for the writes.
    /// </summary>
    private void ConfirmWritten()
    {
        var lastDue = _inFlight.LastOrDefault(b => b.ConfirmAt <= Now)?.Sequence ?? 0; // the queue is in ConfirmAt order
        if (_written.Written >= lastDue) OnWritten();
        else SendDirect(_journal, CampaignJournal.AwaitWritten.Instance);
    }

    /// <summary>Every batch due is written: act on them, and wait for the next.</summary>
    private void OnWritten()
    {
        while (_inFlight.TryPeek(out var due) && due.ConfirmAt <= Now) AfterFlush(_inFlight.Dequeue());
        if (_inFlight.TryPeek(out var next)) StartTimer(WrittenTimer, next.ConfirmAt - Now, ConfirmDue.Instance);
    }

    /// <summary>A batch is durable: acknowledge the confirmations it holds and report its finished meters to the MDM.</summary>
    private void AfterFlush(FlushInFlight flushed)
    {
        _journalWrites++;
        foreach (var confirmation in flushed.Acks)
            ToCollector(_fleet[confirmation.Meter].Collector, new MeshDownlink(confirmation.Meter, new ConfirmationAck(confirmation.Meter, confirmation.ConfirmationId)));

        // Durable now: these meters may be reported, in batches of up to MdmBatchSize or after MdmBatchInterval.
        _reportable.AddRange(flushed.Finished);
        if (_reportable.Count >= _settings.MdmBatchSize) ReportToMdm();
        else if (_reportable.Count > 0 && !IsTimerActive(MdmBatchTimer)) StartTimer(MdmBatchTimer, _settings.MdmBatchInterval, ReportDue.Instance);
    }

    private void ReportToMdm()
    {
        CancelTimer(MdmBatchTimer);
        if (_reportable.Count == 0) return;
        foreach (var batch in _reportable.Chunk(_settings.MdmBatchSize))
        {
            SendCim(new EventMessage(Header("created", "EndDeviceEvents"), new EndDeviceEvents(batch.Select(EventOf).ToList())));
            var succeeded = batch.Where(m => m.Phase == MeterPhase.Succeeded).ToList();
            if (succeeded.Count > 0)
                SendCim(new EventMessage(Header("changed", "MeterConfig"), new MeterConfig(succeeded.Select(m => _manifest.Kind == ProgramKind.Firmware
                    ? new MeterConfigEntry(m.Meter.Identification, m.FirmwareAfter, null, _manifest.ProgramId)
                    : new MeterConfigEntry(m.Meter.Identification, null, $"{_manifest.ProgramId} {_manifest.Version}", _manifest.ProgramId)).ToList())));
        }
        _reportable.Clear();
    }

    private EndDeviceEvent EventOf(MeterCampaignState meter)
    {
        var firmware = _manifest.Kind == ProgramKind.Firmware;
        var type = meter.Phase == MeterPhase.Succeeded
            ? firmware ? EndDeviceEventTypes.FirmwareUpgradeCompleted : EndDeviceEventTypes.ConfigurationChanged
            : firmware ? EndDeviceEventTypes.FirmwareUpgradeFailed : EndDeviceEventTypes.ConfigurationChangeFailed;
        return new EndDeviceEvent($"{_setup.CampaignId}-{meter.Meter.Value}-{meter.TotalAttempts}", new SimTime(meter.FinishedMicros).ToUtc(EpochUtc),
            meter.Meter.Identification, type, meter.Reason.Length == 0 ? null : meter.Reason,
            [new EventDetail("programId", _manifest.ProgramId), new EventDetail("version", meter.FirmwareAfter), new EventDetail("campaign", _setup.CampaignId)]);
    }

    private CimHeader Header(string verb, string noun) =>
        new(verb, noun, Now.ToUtc(EpochUtc), "AmiSim-HeadEnd",
            _incarnation == 0 ? $"{_setup.CampaignId}-{++_cimSequence:D6}" : $"{_setup.CampaignId}-r{_incarnation}-{++_cimSequence:D6}", AckRequired: true);

    private void SendCim(CimMessage message)
    {
        var xml = CimXml.Write(message);
        var meters = message.Payload switch
        {
            EndDeviceEvents events => events.Events.Select(e => e.MeterMrid),
            MeterConfig config => config.Meters.Select(m => m.Mrid),
            _ => [],
        };
        foreach (var mrid in meters)
            if (long.TryParse(mrid.AsSpan(3), out var meter))
                Trace(meter, "1.11", $"head-end sent CIM {message.Header.Noun} message {message.Header.MessageId} to the MDM (after the outcome was durable)");
        _unacknowledgedCim[message.Header.MessageId] = xml;
        _setup.Outbox?.Sent(message.Header.MessageId, xml, Now);
        Send(_setup.Mdm, Lookahead, new CimDelivery(xml));
        if (!IsTimerActive(MdmTimer)) StartTimer(MdmTimer, _settings.MdmRetry, MdmRetry.Instance);
    }

    private void OnMdmReply(CimDelivery reply)
    {
        if (CimXml.Parse(reply.Xml) is ResponseMessage { Header.CorrelationId: { } correlation } response && _unacknowledgedCim.Remove(correlation))
        {
            if (response.Reply.Result == ReplyResult.FAILED)
                _cimRejected++; // the MDM refused the message itself: sending it again would not help
        }
        if (_unacknowledgedCim.Count == 0) CancelTimer(MdmTimer);
    }

    private void ResendCim()
    {
        foreach (var xml in _unacknowledgedCim.Values)
        {
            _cimResent++;
            Send(_setup.Mdm, Lookahead, new CimDelivery(xml));
        }
        if (_unacknowledgedCim.Count > 0) StartTimer(MdmTimer, _settings.MdmRetry, MdmRetry.Instance);
    }

    private static LpId CollectorLp(int collector) => new(LpKind.Collector, collector);

    /// <summary>
    /// Puts a frame on the collector's backhaul now: it reaches the collector's router one backhaul
    /// latency later, which books the backhaul's bandwidth as of now (see docs/MESH-MODEL.md).
    /// </summary>
    private void ToCollector(int collector, MeshDownlink downlink) =>
        Send(CollectorLp(collector), Lookahead + (_profiles.GetValueOrDefault(collector)?.BackhaulLatency ?? TimeSpan.Zero), downlink);

    private sealed class CollectorWork
    {
        /// <summary>Meters waiting for a session; each meter's <see cref="MeterCampaignState.QueuedStep"/> says for what.</summary>
        public Queue<MeterCampaignState> Queue { get; } = new();
        public int Active { get; set; }
        public List<MeterCampaignState> Meters { get; private set; } = [];
        public int Round { get; set; }
        public RoundStage Stage { get; set; }

        /// <summary>When the collector's latest flood should have crossed its cell (its channel is busy until then).</summary>
        public SimTime FloodEnds { get; set; }
        public HashSet<MeterId> StatusOutstanding { get; } = [];

        private readonly int[] _phases = new int[Enum.GetValues<MeterPhase>().Length];
        private int _wave = -1;

        /// <summary>How many of the wave's meters here are in <paramref name="phase"/> (kept as phases change).</summary>
        public int InPhase(MeterPhase phase) => _phases[(int)phase];

        /// <summary>A meter is about to move to <paramref name="phase"/>: counted if it belongs to the wave here.</summary>
        public void Move(MeterCampaignState meter, MeterPhase phase)
        {
            if (meter.Wave != _wave || meter.Phase == phase) return;
            _phases[(int)meter.Phase]--;
            _phases[(int)phase]++;
        }

        public void Reset(List<MeterCampaignState> meters)
        {
            Meters = meters;
            _wave = meters.Count > 0 ? meters[0].Wave : -1;
            Array.Clear(_phases);
            foreach (var meter in meters) _phases[(int)meter.Phase]++;
            Round = 0;
            Stage = RoundStage.Idle;
            StatusOutstanding.Clear();
        }
    }

    /// <summary>
    /// Where a collector's multicast round is: its flood is on the air until the round's status reads
    /// start (<see cref="StatusRound"/>); the repair is decided once they have all been answered or
    /// given up. Deciding while the flood is still travelling would find every meter missing blocks.
    /// </summary>
    private enum RoundStage
    {
        Idle,
        Flooding,
        Collecting,
    }

    private sealed record StatusRound(int Collector, int Round, int Incarnation);

    private sealed record UnicastStatusDue(MeterId Meter, int Incarnation);

    private sealed record HeadEndRestart(int Incarnation);

    private sealed class Tick
    {
        public static readonly Tick Instance = new();

        private Tick() { }
    }

    private sealed class Flush
    {
        public static readonly Flush Instance = new();

        private Flush() { }
    }

    private sealed class ConfirmDue
    {
        public static readonly ConfirmDue Instance = new();

        private ConfirmDue() { }
    }

    /// <summary>
    /// A batch told to the journal and not yet confirmed, with what waits for it (confirmations to
    /// acknowledge, finished meters to report) and when it is confirmed.
    /// </summary>
    private sealed record FlushInFlight(CampaignFlushed Batch, List<ProgramConfirmation> Acks, List<MeterCampaignState> Finished, SimTime ConfirmAt, long Sequence);

    private sealed class WindowOpens
    {
        public static readonly WindowOpens Instance = new();

        private WindowOpens() { }
    }

    private sealed class ReportDue
    {
        public static readonly ReportDue Instance = new();

        private ReportDue() { }
    }

    private sealed class MdmRetry
    {
        public static readonly MdmRetry Instance = new();

        private MdmRetry() { }
    }
}

/// <summary>
/// How many of each wave's meters have finished, failed or succeeded, kept as phases change: the
/// campaign checks its thresholds after every result, and counting a wave each time cost a few
/// percent of a 10,000-meter run (measured), growing with the wave.
/// </summary>
internal sealed class PhaseTally(int waves)
{
    public int[] Finished { get; } = new int[waves];

    public int[] Errors { get; } = new int[waves];

    public int[] Succeeded { get; } = new int[waves];

    public int FinishedTotal { get; private set; }

    public void Move(int wave, MeterPhase from, MeterPhase to)
    {
        if (wave < 0 || from == to) return; // skipped meters belong to no wave
        Count(wave, from, -1);
        Count(wave, to, +1);
    }

    private void Count(int wave, MeterPhase phase, int delta)
    {
        if (!phase.IsFinal()) return;
        Finished[wave] += delta;
        FinishedTotal += delta;
        if (phase.IsError()) Errors[wave] += delta;
        if (phase == MeterPhase.Succeeded) Succeeded[wave] += delta;
    }
}
