using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using static AmiSim.Kernel.KernelProtocol;

namespace AmiSim.Kernel;

/// <summary>
/// Runs the barrier over the kernel partitions, an epoch at a time, by messages only (see <see cref="KernelProtocol"/>).
/// Each epoch starts at the earliest pending event anywhere, so idle stretches of virtual time cost
/// nothing. Also reports progress and stalls on the event stream; those use Akka's scheduler because
/// they are about wall time, never about simulated behaviour.
/// </summary>
public sealed class EpochCoordinator : UntypedActor, IWithTimers, IWithUnboundedStash
{
    private const string WatchTimer = "watch";

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly IActorRef[] _partitions;
    private readonly Func<int, Task<IActorRef>>? _rehost;
    private readonly KernelSettings _settings;
    private readonly long _lookahead;
    private readonly PartitionLookaheads _lookaheads;
    private readonly Stopwatch _wall = new();

    private IActorRef? _requester;
    private SimTime _until = SimTime.Never;
    private SimTime _now = SimTime.Zero;
    private SimTime _epochStart = SimTime.Zero;
    private long _epoch;
    private long _events;
    private long _windows;
    private long _epochs;
    private long _sittingOut;
    private long _epochWindows;
    /// <summary>Per partition, the virtual time up to which it has handled every event (a rebuilt one replays up to its predecessor's).</summary>
    private readonly SimTime[] _reachedBy;

    // The open epoch's barrier: it waits for the partitions not lost.
    private Phase _phase = Phase.Idle;
    private readonly bool[] _executed;
    private readonly bool[] _synced;
    /// <summary>Per receiving partition, the events each other partition sent it in the open epoch.</summary>
    private readonly int[][] _expectedFrom;
    /// <summary>Per receiving partition, the events from each other partition it had when it reported.</summary>
    private readonly IReadOnlyList<int>[] _receivedFrom;
    /// <summary>Per receiving partition, the earliest event sent to it in the open epoch.</summary>
    private readonly SimTime[] _sentEarliest;
    /// <summary>Per partition, what its open epoch's start waits for from each other one (empty: nothing).</summary>
    private readonly IReadOnlyList<int>[] _startAwaits;
    /// <summary>Partitions that gave up their epoch's start because a partition it waited for was lost.</summary>
    private readonly bool[] _abandoned;
    private readonly SimTime[] _next;
    private readonly int[] _noneReceived;
    /// <summary>Per partition, what its LPs promised to send nothing across before (<see cref="EpochExecuted.Quiet"/>).</summary>
    private readonly QuietPromise[] _quiet;
    private bool _stopRequested;
    private readonly Stopwatch _epochOpen = new();
    private bool _stallReported;
    private readonly List<LpId> _busy = new();
    private int _busyAnswers;

    // Hand-over: partitions lost with their node, the one being rebuilt, and what was injected into each.
    private readonly SortedSet<int> _lost = [];
    private int _rebuilding = -1;
    private int _logsPending;
    private readonly List<SimEvent>[] _injected;
    /// <summary>
    /// A partition lost between runs is rebuilt at once and replays up to where its predecessor stopped,
    /// so that queries between runs find its LPs as they were; they wait meanwhile. While catching up,
    /// each partition runs only up to the point it had reached (<see cref="_reachedBy"/>).
    /// </summary>
    private bool _catchingUp;

    // What the last progress report counted.
    private long _eventsAtLastProgress;
    private TimeSpan _wallAtLastProgress;

    public EpochCoordinator(IReadOnlyList<IActorRef> partitions, KernelSettings settings, PartitionLookaheads lookaheads, Func<int, Task<IActorRef>>? rehost = null)
    {
        _partitions = partitions.ToArray();
        _rehost = settings.HandOver ? rehost : null;
        _settings = settings;
        _lookahead = settings.LookaheadMicros;
        _lookaheads = lookaheads;
        _expectedFrom = partitions.Select(_ => new int[partitions.Count]).ToArray();
        _receivedFrom = partitions.Select(_ => (IReadOnlyList<int>)new int[partitions.Count]).ToArray();
        _next = new SimTime[partitions.Count];
        _noneReceived = new int[partitions.Count];
        _quiet = partitions.Select(_ => QuietPromise.None).ToArray();
        _sentEarliest = partitions.Select(_ => SimTime.Never).ToArray();
        _startAwaits = partitions.Select(_ => (IReadOnlyList<int>)[]).ToArray();
        _abandoned = new bool[partitions.Count];
        _executed = new bool[partitions.Count];
        _synced = new bool[partitions.Count];
        _reachedBy = new SimTime[partitions.Count];
        _injected = partitions.Select(_ => new List<SimEvent>()).ToArray();
    }

