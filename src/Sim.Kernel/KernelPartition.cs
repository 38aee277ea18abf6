using System.Runtime.InteropServices;
using Akka.Actor;
using Akka.Event;
using static AmiSim.Kernel.KernelProtocol;

namespace AmiSim.Kernel;

/// <summary>
/// One kernel: the event queue of the LPs placed on this partition, and their actors (its children).
/// Runs the windows the <see cref="EpochCoordinator"/> starts: releases every event due before the
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
    private readonly EventCalendar _calendar;
    private readonly LpDirectory _slots = new();
    private readonly List<LpSlot> _released = new();
    private readonly List<SimEvent>[] _outgoing;
    private IReadOnlyList<IActorRef> _peers = Array.Empty<IActorRef>();
    private IActorRef _coordinator = ActorRefs.Nobody;
    private long _epoch = -1;
    /// <summary>Longest wall time a partition runs windows on its own before it reports.</summary>
    private static readonly TimeSpan EpochSlice = TimeSpan.FromMilliseconds(50);

    private readonly System.Diagnostics.Stopwatch _epochClock = new();
    private SimTime _bound;
    private SimTime _reached;
    private long _epochWindows;
    private long _epochHandled;
    private SimEvent[] _windowEvents = new SimEvent[1024];
    private int _windowCount;
    /// <summary>A large window's events grouped by LP (<see cref="WindowOrder.TryGroup"/>), and the keys they were grouped by.</summary>
    private SimEvent[] _groupedEvents = [];
    private ulong[] _windowKeys = [];
    private bool _executing;
    private readonly ReceivedCounts _received;
    /// <summary>An epoch to run once the events it awaits from the previous one have arrived.</summary>
    private StartEpoch? _pendingStart;
    /// <summary>What an open <see cref="SyncEpoch"/> waits for from each partition; null when none is open.</summary>
    private IReadOnlyList<int>? _awaitingFrom;
    private bool _failed;
    /// <summary>The LPs here that may send to other partitions (<see cref="IPlacement.SendersAcross"/>); null: any.</summary>
    private readonly HashSet<LpId>? _mayCross;
    /// <summary>Per partition, what its LPs promised at the epoch's start (<see cref="KernelProtocol.StartEpoch.Quiet"/>).</summary>
    private IReadOnlyList<QuietPromise> _quietOf = [];

    // Hand-over (KernelSettings.HandOver): what this partition sent to each other one, the highest
    // sequence it received from each remote source LP, and (rebuilt) what each peer already has from it.
    private readonly List<SimEvent>[]? _sentLog;
    private readonly Dictionary<LpId, long> _lastReceived = new();
    private readonly Dictionary<LpId, long>?[] _delivered;

    public KernelPartition(int index, int partitionCount, KernelSettings settings, ILpFactory factory, IPlacement placement, PartitionLookaheads lookaheads)
    {
        _index = index;
        _partitionCount = partitionCount;
        _settings = settings;
        _factory = factory;
        _placement = placement;
        _runtime = new PartitionRuntime(settings, Self, index, partitionCount, placement, lookaheads);
        _calendar = new EventCalendar(settings.LookaheadMicros);
        _outgoing = Enumerable.Range(0, partitionCount).Select(_ => new List<SimEvent>()).ToArray();
        _sentLog = settings.HandOver ? Enumerable.Range(0, partitionCount).Select(_ => new List<SimEvent>()).ToArray() : null;
        _delivered = new Dictionary<LpId, long>?[partitionCount];
        _received = new ReceivedCounts(partitionCount);
        if (partitionCount > 1) _mayCross = placement.SendersAcross(index, partitionCount)?.ToHashSet();
    }

    public static Props Props(int index, int partitionCount, KernelSettings settings, ILpFactory factory, IPlacement placement, PartitionLookaheads lookaheads) =>
        Akka.Actor.Props.Create(() => new KernelPartition(index, partitionCount, settings, factory, placement, lookaheads));

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case StartEpoch start:
                if (_received.HasAll(start.Epoch - 1, start.Awaiting)) Execute(start);
                else _pendingStart = start; // the events it awaits are on their way: Receive starts it
                break;
            case AbandonStart abandon when _pendingStart?.Epoch == abandon.Epoch:
                // A partition that sent some of what it awaits is lost: its successor sends them again first.
                _pendingStart = null;
                _epoch = abandon.Epoch;
                _coordinator.Tell(new EpochSynced(_epoch, _index, NextTime(), Quiet()));
                break;
            case AbandonStart:
                break; // it had everything and ran: its report is on the way
            case WindowWorkDone:
                if (_executing && FinishWindow(out var next)) RunWindow(next);
                break;
            case RemoteEvents remote:
                Receive(remote);
                break;
            case SyncEpoch sync:
                _epoch = sync.Epoch; // the same epoch after execution; a fresh number at the start of a run
                _awaitingFrom = sync.ExpectedFrom; // a later sync for the same epoch replaces it (a sender was lost)
                AnswerSyncIfComplete();
                break;
            case InjectEvents inject:
                foreach (var evt in inject.Events)
                {
                    Enqueue(evt);
                    // A rebuilt partition gets its predecessor's remote events this way: remember them as received.
                    if (_sentLog is not null && evt.Source != LpId.Kernel && _lastReceived.GetValueOrDefault(evt.Source, -1) < evt.Sequence)
                        _lastReceived[evt.Source] = evt.Sequence;
                }
                Sender.Tell(new EventsInjected(inject.Events.Count));
                break;
            case GetLpActor get:
                Sender.Tell(SlotOf(get.Lp).Actor);
                break;
            case GetEventTypes:
                var counts = new Dictionary<string, long>();
                foreach (var output in _runtime.Outputs)
                    foreach (var (type, count) in output.EventTypes ?? [])
                        counts[type.Name] = counts.GetValueOrDefault(type.Name) + count;
                Sender.Tell(new EventTypeCounts(counts));
                break;
            case GetBusyLps busy:
                Sender.Tell(new BusyLps(busy.Epoch, _index, _released.Where(s => s.Busy).Select(s => s.Id).OrderBy(id => id).ToList()));
                break;
            case LpFailed failed:
                Fail($"LP {failed.Lp} failed at {_slots.Find(failed.Lp)?.Now}: {failed.Reason}");
                break;
            case PartitionTopology topology:
                _peers = topology.Partitions;
                _coordinator = topology.Coordinator;
                break;
            case SendLogOf log:
                SendLog(log.Partition);
                break;
            case AlreadyDelivered delivered:
                _delivered[delivered.To] = delivered.Sources.Zip(delivered.Sequences).ToDictionary(d => d.First, d => d.Second);
                break;
            case ReplayBefore replay:
                _runtime.ReplayedBefore = replay.Time;
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void Execute(StartEpoch start)
    {
        if (_failed) return;
        _epoch = start.Epoch;
        _bound = start.Bound;
        _quietOf = start.Quiet;
        _awaitingFrom = null; // a sync left open by a partition that was lost is over
        _runtime.ClearStop();
        _epochWindows = 0;
        _epochHandled = 0;
        _epochClock.Restart();
        RunWindow(start.End);
    }

    /// <summary>
    /// Runs the epoch's windows from the one ending at <paramref name="end"/>. LP actors handle their
    /// events on this thread (<see cref="LpDispatcher"/>), so a window has usually finished when the
    /// last LP has been told; one that waits for a journal goes on when <see cref="WindowWorkDone"/> comes.
    /// </summary>
    private void RunWindow(SimTime end)
    {
        while (true)
        {
            _executing = true;
            _epochWindows++;
            if (end > _reached) _reached = end;
            try
            {
                Release(end);
            }
            catch (Exception error)
            {
                Fail(error.Message);
                return;
            }

            if (_released.Count > 0)
            {
                _runtime.BeginWindow(_released.Count);
                foreach (var slot in _released) slot.Actor.Tell(slot, ActorRefs.NoSender);
                if (!_runtime.EndDispatch()) return; // an LP is still in an exchange; WindowWorkDone follows
            }
            if (!FinishWindow(out end)) return;
        }
    }

    /// <summary>Takes the events due before <paramref name="end"/> and gives each LP its run of them, in <see cref="WindowOrder"/>.</summary>
    private void Release(SimTime end)
    {
        // The previous window's LPs have all finished, so its arrays can be reused.
        _windowCount = 0;
        _calendar.TakeBefore(end, this, static (self, evt) => self.Append(evt));
        if (_windowCount == 0) return;
        var events = _windowEvents;
        if (_windowCount > WindowOrder.SortWholeUpTo)
        {
            if (_windowKeys.Length < _windowCount)
            {
                _windowKeys = new ulong[_windowEvents.Length];
                _groupedEvents = new SimEvent[_windowEvents.Length];
            }
            if (WindowOrder.TryGroup(_windowEvents.AsSpan(0, _windowCount), _windowKeys, _groupedEvents))
            {
                Array.Clear(_windowEvents, 0, _windowCount); // the grouped copy holds the payloads now
                events = _groupedEvents;
            }
            else WindowOrder.Sort(_windowEvents.AsSpan(0, _windowCount));
        }
        else WindowOrder.Sort(_windowEvents.AsSpan(0, _windowCount));

        var from = 0;
        while (from < _windowCount)
        {
            var target = events[from].Target;
            var to = from + 1;
            while (to < _windowCount && events[to].Target == target) to++;
            var slot = SlotOf(target);
            slot.Release(events, from, to, end);
            _released.Add(slot);
            from = to;
        }
    }

    private void Append(in SimEvent evt)
    {
        if (_windowCount == _windowEvents.Length) Array.Resize(ref _windowEvents, _windowEvents.Length * 2);
        _windowEvents[_windowCount++] = evt;
    }

    /// <summary>Queues what the window's LPs sent; true (with the next window's end) if the epoch goes on.</summary>
    private bool FinishWindow(out SimTime nextEnd)
    {
        _executing = false;
        _released.Clear();
        var outputs = _runtime.Outputs;
        for (var o = 0; o < outputs.Count; o++) // by index: foreach over the interface boxes an enumerator per window
        {
            var output = outputs[o];
            _epochHandled += output.Handled;
            output.Handled = 0;
            var events = output.Events;
            for (var i = 0; i < events.Count; i++) Route(events[i]);
            events.Clear();
        }

        // Go on with the next window while nothing another partition sends can be due before it, and for
        // a short wall-time slice at most, so that progress and stall reports keep coming.
        var next = NextTime();
        if (!_runtime.StopRequested && next < _bound && _epochClock.Elapsed < EpochSlice)
        {
            nextEnd = new SimTime(Math.Min(next.Micros + _settings.LookaheadMicros, _bound.Micros));
            return true;
        }
        nextEnd = default;
        ReportEpoch(next);
        return false;
    }

    private void ReportEpoch(SimTime next)
    {
        var sentTo = new int[_partitionCount];
        var sentEarliest = new SimTime[_partitionCount];
        for (var p = 0; p < _partitionCount; p++)
        {
            sentEarliest[p] = SimTime.Never;
            var batch = _outgoing[p];
            if (batch.Count == 0) continue;
            if (_sentLog is not null) LogAndFilter(p, batch);
            if (batch.Count == 0) continue;
            sentTo[p] = batch.Count;
            foreach (var evt in batch) sentEarliest[p] = SimTime.Min(sentEarliest[p], evt.Time);
            // Chunks stay under the large-object threshold, so a busy window does not provoke full collections,
            // and under the remote frame limit, however large some payloads are.
            foreach (var chunk in EventChunks.Split(batch)) _peers[p].Tell(new RemoteEvents(_epoch, _index, chunk));
            batch.Clear();
        }
        _coordinator.Tell(new EpochExecuted(_epoch, _index, sentTo, sentEarliest, _received.Of(_epoch), next, _epochHandled, _runtime.StopRequested, _epochWindows, _reached, Quiet()));
    }

    private void Route(in SimEvent evt)
    {
        var partition = _partitionCount == 1 ? 0 : _placement.PartitionOf(evt.Target, _partitionCount);
        if (partition == _index)
        {
            _calendar.Add(evt);
            return;
        }
        if (_mayCross is not null && !_mayCross.Contains(evt.Source))
        {
            Fail($"LP {evt.Source} sent to LP {evt.Target} on partition {partition}, but the placement names only {string.Join(", ", _mayCross.Order())} as sending from partition {_index} to others");
            return;
        }
        _outgoing[partition].Add(evt);
        // A rebuilt partition replaying what the other already has: it will not be sent, so nothing can answer it.
        if (AlreadyHas(partition, evt)) return;
        // An answer to this event can come back no sooner than the lookahead from there back here after
        // it lands (or after the other partition's promise, if later): this epoch must stop there, whatever
        // the other partitions' pending events allowed.
        var answerFrom = partition < _quietOf.Count ? _quietOf[partition].EarliestSend(evt.Time) : evt.Time;
        var earliestAnswer = PartitionLookaheads.After(answerFrom, _runtime.Lookaheads.Reach(partition, _index));
        if (earliestAnswer < _bound) _bound = earliestAnswer;
    }

    /// <summary>
    /// Hand-over: keeps <paramref name="batch"/> in the log for <paramref name="partition"/>, in (source,
    /// sequence) order so that any prefix of it that arrives holds a prefix of each source's events, and
    /// leaves out what the partition already has (a rebuilt partition replaying its predecessor's sends).
    /// </summary>
    private void LogAndFilter(int partition, List<SimEvent> batch)
    {
        batch.Sort(static (x, y) => x.Source.Value != y.Source.Value ? x.Source.Value.CompareTo(y.Source.Value) : x.Sequence.CompareTo(y.Sequence));
        _sentLog![partition].AddRange(batch);
        if (_delivered[partition] is not null) batch.RemoveAll(evt => AlreadyHas(partition, evt));
    }

    /// <summary>Whether <paramref name="partition"/> had <paramref name="evt"/> from this partition's predecessor (<see cref="AlreadyDelivered"/>).</summary>
    private bool AlreadyHas(int partition, in SimEvent evt) =>
        _delivered[partition] is { } delivered && delivered.TryGetValue(evt.Source, out var last) && evt.Sequence <= last;

    /// <summary>Hand-over: sends the coordinator everything sent to <paramref name="partition"/>, then what came from its LPs.</summary>
    private void SendLog(int partition)
    {
        var log = _sentLog?[partition] ?? [];
        foreach (var chunk in EventChunks.Split(log)) Sender.Tell(new SentLog(_index, partition, chunk));
        var received = _lastReceived.Where(r => _placement.PartitionOf(r.Key, _partitionCount) == partition).ToList();
        Sender.Tell(new SentLogDone(_index, partition, received.Select(r => r.Key).ToArray(), received.Select(r => r.Value).ToArray()));
    }

    private void Receive(RemoteEvents remote)
    {
        foreach (var evt in remote.Events)
        {
            if (_sentLog is not null)
            {
                // Sources send in sequence order (LogAndFilter): an event not above the last one had is a copy.
                ref var last = ref CollectionsMarshal.GetValueRefOrAddDefault(_lastReceived, evt.Source, out var known);
                if (known && evt.Sequence <= last) continue;
                last = evt.Sequence;
            }
            _calendar.Add(evt);
        }
        _received.Add(remote.Epoch, remote.FromPartition, remote.Events.Count);
        if (_pendingStart is { } pending && _received.HasAll(pending.Epoch - 1, pending.Awaiting))
        {
            _pendingStart = null;
            Execute(pending);
        }
        AnswerSyncIfComplete();
    }

    private void AnswerSyncIfComplete()
    {
        if (_awaitingFrom is not { } expected || !_received.HasAll(_epoch, expected)) return;
        _awaitingFrom = null;
        _coordinator.Tell(new EpochSynced(_epoch, _index, NextTime(), Quiet()));
    }

    private void Enqueue(SimEvent evt)
    {
        var partition = _partitionCount == 1 ? 0 : _placement.PartitionOf(evt.Target, _partitionCount);
        if (partition != _index)
            throw new InvalidOperationException($"event for LP {evt.Target} sent to partition {_index}; it belongs to partition {partition}");
        _calendar.Add(evt);
    }

    private SimTime NextTime() => _calendar.Next;

    /// <summary>
    /// What the placement's senders across have promised (<see cref="QuietPromise"/>): none when any LP may
    /// send across, or a sender has not started or not promised.
    /// </summary>
    private QuietPromise Quiet()
    {
        if (_mayCross is null) return QuietPromise.None;
        return _mayCross.Count == 0 ? QuietPromise.Silent
            : QuietPromise.Of(_mayCross.Select(id => _slots.Find(id) is { } slot ? (slot.QuietUntil, slot.QuietEveryMicros) : (SimTime.Zero, 0L)));
    }

    private LpSlot SlotOf(LpId id)
    {
        var slot = _slots.Find(id);
        if (slot is not null) return slot;
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
        slot.Actor = Context.ActorOf(LpDispatcher.Deploy(props), $"{LpKinds.NameOf(id.Kind).ToLowerInvariant()}-{id.Number}");
        _slots.Add(slot);
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

/// <summary>
/// Events a partition received from each other one, for the two latest epochs. Two suffice: an epoch
/// starts nowhere before every partition had the previous one's events, but a partition that had them
/// may start and send while another still waits for the last of them.
/// </summary>
internal sealed class ReceivedCounts(int partitions)
{
    private readonly long[] _epochs = [-1, -1];
    private readonly int[][] _counts = [new int[partitions], new int[partitions]];

    public void Add(long epoch, int from, int count)
    {
        var slot = SlotOf(epoch);
        if (slot < 0)
        {
            var older = _epochs[0] <= _epochs[1] ? 0 : 1;
            // A late batch of an older epoch (from a partition lost since) is kept but not counted.
            if (epoch < _epochs[older]) return;
            _epochs[older] = epoch;
            Array.Clear(_counts[older]);
            slot = older;
        }
        _counts[slot][from] += count;
    }

    /// <summary>Whether <paramref name="expected"/>[sender] events of <paramref name="epoch"/> have come from each sender.</summary>
    public bool HasAll(long epoch, IReadOnlyList<int> expected)
    {
        var slot = SlotOf(epoch);
        for (var from = 0; from < expected.Count; from++)
            if (expected[from] > (slot < 0 ? 0 : _counts[slot][from])) return false;
        return true;
    }

    /// <summary>What came from each partition in <paramref name="epoch"/> so far.</summary>
    public int[] Of(long epoch) => SlotOf(epoch) is var slot and >= 0 ? _counts[slot].ToArray() : new int[_counts[0].Length];

    private int SlotOf(long epoch) => _epochs[0] == epoch ? 0 : _epochs[1] == epoch ? 1 : -1;
}
