using Akka.Actor;

namespace AmiSim.Kernel;

/// <summary>
/// The kernel's record of one LP, shared by the partition and the LP's actors in one process.
/// For each window the partition points the slot at the LP's run of events in its sorted window
/// array and tells the slot itself to the LP's primary actor; the LP handles them, writes what it
/// sends to its thread's output buffer, and reports through <see cref="PartitionRuntime.LpFinished"/>.
/// Only one side touches the slot at a time, and each hand-over is a message or an interlocked
/// operation, so no lock is needed.
/// </summary>
internal sealed class LpSlot
{
    private SimEvent[] _batch = [];
    private int _next;
    private int _end;
    /// <summary>The rest of the window once a self-event was inserted into it (kept for reuse: routers do this every window).</summary>
    private List<SimEvent>? _spill;
    private bool _spilling;
    private int _spillNext;

    public LpSlot(LpId id, PartitionRuntime runtime)
    {
        Id = id;
        Runtime = runtime;
    }

    public LpId Id { get; }

    public PartitionRuntime Runtime { get; }

    public IActorRef Actor { get; set; } = ActorRefs.Nobody;

    public long NextSequence { get; set; }

    public SimTime Now { get; set; }

    /// <summary>The LP sends nothing to another partition before this (<see cref="SimActor.PromiseQuiet"/>); Zero: no promise.</summary>
    public SimTime QuietUntil { get; set; }

    /// <summary>And sends across only at whole multiples of this many microseconds (0: no such promise).</summary>
    public long QuietEveryMicros { get; set; }

    public SimTime WindowEnd { get; private set; }

    /// <summary>Released this window and not yet finished: what a stall report names.</summary>
    public volatile bool Busy;

    /// <summary>A direct message asked for by the running handler, sent when the handler returns.</summary>
    public (IActorRef To, object Message)? PendingDirect { get; set; }

    /// <summary>The direct message on its way to one of the LP's actors (<see cref="Pass"/>), until it takes it.</summary>
    private object? _direct;

    /// <summary>Sends <paramref name="message"/> to <paramref name="to"/>, an actor of this LP, as the exchange's next step.</summary>
    public void Pass(IActorRef to, object message)
    {
        if (_direct is not null)
            throw new InvalidOperationException($"LP {Id}: a direct message was sent before the previous one was taken; actors of one LP talk in strict request/response");
        _direct = message;
        to.Tell(DirectMessage.Ready, ActorRefs.NoSender);
    }

    /// <summary>The receiving actor's side of <see cref="Pass"/>.</summary>
    public object TakeDirect()
    {
        var message = _direct ?? throw new InvalidOperationException($"LP {Id}: told of a direct message that is not there");
        _direct = null;
        return message;
    }

    /// <summary>The primary is in a direct exchange with the LP's members (set and cleared by the primary only).</summary>
    public bool DirectInFlight { get; set; }

    /// <summary>Active timers: key -> generation of the timer event that may still fire.</summary>
    public Dictionary<object, long>? Timers { get; set; }

    public long TimerGeneration { get; set; }

    /// <summary>The output buffer of the thread running this LP's handlers now (set when a window or exchange resumes).</summary>
    public WindowOutput Output { get; set; } = null!;

    /// <summary>Partition: this window's events for the LP are <paramref name="batch"/>[<paramref name="from"/>..<paramref name="to"/>), in order.</summary>
    public void Release(SimEvent[] batch, int from, int to, SimTime windowEnd)
    {
        _batch = batch;
        _next = from;
        _end = to;
        WindowEnd = windowEnd;
        Busy = true;
    }

    /// <summary>LP: the next event of the window, if any.</summary>
    public bool TryTakeNext(out SimEvent evt)
    {
        if (_spilling)
        {
            if (_spillNext < _spill!.Count)
            {
                evt = _spill[_spillNext++];
                return true;
            }
            _spilling = false;
            _spill.Clear();
        }
        else if (_next < _end)
        {
            evt = _batch[_next++];
            return true;
        }
        evt = default;
        _batch = [];
        return false;
    }

    /// <summary>LP: the time of the next event of the window (the window's end when there is none).</summary>
    public SimTime PeekNextTime() =>
        _spilling && _spillNext < _spill!.Count ? _spill[_spillNext].Time
        : !_spilling && _next < _end ? _batch[_next].Time
        : WindowEnd;

    /// <summary>LP: queues an event it sends; a self-event due inside the window is handled in this window, in order.</summary>
    public void Enqueue(in SimEvent evt)
    {
        if (evt.Target == Id && evt.Time < WindowEnd)
            InsertInWindow(evt);
        else
            Output.Events.Add(evt);
    }

