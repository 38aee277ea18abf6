using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using static AmiSim.Kernel.KernelProtocol;

namespace AmiSim.Kernel;

/// <summary>
/// Runs the window barrier over the kernel partitions, by messages only (see <see cref="KernelProtocol"/>).
/// Each window starts at the earliest pending event anywhere, so idle stretches of virtual time cost
/// nothing. Also reports progress and stalls on the event stream; those use Akka's scheduler because
/// they are about wall time, never about simulated behaviour.
/// </summary>
public sealed class WindowCoordinator : UntypedActor, IWithTimers
{
    private const string TickTimer = "tick";

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly IReadOnlyList<IActorRef> _partitions;
    private readonly KernelSettings _settings;
    private readonly long _lookahead;
    private readonly long _partitionLookahead;
    private readonly Stopwatch _wall = new();

    private IActorRef? _requester;
    private SimTime _until = SimTime.Never;
    private SimTime _now = SimTime.Zero;
    private SimTime _windowStart = SimTime.Zero;
    private long _window;
    private long _events;
    private long _windows;
    private long _epochWindows;
    private SimTime _reached;

    // The open window's barrier.
    private int _executedCount;
    private int _syncedCount;
    private readonly int[] _expected;
    private readonly int[] _received;
    private readonly SimTime[] _next;
    private bool _stopRequested;
    private readonly Stopwatch _windowOpen = new();
    private bool _stallReported;
    private readonly List<LpId> _busy = new();
    private int _busyAnswers;

    // Progress between ticks.
    private long _eventsAtLastTick;
    private TimeSpan _wallAtLastTick;

