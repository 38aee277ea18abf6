namespace AmiSim.Kernel;

/// <summary>
/// The order in which a partition gives a window's events to its LPs: by target LP, then by the
/// kernel's (time, source, sequence) order (<see cref="ByTargetThenOrder"/>). A small window is
/// sorted in place (<see cref="Sort"/>); a large one is grouped (<see cref="TryGroup"/>), which gives
/// the same order without moving events while sorting.
/// </summary>
internal static class WindowOrder
{
    /// <summary>Windows up to this many events are sorted whole; larger ones are grouped.</summary>
    public const int SortWholeUpTo = 256;

    /// <summary>An event's key (<see cref="TryGroup"/>) holds its place in the window in the low bits, below its LP.</summary>
    private const int PlaceBits = 24;
    private const ulong PlaceMask = (1UL << PlaceBits) - 1;
    private const ulong MostKeyedNumber = (1UL << (56 - PlaceBits)) - 1;

    /// <summary>Sorts the events in place: by insertion when there are few (Span.Sort would box the comparer and make a delegate each time).</summary>
    public static void Sort(Span<SimEvent> events)
    {
        const int InsertionLimit = 24;
        if (events.Length > InsertionLimit)
        {
            events.Sort(new ByTargetThenOrder());
            return;
        }
        var order = new ByTargetThenOrder();
        for (var i = 1; i < events.Length; i++)
        {
            var evt = events[i];
            var at = i;
            while (at > 0 && order.Compare(events[at - 1], evt) > 0)
            {
                events[at] = events[at - 1];
                at--;
            }
            events[at] = evt;
        }
    }

    /// <summary>
    /// Writes <paramref name="window"/>'s events into <paramref name="into"/> in the order <see cref="Sort"/>
    /// gives: sorts one number per event (its LP, with its place in the window below), copies the events
    /// in that order, then sorts each LP's few events by insertion. False, with nothing written, when an
    /// LP number or the window is too large to key (2^32 and 2^24): then sort it whole.
    /// </summary>
    /// <param name="keys">room for a key per event.</param>
    public static bool TryGroup(ReadOnlySpan<SimEvent> window, Span<ulong> keys, Span<SimEvent> into)
    {
        if (window.Length > 1 << PlaceBits) return false;
        for (var i = 0; i < window.Length; i++)
        {
            var target = window[i].Target;
            if ((ulong)target.Number > MostKeyedNumber) return false;
            keys[i] = ((ulong)target.Kind << 56) | ((ulong)target.Number << PlaceBits) | (uint)i;
        }
        keys = keys[..window.Length];
        keys.Sort();
        for (var i = 0; i < keys.Length; i++) into[i] = window[(int)(keys[i] & PlaceMask)];
        var from = 0;
        while (from < keys.Length)
        {
            var lp = keys[from] >> PlaceBits;
            var to = from + 1;
            while (to < keys.Length && keys[to] >> PlaceBits == lp) to++;
            if (to - from > 1) SortOneLp(into[from..to]);
            from = to;
        }
        return true;
    }

    /// <summary>One LP's events, by the kernel's (time, source, sequence) order, by insertion.</summary>
    private static void SortOneLp(Span<SimEvent> events)
    {
        for (var i = 1; i < events.Length; i++)
        {
            var evt = events[i];
            var at = i;
            while (at > 0 && evt.Precedes(events[at - 1]))
            {
                events[at] = events[at - 1];
                at--;
            }
            events[at] = evt;
        }
    }
}

/// <summary>Orders a window's events by target LP, then by the kernel's (time, source, sequence) order.</summary>
internal readonly struct ByTargetThenOrder : IComparer<SimEvent>
{
    public int Compare(SimEvent x, SimEvent y)
    {
        if (x.Target.Value != y.Target.Value) return x.Target.Value < y.Target.Value ? -1 : 1;
        if (x.Time.Micros != y.Time.Micros) return x.Time.Micros < y.Time.Micros ? -1 : 1;
        if (x.Source.Value != y.Source.Value) return x.Source.Value < y.Source.Value ? -1 : 1;
        return x.Sequence.CompareTo(y.Sequence); // the same order as SimEvent.Precedes
    }
}
