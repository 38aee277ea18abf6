using System.Globalization;
using System.Runtime.InteropServices;
using Akka.Event;
using AmiSim.Kernel;
using AmiSim.Protocol.Network;
using AmiSim.Protocol.Programs;

namespace AmiSim.HeadEnd.Campaign;

/// <summary>
/// The head-end's campaign (steps 1.3, 1.10-1.11) as state and rules, without actors: a self-managing
/// rollout of one program to its target meters, wave by wave. It plans the waves, hands each
/// collector's meters to that collector's <see cref="CollectorStation"/>, and starts a wave when the
/// last one met its thresholds. It learns every meter's transitions from its stations' reports, writes
/// them to the journal in batches every flush interval, and only once a batch is durable tells the
/// stations they may acknowledge the confirmations it held and reports its finished meters to the MDM
/// (<see cref="CampaignReporting"/>). It also carries the operator's actions and the head-end's crashes
/// to the stations, and tells the campaign's story in the log (<see cref="CampaignStory"/>): waves,
/// thresholds, pauses and resumes, crashes and recoveries, the end; never a line per meter.
/// Each message is handled at a virtual time; what it leads to is decided, in order, into the LP's
/// <see cref="LpEffects"/>, which <see cref="CampaignActor"/> performs.
/// </summary>
public sealed class CampaignState
{
    private const string FlushTimer = "flush";
    private const string WrittenTimer = "written";
    private const string DispatchTimer = "dispatch";

    /// <summary>
    /// How long after a batch is written the campaign treats it as confirmed durable: long enough that the
    /// write has almost always finished by then, so that the simulation seldom waits for it; under the NIC's
    /// first resend of an unacknowledged confirmation (5 min) and small beside the MDM's batching (15 min).
    /// </summary>
    private static readonly TimeSpan ConfirmDelay = TimeSpan.FromMinutes(4);

    private readonly CampaignSetup _setup;
    private readonly CampaignSettings _settings;
    private readonly ProgramManifest _manifest;
    private readonly LpId _self;
    private readonly LpEffects _effects;
    private readonly CampaignReporting _reporting;
    private readonly CampaignStory _story;
    /// <summary>Every targeted meter as the stations last reported it.</summary>
    private readonly Dictionary<MeterId, MeterCampaignState> _meters = new();
    private readonly List<MeterCampaignState> _skipped = [];
    private readonly List<List<MeterCampaignState>> _waves = [];
    /// <summary>The collectors with targeted meters, whose stations run the campaign there (in collector order).</summary>
    private int[] _stations = [];
    private readonly SortedDictionary<int, StationCounters> _counters = new();
    private PhaseTally _tally = new(0);
    private readonly List<MeterTransition> _unflushed = [];
    private readonly List<MeterCampaignState> _finishedUnreported = [];
    /// <summary>Per station, its latest report since the last flush that holds confirmations to acknowledge once durable.</summary>
    private readonly SortedDictionary<int, long> _acksAfterFlush = new();
    /// <summary>Orders for the stations, sent at the head-end clock's next tick.</summary>
    private readonly List<(int Collector, IStationOrder Order)> _orders = [];
    private readonly Queue<FlushInFlight> _inFlight = new();
    /// <summary>Batches told to the journal in this incarnation.</summary>
    private long _told;
    private TimeSpan? _crashAfterWrite;
    private int _wave = -1;
    private CampaignStatus _status = CampaignStatus.Created;
    private (CampaignStatus Status, int Wave) _lastObserved = (CampaignStatus.Created, 0);
    private CampaignStatus _flushedStatus = CampaignStatus.Created;
    private string _pauseReason = "";
    private int _incarnation;
    private bool _down;
    private long _droppedWhileDown;
    private long _journalWrites;
    /// <summary>The last wave whose end was logged (kept across crashes: the log is the simulator's, not the head-end's).</summary>
    private int _endLogged = -1;
    private SimTime _now;

    /// <param name="self">the campaign's LP, which the head-end's restart is sent to.</param>
    /// <param name="originUtc">the scenario's epoch, for the times in CIM messages.</param>
    /// <param name="lookahead">how late a CIM message reaches the MDM.</param>
    /// <param name="effects">the LP's effect buffer, kept for the LP's life (it knows the running timers).</param>
    public CampaignState(CampaignSetup setup, LpId self, DateTime originUtc, TimeSpan lookahead, LpEffects effects)
    {
        _setup = setup;
        _settings = setup.Settings;
        _manifest = setup.Package.Manifest;
        _self = self;
        _effects = effects;
        _reporting = new CampaignReporting(setup, originUtc, lookahead, effects);
        _story = new CampaignStory(setup.CampaignId, effects);
    }

