using Akka.Actor;

namespace AmiSim.Kernel;

/// <summary>
/// The kernel's record of one LP, shared by the partition and the LP's actors in one process.
/// The partition fills <see cref="Inbox"/> and tells the slot itself to the LP's primary actor;
/// the LP handles the window's events and fills <see cref="Outbox"/>; then it tells the partition
/// it is finished through <see cref="PartitionRuntime.LpFinished"/>. Only one side touches the slot
/// at a time, and each hand-over is a message or an interlocked operation, so no lock is needed.
/// </summary>
internal sealed class LpSlot
{
    public LpSlot(LpId id, PartitionRuntime runtime)
    {
        Id = id;
        Runtime = runtime;
    }

    public LpId Id { get; }

    public PartitionRuntime Runtime { get; }

    public IActorRef Actor { get; set; } = ActorRefs.Nobody;

    /// <summary>This window's events in (time, source, sequence) order; <see cref="Cursor"/> is the next one to handle.</summary>
    public List<SimEvent> Inbox { get; } = new(2);

    public int Cursor { get; set; }

    /// <summary>Events sent during this window that fall after its end.</summary>
    public List<SimEvent> Outbox { get; } = new(2);

    public long NextSequence { get; set; }

    public SimTime Now { get; set; }

    public SimTime WindowEnd { get; set; }

    /// <summary>Events handled this window (read by the partition once the LP is finished).</summary>
    public int Handled { get; set; }

    /// <summary>Released this window and not yet finished: what a stall report names.</summary>
    public volatile bool Busy;

    /// <summary>A direct message asked for by the running handler, sent when the handler returns.</summary>
    public (IActorRef To, object Message)? PendingDirect { get; set; }

    /// <summary>A direct message is on its way between two actors of this LP.</summary>
    public bool DirectInFlight { get; set; }

    /// <summary>Active timers: key -> generation of the timer event that may still fire.</summary>
    public Dictionary<object, long>? Timers { get; set; }

    public long TimerGeneration { get; set; }

    /// <summary>Queues an event sent by this LP: inside the window when it is a self-event due before the end, else to the outbox.</summary>
    public void Enqueue(SimEvent evt)
    {
        if (evt.Target == Id && evt.Time < WindowEnd)
        {
            // A short timer or self-message: handle it in this window, in order.
            var order = evt.Order;
            var lo = Cursor;
            var hi = Inbox.Count;
            while (lo < hi)
            {
                var mid = (lo + hi) >>> 1;
                if (Inbox[mid].Order.CompareTo(order) <= 0) lo = mid + 1; else hi = mid;
            }
            Inbox.Insert(lo, evt);
        }
        else
        {
            Outbox.Add(evt);
        }
    }
}

/// <summary>What a partition shares with the LPs it hosts: run constants and the window's completion count.</summary>
internal sealed class PartitionRuntime
{
    private int _pending;
    private volatile bool _stopRequested;

    public PartitionRuntime(KernelSettings settings, IActorRef partition)
    {
        Settings = settings;
        LookaheadMicros = settings.LookaheadMicros;
        Partition = partition;
    }

    public KernelSettings Settings { get; }

    public long LookaheadMicros { get; }

    public IActorRef Partition { get; }

    public bool StopRequested => _stopRequested;

    public void RequestStop() => _stopRequested = true;

    public void ClearStop() => _stopRequested = false;

    public void BeginWindow(int lpCount) => Volatile.Write(ref _pending, lpCount);

    /// <summary>Called by an LP's actor when it has handled its window; the last one wakes the partition.</summary>
    public void LpFinished(LpSlot slot)
    {
        slot.Busy = false;
        if (Interlocked.Decrement(ref _pending) == 0)
            Partition.Tell(KernelProtocol.WindowWorkDone.Instance, ActorRefs.NoSender);
    }

    public void LpFailed(LpSlot slot, Exception error) =>
        Partition.Tell(new KernelProtocol.LpFailed(slot.Id, error.GetType().Name + ": " + error.Message), ActorRefs.NoSender);
}
