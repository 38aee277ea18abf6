using Akka.Actor;
using Akka.Event;
using static AmiSim.Kernel.KernelProtocol;

namespace AmiSim.Kernel;

/// <summary>
/// One kernel: the event queue of the LPs placed on this partition, and their actors (its children).
/// Runs the windows the <see cref="WindowCoordinator"/> starts: releases every event due before the
/// window's end to its LP, waits until they have all finished, then queues what they sent, keeping
/// events for other partitions apart and sending them there in one message per partition.
/// </summary>
public sealed class KernelPartition : UntypedActor
{
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly int _index;
    private readonly int _partitionCount;
    private readonly KernelSettings _settings;
    private readonly ILpFactory _factory;
    private readonly IPlacement _placement;
    private readonly PartitionRuntime _runtime;
    private readonly PriorityQueue<SimEvent, EventOrder> _queue = new();
    private readonly Dictionary<LpId, LpSlot> _slots = new();
    private readonly List<LpSlot> _released = new();
    private readonly List<SimEvent>[] _outgoing;
    private IReadOnlyList<IActorRef> _peers = Array.Empty<IActorRef>();
    private IActorRef _coordinator = ActorRefs.Nobody;
    private long _window = -1;
    private bool _executing;
    private long _receivedWindow = -1;
    private int _received;
    private int _awaitingSync = -1;
    private bool _failed;

    public KernelPartition(int index, int partitionCount, KernelSettings settings, ILpFactory factory, IPlacement placement)
    {
        _index = index;
        _partitionCount = partitionCount;
        _settings = settings;
        _factory = factory;
        _placement = placement;
        _runtime = new PartitionRuntime(settings, Self);
        _outgoing = Enumerable.Range(0, partitionCount).Select(_ => new List<SimEvent>()).ToArray();
    }

    public static Props Props(int index, int partitionCount, KernelSettings settings, ILpFactory factory, IPlacement placement) =>
        Akka.Actor.Props.Create(() => new KernelPartition(index, partitionCount, settings, factory, placement));

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case StartWindow start:
                Execute(start);
                break;
            case WindowWorkDone:
                if (_executing) FinishWindow();
                break;
            case RemoteEvents remote:
                Receive(remote);
                break;
            case SyncWindow sync:
                _window = sync.Window; // the same window after execution; a fresh number at the start of a run
                _awaitingSync = sync.Expected;
                AnswerSyncIfComplete();
                break;
            case InjectEvents inject:
                foreach (var evt in inject.Events) Enqueue(evt);
                Sender.Tell(new EventsInjected(inject.Events.Count));
                break;
            case GetLpActor get:
                Sender.Tell(SlotOf(get.Lp).Actor);
                break;
            case GetBusyLps busy:
                Sender.Tell(new BusyLps(busy.Window, _index, _released.Where(s => s.Busy).Select(s => s.Id).OrderBy(id => id).ToList()));
                break;
            case LpFailed failed:
                Fail($"LP {failed.Lp} failed at {_slots.GetValueOrDefault(failed.Lp)?.Now}: {failed.Reason}");
                break;
            case PartitionTopology topology:
                _peers = topology.Partitions;
                _coordinator = topology.Coordinator;
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void Execute(StartWindow start)
    {
        if (_failed) return;
        _window = start.Window;
        _executing = true;
        _runtime.ClearStop();
        try
        {
            while (_queue.TryPeek(out var evt, out var order) && order.Micros < start.End.Micros)
            {
                _queue.Dequeue();
                var slot = SlotOf(evt.Target);
                if (slot.Inbox.Count == 0)
                {
                    _released.Add(slot);
                    slot.WindowEnd = start.End;
                    slot.Busy = true;
                }
                slot.Inbox.Add(evt);
            }
        }
        catch (Exception error)
        {
            Fail(error.Message);
            return;
        }

        if (_released.Count == 0)
        {
            FinishWindow();
            return;
        }
        _runtime.BeginWindow(_released.Count);
        foreach (var slot in _released) slot.Actor.Tell(slot, ActorRefs.NoSender);
    }

    private void FinishWindow()
    {
        _executing = false;
        long handled = 0;
        foreach (var slot in _released)
        {
            handled += slot.Handled;
            slot.Handled = 0;
            foreach (var evt in slot.Outbox) Route(evt);
            slot.Outbox.Clear();
        }
        _released.Clear();

        var sentTo = new int[_partitionCount];
        for (var p = 0; p < _partitionCount; p++)
        {
            var batch = _outgoing[p];
            if (batch.Count == 0) continue;
            sentTo[p] = batch.Count;
            _peers[p].Tell(new RemoteEvents(_window, _index, batch.ToArray()));
            batch.Clear();
        }
        var received = _receivedWindow == _window ? _received : 0;
        _coordinator.Tell(new WindowExecuted(_window, _index, sentTo, received, NextTime(), handled, _runtime.StopRequested));
    }

    private void Route(SimEvent evt)
    {
        var partition = _partitionCount == 1 ? 0 : _placement.PartitionOf(evt.Target, _partitionCount);
        if (partition == _index) _queue.Enqueue(evt, evt.Order);
        else _outgoing[partition].Add(evt);
    }

    private void Receive(RemoteEvents remote)
    {
        foreach (var evt in remote.Events) _queue.Enqueue(evt, evt.Order);
        if (_receivedWindow != remote.Window)
        {
            _receivedWindow = remote.Window;
            _received = 0;
        }
        _received += remote.Events.Count;
        AnswerSyncIfComplete();
    }

    private void AnswerSyncIfComplete()
    {
        if (_awaitingSync < 0) return;
        var received = _receivedWindow == _window ? _received : 0;
        if (received < _awaitingSync) return;
        _awaitingSync = -1;
        _coordinator.Tell(new WindowSynced(_window, _index, NextTime()));
    }

    private void Enqueue(SimEvent evt)
    {
        var partition = _partitionCount == 1 ? 0 : _placement.PartitionOf(evt.Target, _partitionCount);
        if (partition != _index)
            throw new InvalidOperationException($"event for LP {evt.Target} sent to partition {_index}; it belongs to partition {partition}");
        _queue.Enqueue(evt, evt.Order);
    }

    private SimTime NextTime() => _queue.TryPeek(out _, out var order) ? new SimTime(order.Micros) : SimTime.Never;

    private LpSlot SlotOf(LpId id)
    {
        if (_slots.TryGetValue(id, out var slot)) return slot;
        slot = new LpSlot(id, _runtime);
        Props props;
        try
        {
            props = _factory.PropsFor(id);
        }
        catch (Exception error)
        {
            throw new InvalidOperationException($"no LP {id} in this model: {error.Message}", error);
        }
        slot.Actor = Context.ActorOf(props, $"{id.Kind.ToString().ToLowerInvariant()}-{id.Number}");
        _slots.Add(id, slot);
        return slot;
    }

    private void Fail(string reason)
    {
        if (_failed) return;
        _failed = true;
        _log.Error("Kernel partition {0}: {1}", _index, reason);
        _coordinator.Tell(new PartitionFailed(_index, reason));
    }

    protected override SupervisorStrategy SupervisorStrategy() =>
        new OneForOneStrategy(error =>
        {
            // Handler errors are reported by the LP itself; anything else stops the run too.
            Self.Tell(new LpFailed(LpId.Kernel, $"an LP actor crashed: {error.Message}"));
            return Directive.Stop;
        });
}