    /// <summary>
    /// The LP starts: the campaign speaks to its stations only on the head-end's clock, so the kernel lets
    /// the collectors' partitions run up to its next tick without waiting for this one; and its journal starts.
    /// </summary>
    public void Start()
    {
        _effects.PromiseQuiet(SimTime.Zero, onlyEvery: _settings.FlushInterval);
        _effects.Add(new StartJournal("journal"));
    }

    /// <summary>An event at <paramref name="now"/>: a command of the run or the operator, a station's report, the MDM's reply, or one of the campaign's own timers.</summary>
    public void Handle(object payload, SimTime now)
    {
        _now = now;
        if (payload is DispatchOrders)
        {
            _effects.TimerFired(DispatchTimer);
            foreach (var (collector, order) in _orders) _effects.Send(StationSetup.LpOf(collector), _settings.StationLatency, order);
            _orders.Clear();
            return;
        }
        if (_down)
        {
            if (payload is HeadEndRestart restart && restart.Incarnation == _incarnation)
            {
                Story("head-end restarted after its crash ({Dropped} messages to it were lost while down): recovering the campaign from its journal", _droppedWhileDown);
                Restart();
            }
            else if (payload is not StationReport) _droppedWhileDown++; // the process is dead: what reaches it is lost
            return;
        }
        switch (payload)
        {
            case HeadEndCrash crash when _inFlight.Count > 0:
                // Batches in flight were durable from the moment they were written: let them finish, then die.
                _crashAfterWrite = crash.Downtime;
                _effects.Add(new AwaitWritten(long.MaxValue));
                return;
            case HeadEndCrash crash:
                Crash(crash.Downtime);
                return;
            case HeadEndRestart:
                break; // scheduled by an earlier life of the process
            case StartCampaign when _status == CampaignStatus.Created:
                Begin(null);
                break;
            case StationReport report when report.Incarnation == _incarnation:
                OnReport(report);
                break;
            case StationReport:
                break; // written by a station before it learned of the restart: what it held is gone
            case Flush:
                _effects.TimerFired(FlushTimer);
                BeginFlush();
                break;
            case ConfirmDue:
                _effects.TimerFired(WrittenTimer);
                ConfirmWritten();
                break;
            case OperatorCommand command:
                OnOperator(command);
                break;
            case var other when _reporting.Handle(other, now):
                break;
            default:
                throw new InvalidOperationException($"campaign {_setup.CampaignId}: unexpected {payload}");
        }
        EnsureFlushTimer();
    }

    /// <summary>What the journal recovered when it started (<see cref="StartJournal"/>): nothing on the first start; after a restart, the campaign rebuilds from it.</summary>
    public void Recovered(DurableCampaignState? durable, SimTime now)
    {
        _now = now;
        if (_incarnation > 0) Restore(durable);
        else if (durable is not null)
            throw new InvalidOperationException($"campaign {_setup.CampaignId} has a journal already ({durable.Flushes} flushes): use a new run folder");
    }

    /// <summary>The batches awaited (<see cref="AwaitWritten"/>) are written.</summary>
    public void Written(SimTime now)
    {
        _now = now;
        if (_crashAfterWrite is { } downtime)
        {
            _crashAfterWrite = null;
            Crash(downtime);
        }
        else
        {
            OnWritten();
        }
    }

    /// <summary>The campaign's status and wave if either changed since the last observation (null if neither did); <paramref name="now"/> is when.</summary>
    public CampaignStatusObserved? ObserveStatus(SimTime now)
    {
        var observed = (_status, Math.Max(0, _wave + 1));
        if (observed == _lastObserved) return null;
        _lastObserved = observed;
        return new CampaignStatusObserved(now, _status, observed.Item2, _pauseReason);
    }

