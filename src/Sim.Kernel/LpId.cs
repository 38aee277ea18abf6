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

    public override string ToString() => $"{LpKinds.NameOf(Kind)}/{Number}";
}

/// <summary>
/// Kinds of logical process. The kernel reserves <see cref="Kernel"/> and <see cref="Model"/>; a model
/// declares its own as constants (<c>(LpKind)1</c>, ...) and names them with <see cref="LpKinds.Name"/>.
/// A kind's number is part of the event ordering key, so a model keeps its numbers stable.
/// </summary>
public enum LpKind : byte
{
    Kernel = 0,
    /// <summary>LPs of tests and benchmarks.</summary>
    Model = 200,
}

/// <summary>The names of the kinds of LP, for logs, traces and actor names.</summary>
public static class LpKinds
{
    private static readonly string?[] Names = new string?[256];

    static LpKinds()
    {
        Names[(int)LpKind.Kernel] = nameof(LpKind.Kernel);
        Names[(int)LpKind.Model] = nameof(LpKind.Model);
    }

    /// <summary>Names <paramref name="kind"/> (again with the same name is fine).</summary>
    /// <exception cref="InvalidOperationException">the kind has another name already.</exception>
    public static void Name(LpKind kind, string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        lock (Names)
        {
            if (Names[(int)kind] is { } existing && existing != name)
                throw new InvalidOperationException($"LP kind {(int)kind} is named {existing} already, not {name}");
            Names[(int)kind] = name;
        }
    }

    /// <summary>The kind's name, or its number for a kind no one named.</summary>
    public static string NameOf(LpKind kind) => Names[(int)kind] ?? $"kind{(int)kind}";
}