    private enum Phase { Idle, Executing, Syncing, Rebuilding }

    public ITimerScheduler Timers { get; set; } = null!;

    public IStash Stash { get; set; } = null!;

    /// <param name="rehost">starts partition i again on a surviving node (cluster runs with <see cref="KernelSettings.HandOver"/>); null: a lost partition ends the run.</param>
    public static Props Props(IReadOnlyList<IActorRef> partitions, KernelSettings settings, PartitionLookaheads lookaheads, Func<int, Task<IActorRef>>? rehost = null) =>
        Akka.Actor.Props.Create(() => new EpochCoordinator(partitions, settings, lookaheads, rehost));

    protected override void PreStart()
    {
        var topology = new PartitionTopology(_partitions, Self);
        foreach (var partition in _partitions)
        {
            partition.Tell(topology);
            // A partition on a node that crashes or leaves is reported as terminated (once the cluster
            // removes the node): its LPs' state is gone, so the run cannot go on.
            Context.Watch(partition);
        }
        _gone = null;
    }

    private string? _gone;

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case RunUntil run:
                Start(run);
                break;
            case EpochExecuted executed when executed.Epoch == _epoch && _phase == Phase.Executing && !_lost.Contains(executed.Partition):
                OnExecuted(executed);
                break;
            case EpochSynced abandoned when abandoned.Epoch == _epoch && _phase == Phase.Executing && !_lost.Contains(abandoned.Partition):
                // It gave its start up (AbandonStart): it ran nothing, and waits like the others for the rebuild.
                _next[abandoned.Partition] = abandoned.Next;
                _quiet[abandoned.Partition] = abandoned.Quiet;
                _abandoned[abandoned.Partition] = true;
                _executed[abandoned.Partition] = true;
                CheckBarrier();
                break;
            case EpochSynced synced when synced.Epoch == _epoch && synced.Partition == _rebuilding:
                Rebuilt(synced);
                break;
            case EpochSynced synced when synced.Epoch == _epoch && _phase == Phase.Syncing && !_lost.Contains(synced.Partition):
                _next[synced.Partition] = synced.Next;
                _quiet[synced.Partition] = synced.Quiet;
                _synced[synced.Partition] = true;
                CheckBarrier();
                break;
            case InjectedEvents injected when _rehost is not null:
                _injected[injected.Partition].AddRange(injected.Events);
                break;
            case InjectedEvents:
            case EventsInjected:
                break;
            case GetPartitions when _catchingUp || (_phase == Phase.Rebuilding && _requester is null):
                Stash.Stash(); // answered once the lost partition has caught up
                break;
            case GetPartitions:
                Sender.Tell(_partitions.ToList());
                break;
            case Rehosted rehosted:
                Rebuild(rehosted.Partition, rehosted.Actor);
                break;
            case SentLog log when log.Partition == _rebuilding:
                _partitions[_rebuilding].Tell(new InjectEvents(log.Events));
                break;
            case SentLogDone done when done.Partition == _rebuilding:
                _partitions[_rebuilding].Tell(new AlreadyDelivered(done.From, done.Sources, done.Sequences));
                if (--_logsPending == 0)
                {
                    // Everything it was ever sent is queued before this sync, which it answers with its first event's time.
                    _partitions[_rebuilding].Tell(new ReplayBefore(_reachedBy[_rebuilding]));
                    _partitions[_rebuilding].Tell(SyncEpoch.Immediate(_epoch));
                }
                break;
            case PartitionFailed failed:
                if (failed.Partition == _rebuilding) _gone = $"partition {failed.Partition}: {failed.Reason}"; // later runs cannot go on either
                Finish(new RunFailed($"partition {failed.Partition}: {failed.Reason}"));
                break;
            case Terminated terminated:
                OnLost(terminated);
                break;
            case Watch:
                OnWatch();
                break;
            case BusyLps busy when busy.Epoch == _epoch:
                _busy.AddRange(busy.Lps);
                if (++_busyAnswers == _partitions.Length - _lost.Count) ReportStall();
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void Start(RunUntil run)
    {
        if (_catchingUp)
        {
            // The run takes the catch-up over: replaying is what its first windows would do anyway.
            _catchingUp = false;
            Stash.UnstashAll();
            BeginRun(run);
            return;
        }
        if (_requester is not null)
        {
            Sender.Tell(new RunFailed("a run is already going on"));
            return;
        }
        if (_gone is not null)
        {
            Sender.Tell(new RunFailed(_gone));
            return;
        }
        BeginRun(run);
        if (_phase == Phase.Rebuilding)
        {
            Stash.UnstashAll(); // queries that waited for the rebuild: the run has the partitions now
            return; // the run starts once the partition is rebuilt
        }
        // Epoch "zero" of a run is only a sync: it learns where every partition's earliest event is.
        _epoch++;
        _phase = Phase.Syncing;
        Array.Clear(_synced);
        for (var p = 0; p < _partitions.Length; p++)
            if (!_lost.Contains(p)) _partitions[p].Tell(SyncEpoch.Immediate(_epoch));
        CheckBarrier();
    }