    public CampaignSummary Summary()
    {
        // Counted in one pass, phases in order of first appearance (as a GroupBy would give them).
        var phases = new Dictionary<MeterPhase, int>();
        foreach (var meter in _meters.Values) CollectionsMarshal.GetValueRefOrAddDefault(phases, meter.Phase, out _)++;
        foreach (var meter in _skipped) CollectionsMarshal.GetValueRefOrAddDefault(phases, meter.Phase, out _)++;
        var quiet = _meters.Values.All(m => m.Phase.IsFinal() || m.Phase == MeterPhase.Pending && _status != CampaignStatus.Running)
                    && !FlushDue && _inFlight.Count == 0 && _finishedUnreported.Count == 0 && _reporting.Quiet;
        var counters = _counters.Values.ToList();
        return new CampaignSummary(_status, Math.Max(0, _wave) + 1, _waves.Count, phases, _pauseReason, quiet, (int)_reporting.Sent, _incarnation,
            _droppedWhileDown + counters.Sum(c => c.DroppedWhileDown), _reporting.Resent, _reporting.Rejected, _journalWrites, counters.Select(c => c.MostSessions).DefaultIfEmpty().Max(),
            counters.Sum(c => c.MulticastRounds), counters.Sum(c => c.MulticastBlocks), counters.Sum(c => c.UnicastBlocks));
    }

    /// <summary>Every meter the targets select, targeted or skipped, in meter order.</summary>
    public IReadOnlyList<MeterOutcome> Outcomes() =>
        _meters.Values.Concat(_skipped).OrderBy(m => m.Meter)
            .Select(m => new MeterOutcome(m.Meter.Value, m.Collector, m.Wave, m.Phase, m.Reason, m.TotalAttempts, m.FinishedMicros, m.FirmwareAfter)).ToList();

    // ---- planning and waves -------------------------------------------------------------

    private void Plan()
    {
        var plan = _setup.Plan;
        foreach (var (meter, reason) in plan.Skipped)
            _skipped.Add(new MeterCampaignState(meter.Meter, meter.Collector, -1) { Phase = MeterPhase.Skipped, Reason = reason, FirmwareAfter = meter.Firmware.ToString() });
        foreach (var skipped in _skipped) Record(skipped);
        foreach (var wave in plan.Waves)
            _waves.Add(wave.Select(planned =>
            {
                var meter = planned.Meter;
                var state = new MeterCampaignState(meter.Meter, meter.Collector, planned.Wave) { FirmwareAfter = meter.Firmware.ToString(), Order = planned.Order };
                _meters.Add(meter.Meter, state);
                return state;
            }).ToList());
        _stations = _meters.Values.Select(m => m.Collector).Distinct().Order().ToArray();
        _tally = new PhaseTally(_waves.Count);
        _status = CampaignStatus.Running;
    }

    /// <summary>
    /// Tells each station to take its meters of the plan on (every node makes the same plan: see
    /// <see cref="CampaignPlan"/>). After a restart (<paramref name="restoreWave"/> at 0 or more) it
    /// adds what the journal held of each, which the station needs to ask the wave's unfinished meters
    /// where they got to: its phase and its attempts so far, in plan order.
    /// </summary>
    private void SendPlans(int restoreWave)
    {
        var stations = _stations.ToHashSet();
        foreach (var byCollector in _setup.Plan.Meters.GroupBy(p => p.Meter.Collector).OrderBy(g => g.Key))
        {
            if (!stations.Contains(byCollector.Key)) continue; // a station with none of the request's meters takes no part
            // Aligned with the station's meters of the plan; a meter taken out (Narrow) is Skipped.
            var meters = byCollector.Select(p => _meters.GetValueOrDefault(p.Meter.Meter)).ToList();
            ToStation(byCollector.Key, restoreWave < 0 && !_narrowed
                ? new StationPlan(_incarnation, _status, -1, [], [])
                : new StationPlan(_incarnation, _status, restoreWave, meters.Select(m => (byte)(m?.Phase ?? MeterPhase.Skipped)).ToArray(), meters.Select(m => m?.TotalAttempts ?? 0).ToArray()));
        }
    }

    private void NextWave()
    {
        var first = _wave < 0;
        _wave++;
        while (_wave < _waves.Count && _waves[_wave].Count == 0) _wave++; // emptied by a request's narrowing
        if (_wave >= _waves.Count)
        {
            SetStatus(CampaignStatus.Completed);
            return;
        }
        var wave = _waves[_wave];
        Story("wave {Wave} of {Waves} started: {Meters} under {Collectors}", _wave + 1, _waves.Count, CampaignStory.Count(wave.Count, "meter"),
            CampaignStory.Count(wave.Select(m => m.Collector).Distinct().Count(), "collector"));
        if (first) SendPlans(-1);
        foreach (var station in _stations) ToStation(station, new StationWave(_incarnation, _wave));
    }

