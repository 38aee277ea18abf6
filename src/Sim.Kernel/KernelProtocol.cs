using Akka.Actor;

namespace AmiSim.Kernel;

/// <summary>
/// Messages between the epoch coordinator and the kernel partitions. The barrier runs only on
/// these messages (no shared memory), so partitions may live on other nodes.
/// </summary>
/// <remarks>
/// One epoch, as the coordinator sees it:
/// <list type="number">
/// <item><see cref="StartEpoch"/> to every partition, each with its own bound: the earliest time
///   another partition could send it anything (one with nothing to run before it, and every event
///   sent to it so far in hand, sits the epoch out unasked);</item>
/// <item>each partition runs windows (releases its events due before a window's end, waits for its
///   LPs) until its next event reaches the bound (or one lookahead after an event it sent to another
///   partition), sends events for other partitions as <see cref="RemoteEvents"/> and answers
///   <see cref="EpochExecuted"/> with how many it sent to each partition and received so far;</item>
/// <item>once every partition has reported, the next epoch starts from the partitions' earliest events,
///   counting those on their way to them (each report names the earliest event it sent to each
///   partition); a partition runs its part only once it has every event the others counted as sent
///   to it (<see cref="StartEpoch.Awaiting"/>), so one round trip an epoch is all it costs;</item>
/// <item>before the run ends, and when a partition was lost, the coordinator waits instead until each
///   partition has everything: <see cref="SyncEpoch"/> asks those still waiting to answer
///   <see cref="EpochSynced"/> once their events arrived.</item>
/// </list>
/// </remarks>
public static class KernelProtocol
{
    /// <summary>Coordinator -> partition, once: who the peers are and whom to answer.</summary>
    public sealed record PartitionTopology(IReadOnlyList<IActorRef> Partitions, IActorRef Coordinator);

    /// <summary>Simulation -> partition: events from outside the model (scenario set-up, scripts). Answered with <see cref="EventsInjected"/>.</summary>
    public sealed record InjectEvents(IReadOnlyList<SimEvent> Events);

    public sealed record EventsInjected(int Count);

    /// <summary>
    /// Run windows from <paramref name="Start"/> (the first one ends at <paramref name="End"/>) until the
    /// partition's next event is at or after <paramref name="Bound"/>: no other partition can send it
    /// anything earlier than that, so it may run several windows before it reports (an epoch). Before it
    /// starts, it must have <paramref name="Awaiting"/>[sender] events of the previous epoch from each
    /// partition (empty: none, it had them all when it reported). <paramref name="Quiet"/>[partition]: what
    /// that partition's LPs promised, when the epoch started, to send nothing across before
    /// (<see cref="EpochExecuted.Quiet"/>); an answer to an event sent there comes no sooner.
    /// </summary>
    public sealed record StartEpoch(long Epoch, SimTime Start, SimTime End, SimTime Bound, IReadOnlyList<int> Awaiting, IReadOnlyList<QuietPromise> Quiet);

    /// <summary>
    /// Coordinator -> partition whose <see cref="StartEpoch"/> waits for events from a partition lost
    /// since: do not run it; answer <see cref="EpochSynced"/> instead (the lost partition's successor
    /// sends what never came, and the coordinator starts the epoch again). Ignored if it has run.
    /// </summary>
    public sealed record AbandonStart(long Epoch);

    public sealed record RemoteEvents(long Epoch, int FromPartition, IReadOnlyList<SimEvent> Events);

    /// <param name="SentTo">events sent to each partition during the epoch (index = partition).</param>
    /// <param name="SentEarliest">the time of the earliest of them, per partition (Never when none).</param>
    /// <param name="ReceivedFrom">events received from each other partition for this epoch so far (index = sender).</param>
    /// <param name="Next">the earliest event this partition holds now.</param>
    /// <param name="Windows">windows the partition ran in this epoch.</param>
    /// <param name="Reached">virtual time up to which it handled every event.</param>
    /// <param name="Quiet">what its senders across promised (<see cref="IPlacement.SendersAcross"/>, <see cref="SimActor.PromiseQuiet"/>).</param>
    public sealed record EpochExecuted(long Epoch, int Partition, IReadOnlyList<int> SentTo, IReadOnlyList<SimTime> SentEarliest, IReadOnlyList<int> ReceivedFrom, SimTime Next, long Handled, bool StopRequested,
        long Windows, SimTime Reached, QuietPromise Quiet);

    /// <summary>
    /// Answer <see cref="EpochSynced"/> once the events of the epoch from each other partition have
    /// arrived: <paramref name="ExpectedFrom"/>[sender] of them (empty: none). Counted per sender, so that
    /// a sender lost with its node, whose events may never come, can be left out by a later SyncEpoch.
    /// </summary>
    public sealed record SyncEpoch(long Epoch, IReadOnlyList<int> ExpectedFrom)
    {
        /// <summary>A sync that waits for nothing: it only asks for the partition's earliest event.</summary>
        public static SyncEpoch Immediate(long epoch) => new(epoch, []);
    }

    /// <param name="Quiet">as in <see cref="EpochExecuted.Quiet"/>.</param>
    public sealed record EpochSynced(long Epoch, int Partition, SimTime Next, QuietPromise Quiet);

    // Hand-over: rebuilding a partition lost with its node (KernelSettings.HandOver).