    private void InsertInWindow(in SimEvent evt)
    {
        if (!_spilling)
        {
            // A self-event sooner than the lookahead (a router's next hop): move the rest of the window to a list of our own.
            _spill ??= new List<SimEvent>(_end - _next + 1);
            for (var i = _next; i < _end; i++) _spill.Add(_batch[i]);
            _spilling = true;
            _spillNext = 0;
            _next = _end;
        }
        var spill = _spill!;
        var at = spill.Count;
        while (at > _spillNext && evt.Precedes(spill[at - 1])) at--;
        spill.Insert(at, evt);
    }
}

/// <summary>What a partition shares with the LPs it hosts: run constants, output buffers and the window's completion count.</summary>
internal sealed class PartitionRuntime
{
    private readonly List<WindowOutput> _outputs = [];
    private readonly ThreadLocal<WindowOutput> _output;
    private int _pending;
    private volatile bool _stopRequested;

    private readonly int _partitionCount;
    private readonly IPlacement _placement;

    public PartitionRuntime(KernelSettings settings, IActorRef partition, int index, int partitionCount, IPlacement placement, PartitionLookaheads lookaheads)
    {
        Settings = settings;
        LookaheadMicros = settings.LookaheadMicros;
        Lookaheads = lookaheads;
        CheckSendsBelowMicros = lookaheads.CheckSendsBelow(index);
        Partition = partition;
        Index = index;
        _partitionCount = partitionCount;
        _placement = placement;
        _output = new ThreadLocal<WindowOutput>(() =>
        {
            var output = new WindowOutput { EventTypes = settings.CountEventTypes ? new Dictionary<Type, long>() : null };
            lock (_outputs) _outputs.Add(output);
            return output;
        });
    }

    public KernelSettings Settings { get; }

    public long LookaheadMicros { get; }

    public PartitionLookaheads Lookaheads { get; }

    /// <summary>A send to another LP with a delay shorter than this is checked against the lookaheads.</summary>
    public long CheckSendsBelowMicros { get; }

    public int Index { get; }

    /// <summary>The partition of <paramref name="lp"/>.</summary>
    public int PartitionOf(LpId lp) => _partitionCount == 1 ? 0 : _placement.PartitionOf(lp, _partitionCount);

    public IActorRef Partition { get; }

    public bool StopRequested => _stopRequested;

    /// <summary>
    /// A rebuilt partition replays what its lost predecessor had already done: events before this time
    /// were handled, observed and traced once already, so they are not counted, published or traced again.
    /// </summary>
    public SimTime ReplayedBefore { get; set; } = SimTime.Zero;

    /// <summary>Whether an LP at <paramref name="now"/> acts for the first time (not replaying).</summary>
    public bool IsLive(SimTime now) => now >= ReplayedBefore;

    /// <summary>The calling thread's buffer for what this partition's LPs send and handle in the window.</summary>
    public WindowOutput Output => _output.Value!;

    /// <summary>Partition, after every LP finished: every thread's buffer (ThreadLocal.Values would allocate a list per window).</summary>
    public IReadOnlyList<WindowOutput> Outputs
    {
        get
        {
            lock (_outputs) return _outputs;
        }
    }

    public void RequestStop() => _stopRequested = true;

    public void ClearStop() => _stopRequested = false;

    /// <summary>
    /// Partition, before telling <paramref name="lpCount"/> LPs their events: the count holds one more,
    /// the partition's own, so that an LP finishing while others are still being told cannot end the window.
    /// </summary>
    public void BeginWindow(int lpCount) => Volatile.Write(ref _pending, lpCount + 1);

    /// <summary>Partition, after telling every LP: true if they have all finished already (no message follows).</summary>
    public bool EndDispatch() => Interlocked.Decrement(ref _pending) == 0;

    /// <summary>Called by an LP's actor when it has handled its window; the last one after the partition's dispatch wakes it.</summary>
    public void LpFinished(LpSlot slot)
    {
        slot.Busy = false;
        if (Interlocked.Decrement(ref _pending) == 0)
            Partition.Tell(KernelProtocol.WindowWorkDone.Instance, ActorRefs.NoSender);
    }

    public void LpFailed(LpSlot slot, Exception error) =>
        Partition.Tell(new KernelProtocol.LpFailed(slot.Id, error.GetType().Name + ": " + error.Message), ActorRefs.NoSender);
}

/// <summary>One thread's share of a window: the events its LPs sent and how many events they handled.</summary>
internal sealed class WindowOutput
{
    public List<SimEvent> Events { get; } = new();

    public long Handled;

    /// <summary>Events handled by payload type, when the run counts them (per thread: LPs of one window may run on two).</summary>
    public Dictionary<Type, long>? EventTypes;
}