    private void OnWaveProgress()
    {
        if (_wave >= _waves.Count && _status == CampaignStatus.Running && _tally.FinishedTotal == _meters.Count)
            SetStatus(CampaignStatus.Completed); // meters retried after the last wave have finished
        if (_wave < 0 || _wave >= _waves.Count) return;
        var wave = _waves[_wave];
        var finished = _tally.Finished[_wave];
        var errors = _tally.Errors[_wave];
        if (_status == CampaignStatus.Running && (_settings.ErrorThresholdCount > 0 && errors >= _settings.ErrorThresholdCount ||
                                                  finished >= Math.Max(5, wave.Count / 5) && (double)errors / finished >= _settings.ErrorThresholdShare))
        {
            var share = _settings.ErrorThresholdShare.ToString("P0", CultureInfo.InvariantCulture);
            Story("wave {Wave}: error threshold exceeded: {Errors} of {Finished} finished meters ({Meters} in the wave) failed or timed out (threshold: {Threshold})",
                _wave + 1, errors, finished, wave.Count, _settings.ErrorThresholdCount > 0 ? $"{_settings.ErrorThresholdCount} meters, or {share} of those finished" : $"{share} of those finished");
            _pauseReason = $"error threshold: {errors} of {finished} finished meters of wave {_wave + 1} failed or timed out";
            SetStatus(CampaignStatus.Paused);
        }
        if (finished == wave.Count && _endLogged < _wave)
        {
            _endLogged = _wave;
            _story.WaveEnded(_now, _wave, _waves.Count, wave);
        }
        if (finished < wave.Count || _status != CampaignStatus.Running) return;
        var succeeded = _tally.Succeeded[_wave];
        if ((double)succeeded / wave.Count < _settings.SuccessThreshold)
        {
            Story("wave {Wave}: success threshold missed: {Succeeded} of {Meters} meters succeeded ({Share:P1}, threshold {Threshold:P0})",
                _wave + 1, succeeded, wave.Count, (double)succeeded / wave.Count, _settings.SuccessThreshold);
            _pauseReason = $"success threshold: only {succeeded} of {wave.Count} meters of wave {_wave + 1} succeeded";
            SetStatus(CampaignStatus.Paused);
            return;
        }
        Story("wave {Wave}: success threshold met: {Succeeded} of {Meters} meters succeeded ({Share:P1}, threshold {Threshold:P0})",
            _wave + 1, succeeded, wave.Count, (double)succeeded / wave.Count, _settings.SuccessThreshold);
        if (_wave == 0 && _settings.PauseAfterCanary && _waves.Count > 1)
        {
            _pauseReason = "inspection after the canary wave";
            SetStatus(CampaignStatus.Paused);
            return;
        }
        NextWave();
    }

    /// <summary>Changes the campaign's status and tells the stations, which stop or start taking meters on, or cancel them.</summary>
    private void SetStatus(CampaignStatus status)
    {
        if (_status == status) return;
        var was = _status;
        _status = status;
        _story.StatusChanged(_now, was, status, _wave, _waves.Count, _pauseReason, _meters.Values.Concat(_skipped));
        foreach (var station in _stations) ToStation(station, new StationStatus(_incarnation, status));
    }

