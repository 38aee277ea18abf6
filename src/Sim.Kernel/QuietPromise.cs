namespace AmiSim.Kernel;

/// <summary>
/// What a partition's senders across (<see cref="IPlacement.SendersAcross"/>) have promised
/// (<see cref="SimActor.PromiseQuiet"/>): none sends anything to another partition before
/// <see cref="Until"/>, and, when <see cref="EveryMicros"/> is set, each sends only at whole multiples of it.
/// </summary>
public readonly record struct QuietPromise(SimTime Until, long EveryMicros)
{
    /// <summary>No promise: the partition may send across as soon as it handles anything.</summary>
    public static readonly QuietPromise None = new(SimTime.Zero, 0);

    /// <summary>Nothing on the partition ever sends across.</summary>
    public static readonly QuietPromise Silent = new(SimTime.Never, 0);

    /// <summary>
    /// The earliest the partition may send across when its next event (counting those on their way to it)
    /// is at <paramref name="next"/>: no LP acts before it, and the senders keep their promises.
    /// </summary>
    public SimTime EarliestSend(SimTime next)
    {
        if (next.IsNever || Until.IsNever) return SimTime.Never;
        var at = next.Micros;
        if (EveryMicros > 0 && at % EveryMicros != 0)
        {
            var rounded = at - at % EveryMicros;
            at = rounded > long.MaxValue - EveryMicros ? long.MaxValue : rounded + EveryMicros;
        }
        return Until.Micros > at ? Until : new SimTime(at);
    }

    /// <summary>The promise of a partition whose senders made <paramref name="promises"/>: the earliest time, and their common period if they share one.</summary>
    public static QuietPromise Of(IEnumerable<(SimTime Until, long EveryMicros)> promises)
    {
        var until = SimTime.Never;
        long? every = null;
        foreach (var (senderUntil, senderEvery) in promises)
        {
            until = SimTime.Min(until, senderUntil);
            every = every is null || every == senderEvery ? senderEvery : 0;
        }
        return new QuietPromise(until, every ?? 0);
    }
}
