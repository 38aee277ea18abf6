using Akka.Actor;
using static AmiSim.Kernel.KernelProtocol;

namespace AmiSim.Kernel;

/// <summary>
/// A simulation in this process: its kernel partitions, their window coordinator, and the way in
/// from outside (scheduling set-up events, running until a virtual time, finding an LP's actor).
/// </summary>
/// <remarks>
/// <para><b>The time model.</b> Virtual time is whole microseconds from the clock's origin
/// (<see cref="SimTime"/>). A logical process (LP, <see cref="LpId"/>) is one <see cref="SimActor"/>,
/// with any member actors it owns. LPs only affect each other through events sent with a delay of at
/// least the lookahead L. So when the earliest pending event anywhere is at t, every event in
/// [t, t + L) is already known: the kernel releases them all at once (a window), each LP handles its
/// own in (time, source, sequence) order, and whatever they send lands at t + L or later. The next
/// window starts at the earliest pending event, so a month with nothing to do costs one step.</para>
/// <para><b>Determinism.</b> An LP sees the same events in the same order whatever the threads do:
/// ties are broken by the sender's id and its own send counter, randomness comes from
/// <see cref="RandomStream"/>s derived from (seed, entity, purpose), and actors of one LP talk in strict
/// request/response, which the kernel waits for before the next event.</para>
/// </remarks>
public sealed class Simulation
{
    /// <summary>How often a query is asked again when the partition it went to is lost before it answers.</summary>
    private const int QueryAttempts = 20;

    private readonly ActorSystem _home;
    private readonly IActorRef _coordinator;
    private readonly IReadOnlyList<IActorRef> _partitions;
    private readonly IPlacement _placement;
    private readonly List<SimEvent>[] _toInject;
    private long _injectSequence;

    private Simulation(ActorSystem home, KernelSettings settings, IActorRef coordinator, IReadOnlyList<IActorRef> partitions, IPlacement placement)
    {
        _home = home;
        Settings = settings;
        _coordinator = coordinator;
        _partitions = partitions;
        _placement = placement;
        _toInject = partitions.Select(_ => new List<SimEvent>()).ToArray();
    }

    public KernelSettings Settings { get; }

    /// <summary>Virtual time reached by the last run.</summary>
    public SimTime Now { get; private set; } = SimTime.Zero;

    /// <summary>Starts the kernel's actors under <paramref name="system"/>'s user guardian, named after <paramref name="name"/>.</summary>
    public static Simulation Create(ActorSystem system, KernelSettings settings, ILpFactory factory, IPlacement? placement = null, string name = "sim")
    {
        settings = settings.Validated();
        var partitions = Enumerable.Range(0, settings.Partitions)
            .Select(i => StartPartition(system, i, settings, factory, placement, name))
            .ToList();
        return Across(system, settings, partitions, placement, name);
    }

    /// <summary>
    /// Starts partition <paramref name="index"/> of <paramref name="settings"/>' partitions on the actor
    /// system (cluster node) that hosts it, with that node's own instance of the model. A clustered run
    /// starts every partition on its node, then joins them with <see cref="Across"/> on one node.
    /// </summary>
    public static IActorRef StartPartition(ActorSystem node, int index, KernelSettings settings, ILpFactory factory, IPlacement? placement = null, string name = "sim") =>
        node.ActorOf(PartitionProps(node, index, settings, factory, placement), PartitionName(name, index));