    private void OnOperator(OperatorCommand command)
    {
        var action = command.Action;
        var ignored = action switch
        {
            OperatorAction.Pause => _status != CampaignStatus.Running,
            OperatorAction.Resume => _status != CampaignStatus.Paused,
            OperatorAction.Cancel => _status is not (CampaignStatus.Running or CampaignStatus.Paused),
            OperatorAction.Start => _status != CampaignStatus.Created,
            OperatorAction.RetryFailed => _status == CampaignStatus.Created,
            _ => false,
        };
        Story(ignored ? "operator: {Action}, ignored: the campaign is {Status}" : "operator: {Action} (the campaign is {Status})", action.Name(), _status.Name());
        switch (action)
        {
            case OperatorAction.Pause when _status == CampaignStatus.Running:
                _pauseReason = "operator";
                SetStatus(CampaignStatus.Paused);
                break;
            case OperatorAction.Resume when _status == CampaignStatus.Paused:
                _pauseReason = "";
                SetStatus(CampaignStatus.Running);
                if (_wave >= 0 && _wave < _waves.Count && _waves[_wave].All(m => m.Phase.IsFinal())) NextWave();
                break;
            case OperatorAction.Cancel when _status is CampaignStatus.Running or CampaignStatus.Paused:
                SetStatus(CampaignStatus.Canceled); // the stations cancel their meters not yet activating
                break;
            case OperatorAction.Start when _status == CampaignStatus.Created:
                Begin(command.Meters is null ? null : (command.Meters.ToHashSet(), command.By ?? "the operator"));
                break;
            case OperatorAction.RetryFailed when _status != CampaignStatus.Created:
                if (_status is CampaignStatus.Paused or CampaignStatus.Completed)
                {
                    _pauseReason = "";
                    SetStatus(CampaignStatus.Running);
                }
                foreach (var station in _stations) ToStation(station, new StationRetryFailed(_incarnation));
                break;
        }
    }

    /// <summary>Plans the campaign from the fleet and starts its first wave; with <paramref name="only"/>, on those meters of the plan alone.</summary>
    private void Begin((HashSet<long> Meters, string By)? only)
    {
        Plan();
        if (only is { } request)
        {
            var reason = $"not requested: {request.By} names other meters";
            Narrow(m => request.Meters.Contains(m.Meter.Value), reason, record: true);
            Story("operator: start on {Meters} of the plan's meters ({By})", CampaignStory.Count(_meters.Count, "meter"), request.By);
        }
        _story.Planned(_now, _manifest, _meters.Count, _waves.Count, _skipped);
        NextWave();
    }

    /// <summary>
    /// Takes the planned meters that <paramref name="keep"/> refuses out of their waves: they are skipped
    /// with <paramref name="reason"/> (journaled when <paramref name="record"/>, so that a restart narrows
    /// the plan the same way). Waves keep their numbers, and a wave left empty is passed over.
    /// </summary>
    private void Narrow(Func<MeterCampaignState, bool> keep, string reason, bool record)
    {
        foreach (var wave in _waves)
            foreach (var meter in wave.Where(m => !keep(m)).ToList())
            {
                SetPhase(meter, MeterPhase.Pending); // out of the wave's tally
                wave.Remove(meter);
                _meters.Remove(meter.Meter);
                var skipped = new MeterCampaignState(meter.Meter, meter.Collector, -1) { Phase = MeterPhase.Skipped, Reason = reason, FirmwareAfter = meter.FirmwareAfter };
                _skipped.Add(skipped);
                if (record) Record(skipped);
            }
        _narrowed = true;
        _stations = _meters.Values.Select(m => m.Collector).Distinct().Order().ToArray();
    }

    /// <summary>The plan was narrowed to the meters a request named (<see cref="Narrow"/>): the stations learn which of theirs are out.</summary>
    private bool _narrowed;

    /// <summary>
    /// Sends an order to a collector's station at the head-end clock's next tick (now, if it is one). It
    /// crosses the head-end from the campaign to the station's front-end in the station latency, which is
    /// also the kernel's lookahead between them.
    /// </summary>
    private void ToStation(int collector, IStationOrder order)
    {
        _orders.Add((collector, order));
        if (!_effects.IsTimerActive(DispatchTimer)) _effects.StartTimer(DispatchTimer, _settings.NextTick(_now) - _now, DispatchOrders.Instance);
    }

    // ---- what the stations report ------------------------------------------------------------

    /// <summary>A station's transitions: the campaign's view of its meters, the journal's next batch, the MDM's next report.</summary>
    private void OnReport(StationReport report)
    {
        _counters[report.Collector] = report.Counters;
        if (report.Acks > 0) _acksAfterFlush[report.Collector] = report.Sequence;
        foreach (var transition in report.Transitions)
        {
            var meter = _meters[new MeterId(transition.Meter)];
            var wasFinal = meter.Phase.IsFinal();
            SetPhase(meter, transition.Phase);
            meter.Reason = transition.Reason;
            meter.TotalAttempts = transition.Attempts;
            meter.FirmwareAfter = transition.FirmwareAfter;
            if (transition.Phase.IsFinal()) meter.FinishedMicros = transition.AtMicros;
            _unflushed.Add(transition);
            if (transition.Phase is MeterPhase.Succeeded or MeterPhase.Failed or MeterPhase.TimedOut) _finishedUnreported.Add(meter);
            else if (wasFinal)
            {
                // Tried again (the operator's retry): its earlier outcome is not to be reported.
                _finishedUnreported.Remove(meter);
                foreach (var flushing in _inFlight) flushing.Finished.Remove(meter);
                _reporting.Withdraw(meter);
            }
        }
        OnWaveProgress();
    }

