namespace AmiSim.Kernel;

/// <summary>
/// One scheduled delivery: <see cref="Payload"/> reaches <see cref="Target"/> at <see cref="Time"/>.
/// Events are totally ordered by (time, source, sequence); the sequence counts the source's sends,
/// so ties never depend on which thread ran first.
/// </summary>
public sealed class SimEvent
{
    public SimEvent(SimTime time, LpId source, long sequence, LpId target, object payload)
    {
        Time = time;
        Source = source;
        Sequence = sequence;
        Target = target;
        Payload = payload;
    }

    public SimTime Time { get; }

    public LpId Source { get; }

    public long Sequence { get; }

    public LpId Target { get; }

    public object Payload { get; }

    public EventOrder Order => new(Time.Micros, Source.Value, Sequence);

    public override string ToString() => $"{Time} {Source}#{Sequence} -> {Target}: {Payload}";
}

/// <summary>The sort key of an event: time, then source, then the source's sequence number.</summary>
public readonly record struct EventOrder(long Micros, ulong Source, long Sequence) : IComparable<EventOrder>
{
    public int CompareTo(EventOrder other)
    {
        var c = Micros.CompareTo(other.Micros);
        if (c != 0) return c;
        c = Source.CompareTo(other.Source);
        return c != 0 ? c : Sequence.CompareTo(other.Sequence);
    }
}
