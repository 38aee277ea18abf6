using Akka.Actor;

namespace AmiSim.Kernel;

/// <summary>Decides which kernel partition hosts an LP. Every partition and node must agree.</summary>
public interface IPlacement
{
    int PartitionOf(LpId id, int partitionCount);

    /// <summary>
    /// The smallest delay of any event an LP on partition <paramref name="from"/> sends straight to an LP
    /// on partition <paramref name="to"/> (they differ): at least the lookahead; <see cref="TimeSpan.MaxValue"/>
    /// when none ever does; null (the default) for <see cref="KernelSettings.PartitionLookahead"/>. The
    /// kernel checks every send against it, and lets a partition run until the earliest time anything,
    /// however many partitions it passes through, could reach it.
    /// </summary>
    TimeSpan? DirectLookahead(int from, int to, int partitionCount) => null;

    /// <summary>
    /// The only LPs of partition <paramref name="partition"/> that ever send to another partition, when the
    /// model knows them (null, the default: any LP may). The kernel then fails a send across from any other
    /// LP, and lets the other partitions run up to the earliest send these LPs promise
    /// (<see cref="SimActor.PromiseQuiet"/>), not only up to this partition's next event. Empty: nothing
    /// on the partition sends across.
    /// </summary>
    IReadOnlyList<LpId>? SendersAcross(int partition, int partitionCount) => null;
}

/// <summary>Spreads LPs by number; LPs of one kind with neighbouring numbers land on different partitions.</summary>
public sealed class ModuloPlacement : IPlacement
{
    public static readonly ModuloPlacement Instance = new();

    public int PartitionOf(LpId id, int partitionCount) => (int)(id.Value % (ulong)partitionCount);
}

/// <summary>
/// The lookaheads between a run's partitions: per ordered pair, the smallest delay of a send straight
/// from one to the other (<see cref="IPlacement.DirectLookahead"/>, what each send is checked against),
/// and the smallest delay of anything from one reaching the other by any path (the shortest path over
/// the direct ones, what bounds how far a partition may run ahead of the others).
/// </summary>
public sealed class PartitionLookaheads
{
    private const long Never = long.MaxValue / 4;
    private readonly long[,] _direct;
    private readonly long[,] _reach;
    private readonly long[] _checkBelow;

    public PartitionLookaheads(KernelSettings settings, IPlacement placement)
    {
        var n = settings.Partitions;
        _direct = new long[n, n];
        for (var from = 0; from < n; from++)
        for (var to = 0; to < n; to++)
        {
            if (from == to) continue;
            var given = placement.DirectLookahead(from, to, n);
            var micros = given == TimeSpan.MaxValue ? Never : given is { } delay ? SimTime.ToMicros(delay) : settings.PartitionLookaheadMicros;
            if (micros < settings.LookaheadMicros)
                throw new ArgumentException($"the placement's lookahead from partition {from} to {to}, {given}, is shorter than the lookahead {settings.Lookahead}", nameof(placement));
            _direct[from, to] = micros;
        }
        _reach = (long[,])_direct.Clone();
        for (var via = 0; via < n; via++)
        for (var from = 0; from < n; from++)
        for (var to = 0; to < n; to++)
            if (from != to && from != via && to != via)
                _reach[from, to] = Math.Min(_reach[from, to], Math.Min(Never, _reach[from, via] + _reach[via, to]));
        _checkBelow = new long[n];
        for (var from = 0; from < n; from++)
        {
            _checkBelow[from] = settings.LookaheadMicros;
            for (var to = 0; to < n; to++)
                if (from != to) _checkBelow[from] = _direct[from, to] >= Never ? long.MaxValue : Math.Max(_checkBelow[from], _direct[from, to]);
        }
    }

    /// <summary>Whether nothing on <paramref name="from"/> is ever sent straight to <paramref name="to"/>.</summary>
    public bool NeverDirect(int from, int to) => _direct[from, to] >= Never;

    /// <summary>The smallest delay of a send straight from <paramref name="from"/> to <paramref name="to"/>, in microseconds.</summary>
    public long Direct(int from, int to) => _direct[from, to];

    /// <summary>The smallest delay of anything from <paramref name="from"/> reaching <paramref name="to"/>, in microseconds; very large when nothing can.</summary>
    public long Reach(int from, int to) => _reach[from, to];

    /// <summary>
    /// A send from <paramref name="from"/> to another LP with a delay shorter than this (microseconds) must be
    /// checked against the lookaheads: the largest direct one, or every send when some partition is never sent to.
    /// </summary>
    public long CheckSendsBelow(int from) => _checkBelow[from];

    /// <summary><paramref name="time"/> plus <paramref name="micros"/>, at most <see cref="SimTime.Never"/>.</summary>
    public static SimTime After(SimTime time, long micros) =>
        time.IsNever || micros >= Never || time.Micros > SimTime.Never.Micros - micros ? SimTime.Never : new SimTime(time.Micros + micros);
}

/// <summary>Makes the actor of an LP the first time an event reaches it.</summary>
public interface ILpFactory
{
    /// <summary>Props of the LP's primary actor (a <see cref="SimActor"/>); throw for an id the model does not know.</summary>
    Props PropsFor(LpId id);
}