    /// <summary>The only place a targeted meter's phase changes, so that the wave tallies stay exact.</summary>
    private void SetPhase(MeterCampaignState meter, MeterPhase phase)
    {
        _tally.Move(meter.Wave, meter.Phase, phase);
        meter.Phase = phase;
    }

    // ---- head-end crash and recovery -------------------------------------------------------

    /// <summary>
    /// The process dies: everything not in the journal is gone, and nothing answers until the restart.
    /// Its stations learn it at the clock's next tick and one station latency later, and lose what they held too.
    /// </summary>
    private void Crash(TimeSpan downtime)
    {
        Story("head-end crashed, down for {Downtime}: lost {Transitions} meter transitions not yet journaled, {Outcomes} outcomes not yet reported to the MDM and {Cim} CIM messages awaiting its reply; the stations lose what they hold",
            downtime.ToString(), _unflushed.Count, _finishedUnreported.Count + _reporting.Unsent + _inFlight.Sum(b => b.Finished.Count), _reporting.Unanswered);
        _effects.Add(StopJournal.Instance);
        _incarnation++;
        _effects.CancelTimer(FlushTimer);
        _effects.CancelTimer(WrittenTimer);
        _reporting.Lose(_incarnation);
        _meters.Clear();
        _skipped.Clear();
        _waves.Clear();
        _unflushed.Clear();
        _finishedUnreported.Clear();
        _acksAfterFlush.Clear();
        _inFlight.Clear();
        _wave = -1;
        _narrowed = false;
        _status = CampaignStatus.Down;
        _down = true;
        _orders.Clear(); // what was not dispatched dies with the process; the stations learn of the crash
        foreach (var station in _stations) ToStation(station, new StationCrash(_incarnation));
        _effects.Send(_self, downtime, new HeadEndRestart(_incarnation));
    }

    private void Restart()
    {
        _down = false;
        _told = 0;
        _effects.Add(new StartJournal($"journal-{_incarnation}"));
    }