    /// <summary>The props of partition <paramref name="index"/>, for a host that starts it under an actor of its own (a cluster-sharded entity).</summary>
    public static Props PartitionProps(ActorSystem node, int index, KernelSettings settings, ILpFactory factory, IPlacement? placement = null)
    {
        settings = settings.Validated();
        if (index < 0 || index >= settings.Partitions)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"partitions are numbered 0 to {settings.Partitions - 1}");
        placement ??= ModuloPlacement.Instance;
        var lookaheads = new PartitionLookaheads(settings, placement); // a placement's bad lookahead is refused here, before anything starts
        LpDispatcher.Register(node);
        return KernelPartition.Props(index, settings.Partitions, settings, factory, placement, lookaheads);
    }

    /// <summary>The actor name of partition <paramref name="index"/> of the simulation <paramref name="name"/> (under /user).</summary>
    public static string PartitionName(string name, int index) => $"{name}-partition-{index}";

    /// <summary>
    /// A simulation over partitions that are already running, here or on other nodes (remote actor
    /// references): its window coordinator runs on <paramref name="home"/>. Kernel messages between
    /// nodes go through Akka's serialization (see <see cref="KernelSerialization"/>).
    /// </summary>
    /// <param name="rehost">
    /// With <see cref="KernelSettings.HandOver"/>: starts partition i again on a node that is still up
    /// (as <see cref="StartPartition"/> did first), when its node is lost; the kernel then rebuilds it.
    /// </param>
    public static Simulation Across(ActorSystem home, KernelSettings settings, IReadOnlyList<IActorRef> partitions, IPlacement? placement = null, string name = "sim",
        Func<int, Task<IActorRef>>? rehost = null)
    {
        settings = settings.Validated();
        if (partitions.Count != settings.Partitions)
            throw new ArgumentException($"{partitions.Count} partitions given for settings of {settings.Partitions}", nameof(partitions));
        placement ??= ModuloPlacement.Instance;
        var coordinator = home.ActorOf(EpochCoordinator.Props(partitions, settings, new PartitionLookaheads(settings, placement), rehost), $"{name}-coordinator");
        return new Simulation(home, settings, coordinator, partitions, placement);
    }

    /// <summary>Schedules <paramref name="payload"/> for <paramref name="target"/> at <paramref name="at"/>, from outside the model.</summary>
    public void Schedule(LpId target, SimTime at, object payload)
    {
        if (at < Now)
            throw new ArgumentOutOfRangeException(nameof(at), at, $"cannot schedule for {target} at {at}: the simulation is already at {Now}");
        var evt = new SimEvent(at, LpId.Kernel, _injectSequence++, target, payload);
        _toInject[_placement.PartitionOf(target, _partitions.Count)].Add(evt);
    }

    /// <summary>Runs windows until nothing is pending, an LP requests a stop, or virtual time reaches <paramref name="until"/>.</summary>
    /// <exception cref="SimulationFailedException">an LP failed, or the run stalled past the abort limit.</exception>
    public async Task<RunCompleted> RunAsync(SimTime? until = null, CancellationToken cancellation = default)
    {
        var partitions = await PartitionsAsync();
        for (var p = 0; p < partitions.Count; p++)
        {
            if (_toInject[p].Count == 0) continue;
            // In chunks, as partitions send events to each other: a partition may be on another node.
            foreach (var chunk in EventChunks.Split(_toInject[p]))
            {
                await partitions[p].Ask<EventsInjected>(new InjectEvents(chunk), cancellation);
                if (Settings.HandOver) _coordinator.Tell(new InjectedEvents(p, chunk)); // kept for a rebuild of the partition
            }
            _toInject[p].Clear();
        }
        // No ask timeout: a step may take any wall time (a rebuilt partition replays days of virtual time
        // within one), and a window that stops moving is the coordinator's to report (StallTimeout).
        var answer = await _coordinator.Ask<object>(new RunUntil(until ?? SimTime.Never), Timeout.InfiniteTimeSpan, cancellation);
        switch (answer)
        {
            case RunCompleted completed:
                Now = completed.Time;
                return completed;
            case RunFailed failed:
                throw new SimulationFailedException(failed.Reason);
            default:
                throw new SimulationFailedException($"unexpected answer from the coordinator: {answer}");
        }
    }

    /// <summary>Stops the window coordinator (the partitions stay until their host stops them).</summary>
    public async Task StopAsync() => await _coordinator.GracefulStop(TimeSpan.FromSeconds(10));

    /// <summary>Events handled so far by payload type name, over all partitions (empty unless <see cref="KernelSettings.CountEventTypes"/>).</summary>
    public async Task<IReadOnlyDictionary<string, long>> EventTypesAsync(TimeSpan? timeout = null)
    {
        var total = new Dictionary<string, long>();
        foreach (var partition in await PartitionsAsync())
            foreach (var (type, count) in (await partition.Ask<EventTypeCounts>(GetEventTypes.Instance, timeout ?? TimeSpan.FromSeconds(10))).Counts)
                total[type] = total.GetValueOrDefault(type) + count;
        return total;
    }

    /// <summary>The primary actor of <paramref name="lp"/> (made if no event has reached it yet), for queries outside the model.</summary>
    public Task<IActorRef> LpActorAsync(LpId lp, TimeSpan? timeout = null) =>
        AskFollowingAsync<IActorRef>(lp, async () => (await PartitionsAsync())[_placement.PartitionOf(lp, _partitions.Count)], new GetLpActor(lp),
            timeout ?? TimeSpan.FromSeconds(10));

    /// <summary>
    /// Asks <paramref name="lp"/>'s primary actor <paramref name="query"/> (a query from outside the model).
    /// With hand-over, a query whose LP is lost with its partition before it answers is asked again of the
    /// rebuilt LP (finding it waits for the rebuild).
    /// </summary>
    public Task<T> AskLpAsync<T>(LpId lp, object query, TimeSpan timeout) =>
        AskFollowingAsync<T>(lp, () => LpActorAsync(lp, timeout), query, timeout);

    /// <summary>Asks the actor <paramref name="find"/> gives; if it stops before answering (its partition lost), finds it again and asks again.</summary>
    /// <exception cref="SimulationFailedException">the LP's partition was lost again and again while it was asked.</exception>
    private async Task<T> AskFollowingAsync<T>(LpId lp, Func<Task<IActorRef>> find, object message, TimeSpan timeout)
    {
        for (var attempt = 1; ; attempt++)
        {
            var (answered, answer) = await AskUnlessGoneAsync<T>(await find(), message, timeout);
            if (answered) return answer;
            if (attempt == QueryAttempts)
                throw new SimulationFailedException($"LP {lp}: its partition was lost {attempt} times while a query to it was waiting for an answer");
            // Wall clock, outside the simulation (a caller waiting for an answer, never a simulated delay): the
            // coordinator learns of the loss about when the query does, and then holds queries until the rebuild.
            await Task.Delay(TimeSpan.FromMilliseconds(100));
        }
    }

    /// <summary>Asks <paramref name="target"/>; with hand-over, (false, default) if it stops first (its partition was lost).</summary>
    private async Task<(bool Answered, T Answer)> AskUnlessGoneAsync<T>(IActorRef target, object message, TimeSpan timeout)
    {
        if (!Settings.HandOver) return (true, await target.Ask<T>(message, timeout));
        var gone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var watch = _home.ActorOf(Props.Create(() => new GoneWatch(target, gone)));
        try
        {
            var answer = target.Ask<T>(message, timeout);
            if (await Task.WhenAny(answer, gone.Task) == answer) return (true, await answer);
            _ = answer.ContinueWith(static failed => failed.Exception, TaskContinuationOptions.OnlyOnFaulted); // it times out unanswered
            return (false, default!);
        }
        finally
        {
            _home.Stop(watch);
        }
    }

    /// <summary>Completes <paramref name="gone"/> when <paramref name="target"/> stops (or its node is lost).</summary>
    private sealed class GoneWatch : ReceiveActor
    {
        public GoneWatch(IActorRef target, TaskCompletionSource gone)
        {
            Context.Watch(target);
            Receive<Terminated>(_ => gone.TrySetResult());
        }
    }

    /// <summary>The partitions' actors now: with hand-over, a lost partition's successor replaces it.</summary>
    private async Task<IReadOnlyList<IActorRef>> PartitionsAsync() =>
        Settings.HandOver
            // No timeout: the coordinator is in this process, and answers once a partition lost between runs has caught up.
            ? await _coordinator.Ask<IReadOnlyList<IActorRef>>(GetPartitions.Instance, Timeout.InfiniteTimeSpan)
            : _partitions;
}

/// <summary>A run could not go on; the message names the LP or partition and why.</summary>
public sealed class SimulationFailedException(string message) : Exception(message);
