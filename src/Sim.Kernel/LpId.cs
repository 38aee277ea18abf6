namespace AmiSim.Kernel;

/// <summary>
/// The stable address of a logical process (LP): a kind and a number within the kind.
/// Simulation code names LPs by id and never holds another LP's actor reference, so the
/// kernel may host an LP in any partition, on any node.
/// </summary>
/// <remarks>Packed in one <see cref="ulong"/>: kind in the top 8 bits, number in the low 56.
/// The packed value orders events from different sources when their times are equal.</remarks>
public readonly record struct LpId : IComparable<LpId>
{
    private const int KindShift = 56;
    private const ulong NumberMask = (1UL << KindShift) - 1;

    public LpId(LpKind kind, long number)
    {
        if (number < 0 || (ulong)number > NumberMask)
            throw new ArgumentOutOfRangeException(nameof(number), number, "an LP number must fit in 56 bits");
        Value = ((ulong)kind << KindShift) | (ulong)number;
    }

    private LpId(ulong value) => Value = value;

    /// <summary>The source of events injected from outside the simulation (scenario set-up, operator scripts).</summary>
    public static readonly LpId Kernel = new(LpKind.Kernel, 0);

    public ulong Value { get; }

    public LpKind Kind => (LpKind)(Value >> KindShift);

    public long Number => (long)(Value & NumberMask);

    public static LpId FromValue(ulong value) => new(value);

    public int CompareTo(LpId other) => Value.CompareTo(other.Value);

    public override string ToString() => $"{Kind}/{Number}";
}

/// <summary>Kinds of logical process. Numbers are part of the ordering key, so keep them stable.</summary>
public enum LpKind : byte
{
    Kernel = 0,
    Meter = 1,
    Collector = 2,
    HeadEnd = 3,
    Mdm = 4,
    /// <summary>The head-end's front-end for one collector (numbered by the collector).</summary>
    Station = 5,
    /// <summary>LPs of tests and benchmarks.</summary>
    Model = 200,
}