    private void BeginRun(RunUntil run)
    {
        _requester = Sender;
        _until = run.Until;
        _wall.Restart();
        _events = 0;
        _windows = 0;
        _epochs = 0;
        _sittingOut = 0;
        _wallAtLastProgress = TimeSpan.Zero;
        _eventsAtLastProgress = 0;
        // Wall-clock infrastructure (progress and stall reports), never simulated behaviour.
        Timers.StartPeriodicTimer(WatchTimer, Watch.Instance, Min(_settings.ProgressInterval, TimeSpan.FromSeconds(1)));
        _stopRequested = false;
    }

    private void OnExecuted(EpochExecuted executed)
    {
        _events += executed.Handled;
        _epochWindows = Math.Max(_epochWindows, executed.Windows);
        if (executed.Reached > _reachedBy[executed.Partition]) _reachedBy[executed.Partition] = executed.Reached;
        _receivedFrom[executed.Partition] = executed.ReceivedFrom;
        _next[executed.Partition] = executed.Next;
        _quiet[executed.Partition] = executed.Quiet;
        _stopRequested |= executed.StopRequested;
        for (var p = 0; p < executed.SentTo.Count; p++)
        {
            _expectedFrom[p][executed.Partition] += executed.SentTo[p];
            _sentEarliest[p] = SimTime.Min(_sentEarliest[p], executed.SentEarliest[p]);
        }
        _executed[executed.Partition] = true;
        CheckBarrier();
    }

    /// <summary>
    /// Moves the barrier on once every partition not lost has executed the epoch: at once, if the run
    /// goes on with every partition, each next epoch waiting for what was sent to it in this one;
    /// otherwise once every partition has synced (has all that was sent to it).
    /// </summary>
    private void CheckBarrier()
    {
        if (_phase == Phase.Executing)
        {
            for (var p = 0; p < _partitions.Length; p++)
                if (!_executed[p] && !_lost.Contains(p)) return;
            _epochOpen.Stop();
            if (GoesOnAtOnce())
            {
                for (var p = 0; p < _partitions.Length; p++) _next[p] = SimTime.Min(_next[p], _sentEarliest[p]);
                Advance(awaitSent: true);
                return;
            }
            // Every partition has run the epoch; those still missing events from peers answer when they have them.
            _phase = Phase.Syncing;
            Array.Clear(_synced);
            for (var p = 0; p < _partitions.Length; p++)
            {
                if (_lost.Contains(p)) continue;
                if (HasAll(p) && !_abandoned[p]) _synced[p] = true;
                else _partitions[p].Tell(new SyncEpoch(_epoch, ExpectedFrom(p)));
            }
        }
        if (_phase != Phase.Syncing) return;
        for (var p = 0; p < _partitions.Length; p++)
            if (!_synced[p] && !_lost.Contains(p)) return;
        if (_lost.Count > 0) Rehost(_lost.Min);
        else Advance(awaitSent: false);
    }

