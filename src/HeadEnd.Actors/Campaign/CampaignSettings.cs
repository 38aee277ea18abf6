using AmiSim.Kernel;

namespace AmiSim.HeadEnd.Campaign;

public enum Distribution
{
    /// <summary>Every meter gets every chunk on its own path.</summary>
    Unicast,

    /// <summary>Each collector floods the image once through its mesh; what meters miss is repaired.</summary>
    Multicast,
}

/// <summary>How a campaign runs: the Metering Department's policy. Every field has a default.</summary>
public sealed record CampaignSettings
{
    public Distribution Distribution { get; init; } = Distribution.Multicast;

    /// <summary>Blocks per chunk (a train of consecutive blocks in one frame).</summary>
    public int BlocksPerChunk { get; init; } = 8;

    /// <summary>At most this many multicast rounds per collector and wave (the first included).</summary>
    public int MaxMulticastRounds { get; init; } = 3;

    /// <summary>Another multicast round (rather than unicast repair) when at least this share of a collector's meters miss blocks.</summary>
    public double MulticastRepairShare { get; init; } = 0.3;

    /// <summary>Unicast sessions (outstanding commands or unicast transfers) per collector at once.</summary>
    public int SessionsPerCollector { get; init; } = 8;

    /// <summary>Meters in the first (canary) wave.</summary>
    public int CanaryMeters { get; init; } = 20;

    /// <summary>Shares of the remaining targets in each later wave (the last takes the rest).</summary>
    public IReadOnlyList<double> WaveShares { get; init; } = [0.25, 0.75];

    /// <summary>A wave is a success, and the next starts, when at least this share of its meters succeeded.</summary>
    public double SuccessThreshold { get; init; } = 0.9;

    /// <summary>Pause for inspection after the canary wave succeeded (an operator resumes).</summary>
    public bool PauseAfterCanary { get; init; }

    /// <summary>The campaign pauses when this many meters of a wave failed or timed out (0 = no count limit)...</summary>
    public int ErrorThresholdCount { get; init; }

    /// <summary>... or when this share of a wave's finished meters failed or timed out (judged once 5 meters, and a fifth of the wave, have finished).</summary>
    public double ErrorThresholdShare { get; init; } = 0.2;

    /// <summary>Attempts at a meter's current step before it times out.</summary>
    public int MaxAttempts { get; init; } = 3;

    /// <summary>How long a step may stay unanswered before it is tried again.</summary>
    public TimeSpan StepTimeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>Wait before asking meters for their transfer status after their chunks were sent.</summary>
    public TimeSpan StatusDelay { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>How long to wait for the confirmation after activation before asking the meter.</summary>
    public TimeSpan ConfirmationTimeout { get; init; } = TimeSpan.FromHours(2);

    /// <summary>
    /// How long the head-end takes to carry a report from a collector's station (its front-end for that
    /// collector) to the campaign, or an order back. Stations report their meters' transitions every
    /// flush interval, so the campaign learns a transition up to a flush interval plus this late. It is
    /// also the kernel's lookahead between the campaign's partition and the collectors' partitions, so a
    /// longer one lets them run further apart (docs/PERFORMANCE.md); at least the kernel's lookahead.
    /// </summary>
    public TimeSpan StationLatency { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Virtual time between durability flushes of campaign state. It is also the head-end's clock: the
    /// stations report, and the campaign dispatches its orders to them, only at whole multiples of it
    /// (<see cref="NextTick"/>).
    /// </summary>
    public TimeSpan FlushInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The head-end clock's first tick at or after <paramref name="now"/> (or strictly after it).</summary>
    public SimTime NextTick(SimTime now, bool strictlyAfter = false)
    {
        var every = SimTime.ToMicros(FlushInterval);
        var remainder = now.Micros % every;
        return remainder == 0 && !strictlyAfter ? now : new SimTime(now.Micros - remainder + every);
    }

    /// <summary>Durability flushes between journal snapshots, at least.</summary>
    public int SnapshotEvery { get; init; } = 500;

    /// <summary>
    /// A snapshot also waits until the transitions journaled since the last one reach this many times the
    /// meters it holds, so that snapshots cost at most about this multiple of the journal whatever the
    /// fleet size; 0 snapshots every <see cref="SnapshotEvery"/> flushes.
    /// </summary>
    public double SnapshotJournalRatio { get; init; } = 1.0;

    /// <summary>The journal's snapshot rule from <see cref="SnapshotEvery"/> and <see cref="SnapshotJournalRatio"/>.</summary>
    public SnapshotPolicy Snapshots => new(SnapshotEvery, SnapshotJournalRatio);

    /// <summary>Meters per CIM message to the MDM.</summary>
    public int MdmBatchSize { get; init; } = 500;

    /// <summary>Finished meters wait at most this long for a full batch before they are reported to the MDM.</summary>
    public TimeSpan MdmBatchInterval { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>A CIM message without a reply after this long is sent again.</summary>
    public TimeSpan MdmRetry { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Transfers (initiations, floods, unicast chunks) only inside this daily window of virtual time of day; null = any time.</summary>
    public MaintenanceWindow? TransferWindow { get; init; }

    /// <summary>Activate at this virtual time instead of right after verification (download now, activate in a window).</summary>
    public SimTime? ActivateAt { get; init; }
}

/// <summary>A daily window of virtual time of day, [Start, End); it may wrap midnight (22:00-04:00).</summary>
public sealed record MaintenanceWindow(TimeSpan Start, TimeSpan End)
{
    private static readonly TimeSpan Day = TimeSpan.FromDays(1);

    public bool Contains(SimTime time)
    {
        var ofDay = TimeSpan.FromTicks(time.SinceOrigin.Ticks % Day.Ticks);
        return Start <= End ? ofDay >= Start && ofDay < End : ofDay >= Start || ofDay < End;
    }

    /// <summary>The next time the window opens at or after <paramref name="time"/> (the time itself when inside).</summary>
    public SimTime NextOpening(SimTime time)
    {
        if (Contains(time)) return time;
        var dayStart = time - TimeSpan.FromTicks(time.SinceOrigin.Ticks % Day.Ticks);
        var opening = dayStart + Start;
        return opening > time ? opening : opening + Day;
    }
}