    /// <summary>Rebuilds the campaign from its journal, then has the stations ask every meter still in flight where it got to.</summary>
    private void Restore(DurableCampaignState? durable)
    {
        _status = CampaignStatus.Created;
        Plan();
        if (durable is null)
        {
            Story("head-end recovered nothing: no flush was durable before the crash, so the campaign starts over");
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
        // A planned meter the journal holds as skipped was taken out by a request: the plan is narrowed again.
        if (_meters.Values.Any(m => m.Phase == MeterPhase.Skipped))
        {
            var taken = _meters.Values.Where(m => m.Phase == MeterPhase.Skipped).ToDictionary(m => m.Meter, m => m.Reason);
            Narrow(m => !taken.ContainsKey(m.Meter), "", record: false);
            foreach (var meter in _skipped.Where(m => taken.ContainsKey(m.Meter))) meter.Reason = taken[meter.Meter];
        }
        _status = durable.Status ?? CampaignStatus.Created;
        _flushedStatus = _status;
        _wave = Math.Max(0, durable.Wave - 1);
        // Outcomes the MDM may not have acknowledged are reported again; it records each event once.
        _reporting.Again(_meters.Values.Where(m => m.Phase is MeterPhase.Succeeded or MeterPhase.Failed or MeterPhase.TimedOut).OrderBy(m => m.Meter));
        if (_story.Told)
        {
            var inFlight = _meters.Values.Count(m => m.Wave == _wave && !m.Phase.IsFinal() && m.Phase != MeterPhase.Pending);
            Story("head-end recovered from its journal ({Flushes} flushes): campaign {Status} in wave {Wave} of {Waves}, {Finished} meters finished, {InFlight} in flight that the stations read again (MT100, MT101, ST1), {Reported} outcomes reported to the MDM again",
                durable.Flushes, _status.Name(), _wave + 1, _waves.Count, _tally.FinishedTotal, inFlight, _reporting.Unsent);
        }
        SendPlans(_wave);
        OnWaveProgress();
    }

    // ---- durability ---------------------------------------------------------------------------

    private void Record(MeterCampaignState meter) =>
        _unflushed.Add(new MeterTransition(meter.Meter.Value, meter.Phase, meter.Reason, meter.TotalAttempts, _now.Micros, meter.FirmwareAfter));

    private bool FlushDue => _unflushed.Count > 0 || _acksAfterFlush.Count > 0 || _status != _flushedStatus;

    private void EnsureFlushTimer()
    {
        if (FlushDue && !_effects.IsTimerActive(FlushTimer)) _effects.StartTimer(FlushTimer, _settings.FlushInterval, Flush.Instance);
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
        // The first batch of each incarnation carries the plan's numbers, for readers of the journal alone (amisim status).
        var plan = _told == 0 ? CampaignOutline.Of(_setup.Plan) : null;
        var batch = new FlushInFlight(new CampaignFlushed(_unflushed.ToList(), _wave, _status.Name(), plan, _status == CampaignStatus.Paused ? _pauseReason : null), new SortedDictionary<int, long>(_acksAfterFlush), _finishedUnreported.ToList(), _now + ConfirmDelay, ++_told);
        if (_effects.Logs(LogLevel.DebugLevel))
            _effects.Log(LogLevel.DebugLevel, "[{VirtualTime}] campaign {Campaign}: flush {Flush}: {Transitions} transitions, status {Status}, wave {Wave}", _now, _setup.CampaignId, batch.Sequence,
                batch.Batch.Transitions.Count, _status.Name(), _wave + 1);
        _unflushed.Clear();
        _acksAfterFlush.Clear();
        _finishedUnreported.Clear();
        _effects.Add(new WriteBatch(batch.Batch));
        _inFlight.Enqueue(batch);
        if (!_effects.IsTimerActive(WrittenTimer)) _effects.StartTimer(WrittenTimer, ConfirmDelay, ConfirmDue.Instance);
    }

    /// <summary>Confirms the batches due now, once the journal has written them (<see cref="AwaitWritten"/>).</summary>
    private void ConfirmWritten()
    {
        var lastDue = _inFlight.LastOrDefault(b => b.ConfirmAt <= _now)?.Sequence ?? 0; // the queue is in ConfirmAt order
        _effects.Add(new AwaitWritten(lastDue));
    }

    /// <summary>Every batch due is written: act on them, and wait for the next.</summary>
    private void OnWritten()
    {
        while (_inFlight.TryPeek(out var due) && due.ConfirmAt <= _now) AfterFlush(_inFlight.Dequeue());
        if (_inFlight.TryPeek(out var next)) _effects.StartTimer(WrittenTimer, next.ConfirmAt - _now, ConfirmDue.Instance);
    }

    /// <summary>
    /// A batch is durable: tell the stations whose reports it holds that they may acknowledge those
    /// reports' confirmations, and report its finished meters to the MDM.
    /// </summary>
    private void AfterFlush(FlushInFlight flushed)
    {
        _journalWrites++;
        foreach (var (station, report) in flushed.Acks) ToStation(station, new StationDurable(_incarnation, report));
        _reporting.Durable(flushed.Finished, _now);
    }

    /// <summary>A line of the campaign's story (<see cref="CampaignStory"/>), now.</summary>
    private void Story(string template, params object[] args) => _story.Tell(_now, template, args);

    /// <summary>The head-end's process comes back after a crash: sent to itself, one downtime later.</summary>
    private sealed record HeadEndRestart(int Incarnation);

    private sealed class Flush
    {
        public static readonly Flush Instance = new();

        private Flush() { }
    }

    private sealed class DispatchOrders
    {
        public static readonly DispatchOrders Instance = new();

        private DispatchOrders() { }
    }

    private sealed class ConfirmDue
    {
        public static readonly ConfirmDue Instance = new();

        private ConfirmDue() { }
    }

    /// <summary>
    /// A batch told to the journal and not yet confirmed, with what waits for it (per station, the last
    /// report whose confirmations may then be acknowledged; finished meters to report) and when it is confirmed.
    /// </summary>
    private sealed record FlushInFlight(CampaignFlushed Batch, SortedDictionary<int, long> Acks, List<MeterCampaignState> Finished, SimTime ConfirmAt, long Sequence);
}