    /// <summary>
    /// Whether the next epoch can start before the partitions confirm they have what was sent to them:
    /// not when a partition is lost or catching up, nor when the run ends now (the next run, or a query,
    /// must find every event where it belongs).
    /// </summary>
    private bool GoesOnAtOnce()
    {
        if (_lost.Count > 0 || _catchingUp || _stopRequested) return false;
        var next = SimTime.Never;
        for (var p = 0; p < _partitions.Length; p++) next = SimTime.Min(next, SimTime.Min(_next[p], _sentEarliest[p]));
        return !next.IsNever && next < _until;
    }

    /// <summary>
    /// What partition <paramref name="receiver"/> waits for from each other one: what they sent it, except
    /// from partitions lost since (what they sent may never come; their successors send it again).
    /// </summary>
    private int[] ExpectedFrom(int receiver)
    {
        var expected = _expectedFrom[receiver].ToArray();
        foreach (var lost in _lost) expected[lost] = 0;
        return expected;
    }

    /// <summary>Whether <paramref name="receiver"/> had, when it reported, every event the partitions not lost sent it.</summary>
    private bool HasAll(int receiver)
    {
        for (var from = 0; from < _partitions.Length; from++)
            if (!_lost.Contains(from) && _expectedFrom[receiver][from] > _receivedFrom[receiver][from]) return false;
        return true;
    }

    /// <summary>
    /// A partition's actor is gone (its node left, crashed or was removed). With hand-over, the barrier
    /// goes on without it and, once the others are synced, it is rebuilt on another node; otherwise
    /// (or for partition 0, the home node's) the run cannot go on.
    /// </summary>
    private void OnLost(Terminated terminated)
    {
        var index = Array.FindIndex(_partitions, p => p.Equals(terminated.ActorRef));
        if (index < 0 || _lost.Contains(index)) return; // a predecessor already replaced
        var where = terminated.ActorRef.Path.Address.HasLocalScope ? "this node" : $"node {terminated.ActorRef.Path.Address}";
        var why = terminated.AddressTerminated ? " (its node crashed, left or was removed from the cluster)" : "";
        if (_rehost is null || index == 0 || _rebuilding >= 0)
        {
            var reason = _rehost is null ? "its LPs' state is lost and the run cannot go on"
                : index == 0 ? "it holds the LPs of the coordinator's own node, which cannot be rebuilt elsewhere"
                : $"partition {_rebuilding} is still being rebuilt, and one hand-over at a time is all the kernel does";
            _gone = $"partition {index} on {where} is gone{why}: {reason}";
            Finish(new RunFailed(_gone));
            return;
        }
        _log.Warning("Partition {0} on {1} is gone{2}: it will be rebuilt on another node from the events it was sent", index, where, why);
        _lost.Add(index);
        if (_requester is null && _phase == Phase.Idle)
        {
            Rehost(index); // between runs: at once, not when the next run starts
            return;
        }
        if (_phase == Phase.Syncing)
        {
            // Partitions still waiting for events it sent stop waiting for them: they may have been lost with it.
            for (var p = 0; p < _partitions.Length; p++)
                if (!_synced[p] && !_lost.Contains(p)) _partitions[p].Tell(new SyncEpoch(_epoch, ExpectedFrom(p)));
        }
        if (_phase == Phase.Executing)
        {
            // Starts waiting for events it sent may wait for ever: they wait for its successor instead.
            var waiting = Enumerable.Range(0, _partitions.Length)
                .Where(p => !_executed[p] && !_lost.Contains(p) && index < _startAwaits[p].Count && _startAwaits[p][index] > 0).ToList();
            if (waiting.Count > 0)
                _log.Warning("Partitions {0} give their start of epoch {1} up: they wait for events partition {2} sent", string.Join(", ", waiting), _epoch, index);
            foreach (var p in waiting) _partitions[p].Tell(new AbandonStart(_epoch));
        }
        CheckBarrier();
    }

    private void Rehost(int partition)
    {
        _phase = Phase.Rebuilding;
        _rebuilding = partition;
        _rehost!(partition).PipeTo(Self, success: actor => new Rehosted(partition, actor),
            failure: error => new PartitionFailed(partition, $"it was lost with its node and could not be started elsewhere: {error.Message}"));
    }