    /// <summary>Simulation -> coordinator: a copy of the events injected into <paramref name="Partition"/>, for its rebuild.</summary>
    public sealed record InjectedEvents(int Partition, IReadOnlyList<SimEvent> Events);

    /// <summary>Simulation -> coordinator: the partitions' actors now (answered with an IReadOnlyList of IActorRef).</summary>
    public sealed class GetPartitions
    {
        public static readonly GetPartitions Instance = new();

        private GetPartitions() { }
    }

    /// <summary>Coordinator -> surviving partition: send me everything you sent to <paramref name="Partition"/>, then what you received from its LPs.</summary>
    public sealed record SendLogOf(int Partition);

    /// <summary>Survivor -> coordinator: events it sent to <paramref name="Partition"/> (in chunks, in order).</summary>
    public sealed record SentLog(int From, int Partition, IReadOnlyList<SimEvent> Events);

    /// <summary>
    /// Survivor -> coordinator, after its log: the highest sequence it received from each LP of
    /// <paramref name="Partition"/> (forwarded to the rebuilt partition, which does not send those again).
    /// </summary>
    public sealed record SentLogDone(int From, int Partition, LpId[] Sources, long[] Sequences);

    /// <summary>Coordinator -> rebuilt partition: what partition <paramref name="To"/> already has from each source LP.</summary>
    public sealed record AlreadyDelivered(int To, LpId[] Sources, long[] Sequences);

    /// <summary>Coordinator -> rebuilt partition: its predecessor had handled every event before <paramref name="Time"/>.</summary>
    public sealed record ReplayBefore(SimTime Time);

    /// <summary>Coordinator -> partition during a stall: which LPs have not finished?</summary>
    public sealed record GetBusyLps(long Epoch);

    public sealed record BusyLps(long Epoch, int Partition, IReadOnlyList<LpId> Lps);

    /// <summary>An LP's handler threw: the run fails with the LP named.</summary>
    public sealed record LpFailed(LpId Lp, string Reason);

    /// <summary>Partition -> coordinator: the run cannot go on.</summary>
    public sealed record PartitionFailed(int Partition, string Reason);

    /// <summary>Simulation -> coordinator: run windows until nothing is pending, a stop is requested, or <paramref name="Until"/>.</summary>
    public sealed record RunUntil(SimTime Until);

    /// <summary>Anyone -> partition: the actor of an LP, made if needed (answered with the IActorRef).</summary>
    public sealed record GetLpActor(LpId Lp);

    /// <summary>Anyone -> partition, between runs: the events handled so far by payload type (answered with <see cref="EventTypeCounts"/>).</summary>
    public sealed class GetEventTypes
    {
        public static readonly GetEventTypes Instance = new();

        private GetEventTypes() { }
    }

    /// <summary>Events handled by payload type name (empty unless <see cref="KernelSettings.CountEventTypes"/>).</summary>
    public sealed record EventTypeCounts(IReadOnlyDictionary<string, long> Counts);

    /// <summary>Partition, to itself: all LPs released in the window have finished.</summary>
    internal sealed class WindowWorkDone
    {
        public static readonly WindowWorkDone Instance = new();

        private WindowWorkDone() { }
    }
}

/// <summary>The answer to <see cref="KernelProtocol.RunUntil"/> when the run ended normally; counts are of this run only.</summary>
/// <param name="Time">virtual time when the run stopped (the end of the last window, or the requested limit).</param>
/// <param name="Epochs">the barrier's round trips: stretches each partition ran on its own (several windows each).</param>
/// <param name="Reason">why it stopped.</param>
/// <param name="SatOut">epochs a partition sat out, idle, without a round trip (summed over the partitions).</param>
public sealed record RunCompleted(SimTime Time, long EventsHandled, long Windows, TimeSpan Wall, RunEnd Reason, long Epochs = 0, long SatOut = 0);

/// <summary>Why a run stopped.</summary>
public enum RunEnd : byte
{
    /// <summary>Nothing was pending any more.</summary>
    Idle,
    /// <summary>An LP asked for the run to end (<see cref="SimActor.RequestStop"/>).</summary>
    StopRequested,
    /// <summary>The next event was at or after the time the run was given.</summary>
    TimeLimit,
}

/// <summary>The answer to <see cref="KernelProtocol.RunUntil"/> when the run cannot go on.</summary>
public sealed record RunFailed(string Reason);

/// <summary>Published on the event stream every progress interval (wall time) while a run goes on.</summary>
public sealed record KernelProgress(SimTime Time, long EventsHandled, long Windows, double EventsPerSecond, TimeSpan Wall);

/// <summary>
/// Published on the event stream when a partition lost with its node has been started again on
/// <paramref name="Node"/> and has every event it was given; it replays up to <paramref name="ReplaysTo"/>.
/// </summary>
public sealed record PartitionRebuilt(int Partition, Address Node, SimTime ReplaysTo);

/// <summary>Published on the event stream when an epoch has not closed within the stall timeout.</summary>
public sealed record EpochStalled(long Epoch, SimTime Start, TimeSpan OpenFor, IReadOnlyList<LpId> BusyLps)
{
    public override string ToString() =>
        $"epoch {Epoch} at {Start} open for {OpenFor.TotalSeconds:0.#}s; LPs still busy: " +
        (BusyLps.Count == 0 ? "none (waiting for events between partitions)" : string.Join(", ", BusyLps.Take(20)) + (BusyLps.Count > 20 ? $" and {BusyLps.Count - 20} more" : ""));
}
