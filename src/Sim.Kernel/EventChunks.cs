namespace AmiSim.Kernel;

/// <summary>
/// A payload that says about how many bytes it takes on the wire, so that the kernel can keep the
/// messages that carry events between nodes under the remote frame limit (<see cref="KernelSerialization"/>).
/// Payloads that do not say are taken as small.
/// </summary>
public interface ISizedPayload
{
    int EstimatedBytes { get; }
}

/// <summary>Cuts events into the chunks partitions and the coordinator send each other.</summary>
internal static class EventChunks
{
    /// <summary>Events per chunk at most: 2,000 x 40 bytes stays below the large-object heap.</summary>
    public const int MaxEvents = 2000;

    /// <summary>Estimated bytes per chunk at most: a quarter of the 4 MiB remote frame, for the estimates' error.</summary>
    public const int MaxBytes = 1 << 20;

    /// <summary>What an event costs on the wire besides a sized payload (times, ids, type names), about.</summary>
    private const int EventBytes = 64;

    public static IEnumerable<SimEvent[]> Split(IReadOnlyList<SimEvent> events)
    {
        var start = 0;
        var bytes = 0;
        for (var i = 0; i < events.Count; i++)
        {
            var size = EventBytes + (events[i].Payload is ISizedPayload sized ? sized.EstimatedBytes : 0);
            if (i > start && (i - start == MaxEvents || bytes + size > MaxBytes))
            {
                yield return Slice(events, start, i);
                start = i;
                bytes = 0;
            }
            bytes += size;
        }
        if (start < events.Count) yield return Slice(events, start, events.Count);
    }

    private static SimEvent[] Slice(IReadOnlyList<SimEvent> events, int from, int to)
    {
        var chunk = new SimEvent[to - from];
        for (var i = from; i < to; i++) chunk[i - from] = events[i];
        return chunk;
    }
}