    /// <summary>
    /// The lost partition's successor is up: everyone learns its address, and it gets every event it
    /// was ever given (injected by the simulation and logged by each other partition) and what each
    /// already has from its LPs. It then replays its predecessor's history from the start, with the
    /// usual barrier bounding it (the others wait meanwhile), sending only what never arrived.
    /// </summary>
    private void Rebuild(int partition, IActorRef successor)
    {
        _partitions[partition] = successor;
        Context.Watch(successor);
        _lost.Remove(partition);
        var topology = new PartitionTopology(_partitions, Self);
        foreach (var p in _partitions) p.Tell(topology);
        foreach (var chunk in EventChunks.Split(_injected[partition])) successor.Tell(new InjectEvents(chunk));
        _logsPending = _partitions.Length - 1;
        for (var p = 0; p < _partitions.Length; p++)
            if (p != partition) _partitions[p].Tell(new SendLogOf(partition));
    }

    private void Rebuilt(EpochSynced synced)
    {
        _log.Warning("Partition {0} was rebuilt on {1}; it replays up to {2}", synced.Partition, _partitions[synced.Partition].Path.Address, _reachedBy[synced.Partition]);
        Context.System.EventStream.Publish(new PartitionRebuilt(synced.Partition, _partitions[synced.Partition].Path.Address, _reachedBy[synced.Partition]));
        _next[synced.Partition] = synced.Next;
        _quiet[synced.Partition] = synced.Quiet;
        _rebuilding = -1;
        if (_requester is null)
        {
            // Lost between runs: replay now up to where the predecessor stopped, others standing still.
            _catchingUp = true;
            _log.Warning("Between runs: partition {0} catches up to {1} before queries are answered", synced.Partition, _reachedBy[synced.Partition]);
            _stopRequested = false;
        }
        _phase = Phase.Syncing;
        _synced[synced.Partition] = true;
        CheckBarrier();
    }

    /// <param name="awaitSent">whether each partition's next epoch waits for the events sent to it in this one.</param>
    private void Advance(bool awaitSent)
    {
        var next = SimTime.Never;
        foreach (var t in _next) next = SimTime.Min(next, t);

        _windows += _epochWindows;
        _epochWindows = 0;
        if (_catchingUp)
        {
            var behind = false;
            for (var p = 0; p < _partitions.Length; p++) behind |= _next[p] < _reachedBy[p];
            if (!behind || _stopRequested) EndCatchUp();
            else BeginEpoch(next, awaitSent);
            return;
        }
        foreach (var reached in _reachedBy) if (reached > _now) _now = reached;
        if (_stopRequested) { Finish(new RunCompleted(_now, _events, _windows, _wall.Elapsed, RunEnd.StopRequested, _epochs, _sittingOut)); return; }
        if (next.IsNever) { Finish(new RunCompleted(_now, _events, _windows, _wall.Elapsed, RunEnd.Idle, _epochs, _sittingOut)); return; }
        if (next >= _until) { _now = _until; Finish(new RunCompleted(_until, _events, _windows, _wall.Elapsed, RunEnd.TimeLimit, _epochs, _sittingOut)); return; }
        BeginEpoch(next, awaitSent);
    }

    /// <summary>Starts the next epoch at <paramref name="next"/>, the earliest pending event.</summary>
    private void BeginEpoch(SimTime next, bool awaitSent)
    {
        for (var p = 0; p < _partitions.Length; p++)
            _startAwaits[p] = awaitSent && !HasAll(p) ? _expectedFrom[p].ToArray() : [];
        _epoch++;
        _epochs++;
        _phase = Phase.Executing;
        foreach (var expected in _expectedFrom) Array.Clear(expected);
        Array.Fill(_sentEarliest, SimTime.Never);
        Array.Clear(_executed);
        Array.Clear(_abandoned);
        _stallReported = false;
        _epochOpen.Restart();
        _epochStart = next;
        // Each partition may run on its own until the earliest time another partition could send it
        // something: over the others, the earliest send (their earliest event, or their LPs' promise if
        // later) plus the lookahead from there to here.
        var quiet = _quiet.ToArray();
        for (var p = 0; p < _partitions.Length; p++)
        {
            var others = SimTime.Never;
            for (var q = 0; q < _partitions.Length; q++)
                if (q != p) others = SimTime.Min(others, PartitionLookaheads.After(EarliestSend(q), _lookaheads.Reach(q, p)));
            var limit = _catchingUp ? SimTime.Min(_until, _reachedBy[p]) : _until;
            var bound = SimTime.Min(limit, others);
            var start = _next[p];
            if (start >= bound && Skippable(p))
            {
                // Nothing to run before its bound, and nothing owed to it: it sits the epoch out without a
                // round trip. What others send it meanwhile, its next start awaits (it reported none had).
                _executed[p] = true;
                _receivedFrom[p] = _noneReceived;
                _sittingOut++;
                continue;
            }
            var end = start.IsNever ? bound : SimTime.Min(bound, new SimTime(start.Micros + _lookahead));
            _partitions[p].Tell(new StartEpoch(_epoch, start, end, bound, _startAwaits[p], quiet));
        }
    }

