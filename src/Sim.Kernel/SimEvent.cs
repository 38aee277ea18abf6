namespace AmiSim.Kernel;

/// <summary>
/// One scheduled delivery: <see cref="Payload"/> reaches <see cref="Target"/> at <see cref="Time"/>.
/// Events are totally ordered by (time, source, sequence); the sequence counts the source's sends,
/// so ties never depend on which thread ran first. A struct: the kernel keeps events in arrays, so
/// an event costs no allocation of its own.
/// </summary>
public readonly struct SimEvent(SimTime time, LpId source, long sequence, LpId target, object payload)
{
    public SimTime Time { get; } = time;

    public LpId Source { get; } = source;

    public long Sequence { get; } = sequence;

    public LpId Target { get; } = target;

    public object Payload { get; } = payload;

    /// <summary>True when this event comes before <paramref name="other"/> in the kernel's total order.</summary>
    public bool Precedes(in SimEvent other)
    {
        if (Time.Micros != other.Time.Micros) return Time.Micros < other.Time.Micros;
        if (Source.Value != other.Source.Value) return Source.Value < other.Source.Value;
        return Sequence < other.Sequence;
    }

    public override string ToString() => $"{Time} {Source}#{Sequence} -> {Target}: {Payload}";
}
