using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

namespace AmiSim.Bench;

/// <summary>
/// Samples allocations by type in-process: the runtime raises an allocation-tick event about every
/// 100 KB allocated, naming the type of the object that crossed the mark, so the counts per type are
/// proportional to the bytes each type allocates.
/// </summary>
internal sealed class AllocationSampler : EventListener
{
    private const EventKeywords GcKeyword = (EventKeywords)0x1;
    private readonly ConcurrentDictionary<string, long> _bytes = new();

    public IReadOnlyDictionary<string, long> BytesByType => _bytes;

    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime") EnableEvents(source, EventLevel.Verbose, GcKeyword);
    }

    protected override void OnEventWritten(EventWrittenEventArgs data)
    {
        if (data.EventName is null || !data.EventName.StartsWith("GCAllocationTick", StringComparison.Ordinal) || data.PayloadNames is null) return;
        var type = data.Payload![data.PayloadNames.IndexOf("TypeName")] as string ?? "?";
        var amount = Convert.ToInt64(data.Payload[data.PayloadNames.IndexOf("AllocationAmount")]);
        _bytes.AddOrUpdate(type, amount, (_, total) => total + amount);
    }
}