    /// <summary>
    /// Whether partition <paramref name="p"/>, idle this epoch, may be left out of it: only when it has
    /// every event sent to it before (so what comes now is all its next start awaits) and no partition is
    /// lost, rebuilt or catching up.
    /// </summary>
    private bool Skippable(int p) => _startAwaits[p].Count == 0 && _lost.Count == 0 && _rebuilding < 0 && !_catchingUp;

    /// <summary>
    /// The earliest time partition <paramref name="q"/> could send anything to another one: its LPs act no
    /// sooner than its earliest event (counting those on their way to it), and its senders across keep
    /// their promises whatever they receive. What it receives later from others is counted by the path.
    /// </summary>
    private SimTime EarliestSend(int q) => _quiet[q].EarliestSend(_next[q]);

    private void EndCatchUp()
    {
        _log.Info("Caught up: every partition is where the last run left it");
        IdleBetweenRuns();
    }

    /// <summary>Nothing runs until the next run: queries that waited for a rebuild or a catch-up are answered.</summary>
    private void IdleBetweenRuns()
    {
        _catchingUp = false;
        _phase = Phase.Idle;
        _epochOpen.Reset();
        Stash.UnstashAll();
    }

    private void Finish(object result)
    {
        if (_requester is null)
        {
            // A failure between runs (rebuilding or catching up): waiting queries get the partitions as they are, and later runs fail.
            if (result is RunFailed betweenRuns)
            {
                _log.Error("Between runs: {0}", betweenRuns.Reason);
                _gone ??= betweenRuns.Reason;
                IdleBetweenRuns();
            }
            return;
        }
        if (_phase != Phase.Rebuilding) _phase = Phase.Idle;
        Timers.Cancel(WatchTimer);
        _wall.Stop();
        _epochOpen.Reset();
        PublishProgress();
        if (result is RunFailed failed) _log.Error("Simulation run failed: {0}", failed.Reason);
        _requester.Tell(result);
        _requester = null;
    }

    /// <summary>Every second of wall time (or the progress interval, if shorter): publishes progress and looks for a stalled epoch.</summary>
    private void OnWatch()
    {
        if (_requester is null) return;
        PublishProgress();
        if (!_epochOpen.IsRunning) return;
        var open = _epochOpen.Elapsed;
        if (open < _settings.StallTimeout) return;
        if (!_stallReported || (_settings.StallAbortAfter > TimeSpan.Zero && open >= _settings.StallAbortAfter))
        {
            _stallReported = true;
            _busy.Clear();
            _busyAnswers = 0;
            for (var p = 0; p < _partitions.Length; p++)
                if (!_lost.Contains(p)) _partitions[p].Tell(new GetBusyLps(_epoch));
        }
    }

    private void ReportStall()
    {
        var stalled = new EpochStalled(_epoch, _epochStart, _epochOpen.Elapsed, _busy.OrderBy(id => id).ToList());
        _log.Warning("Simulation stalled: {0}", stalled);
        Context.System.EventStream.Publish(stalled);
        if (_settings.StallAbortAfter > TimeSpan.Zero && _epochOpen.Elapsed >= _settings.StallAbortAfter)
            Finish(new RunFailed($"stalled: {stalled}"));
    }

    private void PublishProgress()
    {
        var wall = _wall.Elapsed;
        var seconds = (wall - _wallAtLastProgress).TotalSeconds;
        var rate = seconds > 0 ? (_events - _eventsAtLastProgress) / seconds : 0;
        _wallAtLastProgress = wall;
        _eventsAtLastProgress = _events;
        Context.System.EventStream.Publish(new KernelProgress(_now, _events, _windows, rate, wall));
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private sealed record Rehosted(int Partition, IActorRef Actor);

    private sealed class Watch
    {
        public static readonly Watch Instance = new();

        private Watch() { }
    }
}