    public WindowCoordinator(IReadOnlyList<IActorRef> partitions, KernelSettings settings)
    {
        _partitions = partitions;
        _settings = settings;
        _lookahead = settings.LookaheadMicros;
        _partitionLookahead = settings.PartitionLookaheadMicros;
        _expected = new int[partitions.Count];
        _received = new int[partitions.Count];
        _next = new SimTime[partitions.Count];
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(IReadOnlyList<IActorRef> partitions, KernelSettings settings) =>
        Akka.Actor.Props.Create(() => new WindowCoordinator(partitions, settings));

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
            case WindowExecuted executed when executed.Window == _window && _requester is not null:
                OnExecuted(executed);
                break;
            case WindowSynced synced when synced.Window == _window && _requester is not null:
                _next[synced.Partition] = synced.Next;
                if (++_syncedCount == _partitions.Count) Advance();
                break;
            case PartitionFailed failed:
                Finish(new RunFailed($"partition {failed.Partition}: {failed.Reason}"));
                break;
            case Terminated terminated:
                var index = _partitions.ToList().FindIndex(p => p.Equals(terminated.ActorRef));
                _gone = $"partition {index} on {(terminated.ActorRef.Path.Address.HasLocalScope ? "this node" : $"node {terminated.ActorRef.Path.Address}")} is gone" +
                        (terminated.AddressTerminated ? " (its node crashed, left or was removed from the cluster)" : "") +
                        ": its LPs' state is lost and the run cannot go on";
                Finish(new RunFailed(_gone));
                break;
            case Tick:
                OnTick();
                break;
            case BusyLps busy when busy.Window == _window:
                _busy.AddRange(busy.Lps);
                if (++_busyAnswers == _partitions.Count) ReportStall();
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void Start(RunUntil run)
    {
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
        _requester = Sender;
        _until = run.Until;
        _wall.Restart();
        _events = 0;
        _windows = 0;
        _wallAtLastTick = TimeSpan.Zero;
        _eventsAtLastTick = 0;
        // Wall-clock infrastructure (progress and stall reports), never simulated behaviour.
        Timers.StartPeriodicTimer(TickTimer, Tick.Instance, Min(_settings.ProgressInterval, TimeSpan.FromSeconds(1)));
        // Window "zero" of a run is only a sync: it learns where every partition's earliest event is.
        _window++;
        _syncedCount = 0;
        _stopRequested = false;
        foreach (var partition in _partitions) partition.Tell(new SyncWindow(_window, 0));
    }

    private void OnExecuted(WindowExecuted executed)
    {
        _events += executed.Handled;
        _epochWindows = Math.Max(_epochWindows, executed.Windows);
        if (executed.Reached > _reached) _reached = executed.Reached;
        _received[executed.Partition] = executed.Received;
        _next[executed.Partition] = executed.Next;
        _stopRequested |= executed.StopRequested;
        for (var p = 0; p < executed.SentTo.Count; p++) _expected[p] += executed.SentTo[p];
        if (++_executedCount < _partitions.Count) return;

        _windowOpen.Stop();
        // Every partition has run the window; those still missing events from peers answer when they have them.
        _syncedCount = 0;
        for (var p = 0; p < _partitions.Count; p++)
        {
            if (_received[p] >= _expected[p]) _syncedCount++;
            else _partitions[p].Tell(new SyncWindow(_window, _expected[p]));
        }
        if (_syncedCount == _partitions.Count) Advance();
    }

    private void Advance()
    {
        var next = SimTime.Never;
        foreach (var t in _next) next = SimTime.Min(next, t);

        _windows += _epochWindows;
        _epochWindows = 0;
        if (_reached > _now) _now = _reached;
        if (_stopRequested) { Finish(new RunCompleted(_now, _events, _windows, _wall.Elapsed, "stop requested")); return; }
        if (next.IsNever) { Finish(new RunCompleted(_now, _events, _windows, _wall.Elapsed, "idle")); return; }
        if (next >= _until) { _now = _until; Finish(new RunCompleted(_until, _events, _windows, _wall.Elapsed, "time limit")); return; }

        _window++;
        Array.Clear(_expected);
        Array.Clear(_received);
        _executedCount = 0;
        _stallReported = false;
        _windowOpen.Restart();
        _windowStart = next;
        // Each partition may run on its own until the earliest time another partition could send it
        // something: the earliest event of any other partition plus the partition lookahead.
        for (var p = 0; p < _partitions.Count; p++)
        {
            var others = SimTime.Never;
            for (var q = 0; q < _partitions.Count; q++)
                if (q != p) others = SimTime.Min(others, _next[q]);
            var bound = others.IsNever ? _until : SimTime.Min(_until, new SimTime(others.Micros + _partitionLookahead));
            var start = _next[p];
            var end = start.IsNever ? bound : SimTime.Min(bound, new SimTime(start.Micros + _lookahead));
            _partitions[p].Tell(new StartWindow(_window, start, end, bound));
        }
    }

    private void Finish(object result)
    {
        if (_requester is null) return;
        Timers.Cancel(TickTimer);
        _wall.Stop();
        _windowOpen.Reset();
        PublishProgress();
        if (result is RunFailed failed) _log.Error("Simulation run failed: {0}", failed.Reason);
        _requester.Tell(result);
        _requester = null;
    }

    private void OnTick()
    {
        if (_requester is null) return;
        PublishProgress();
        if (!_windowOpen.IsRunning) return;
        var open = _windowOpen.Elapsed;
        if (open < _settings.StallTimeout) return;
        if (!_stallReported || (_settings.StallAbortAfter > TimeSpan.Zero && open >= _settings.StallAbortAfter))
        {
            _stallReported = true;
            _busy.Clear();
            _busyAnswers = 0;
            foreach (var partition in _partitions) partition.Tell(new GetBusyLps(_window));
        }
    }

    private void ReportStall()
    {
        var stalled = new WindowStalled(_window, _windowStart, _windowOpen.Elapsed, _busy.OrderBy(id => id).ToList());
        _log.Warning("Simulation stalled: {0}", stalled);
        Context.System.EventStream.Publish(stalled);
        if (_settings.StallAbortAfter > TimeSpan.Zero && _windowOpen.Elapsed >= _settings.StallAbortAfter)
            Finish(new RunFailed($"stalled: {stalled}"));
    }

    private void PublishProgress()
    {
        var wall = _wall.Elapsed;
        var seconds = (wall - _wallAtLastTick).TotalSeconds;
        var rate = seconds > 0 ? (_events - _eventsAtLastTick) / seconds : 0;
        _wallAtLastTick = wall;
        _eventsAtLastTick = _events;
        Context.System.EventStream.Publish(new KernelProgress(_now, _events, _windows, rate, wall));
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private sealed class Tick
    {
        public static readonly Tick Instance = new();

        private Tick() { }
    }
}
