using System.Diagnostics;

namespace AmiSim.Bench;

/// <summary>What a benchmark reads off the process.</summary>
internal static class Measure
{
    public static long PeakWorkingSetBytes()
    {
        using var self = Process.GetCurrentProcess();
        self.Refresh();
        return self.PeakWorkingSet64;
    }

    public static long HeapAfterFullCollection()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    public static string Machine() =>
        $"{Environment.ProcessorCount} cores, {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1L << 30)} GiB, " +
        $".NET {Environment.Version}, {(System.Runtime.GCSettings.IsServerGC ? "Server" : "Workstation")} GC, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}";

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}

/// <summary>The garbage collector's counters at one moment, to report what a run allocated and paused.</summary>
internal readonly record struct GcFigures(long Allocated, int Gen0, int Gen1, int Gen2, TimeSpan Paused)
{
    public static GcFigures Now() => new(GC.GetTotalAllocatedBytes(), GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration());

    public string Since(GcFigures before, long events)
    {
        var allocated = Allocated - before.Allocated;
        return $"allocated {allocated / (1 << 20):N0} MiB = {allocated / (double)Math.Max(1, events):N0} bytes per event; " +
               $"collections gen0 {Gen0 - before.Gen0}, gen1 {Gen1 - before.Gen1}, gen2 {Gen2 - before.Gen2}; paused {(Paused - before.Paused).TotalSeconds:0.0} s";
    }
}

/// <summary>
/// Polls the garbage collector during a run for what the working set is made of: the most a full
/// collection found alive, and the most memory the GC had committed.
/// </summary>
internal sealed class HeapWatch : IDisposable
{
    private readonly Timer _timer;
    private long _liveAfterFull;
    private long _committed;

    public HeapWatch() => _timer = new Timer(_ => Poll(), null, TimeSpan.Zero, TimeSpan.FromMilliseconds(250));

    private void Poll()
    {
        foreach (var kind in new[] { GCKind.FullBlocking, GCKind.Background })
        {
            var full = GC.GetGCMemoryInfo(kind);
            if (full.Index > 0) _liveAfterFull = Math.Max(_liveAfterFull, full.PromotedBytes);
        }
        _committed = Math.Max(_committed, GC.GetGCMemoryInfo(GCKind.Any).TotalCommittedBytes);
    }

    public string Summary()
    {
        Poll();
        return $"GC heap: at most {_liveAfterFull / (1 << 20):N0} MiB alive after a full collection; at most {_committed / (1 << 20):N0} MiB committed";
    }

    public void Dispose() => _timer.Dispose();
}
