using Akka.Configuration;

namespace AmiSim.Kernel;

/// <summary>How a simulation's kernel runs. Read from the <c>amisim.kernel</c> HOCON section.</summary>
public sealed record KernelSettings
{
    /// <summary>The smallest delay of any event between two LPs; the width of a window.</summary>
    public TimeSpan Lookahead { get; init; } = TimeSpan.FromMilliseconds(20);

    /// <summary>
    /// The smallest delay of any event between LPs on different partitions (or nodes); at least
    /// <see cref="Lookahead"/>, which it is when null. A model whose partitions only talk over slow links
    /// sets it to that link's latency, and partitions
    /// then run that much virtual time on their own between synchronisations. A placement may name it
    /// per pair of partitions instead (<see cref="IPlacement.DirectLookahead"/>).
    /// </summary>
    public TimeSpan? PartitionLookahead { get; init; }

    /// <summary>The UTC instant that virtual time zero stands for.</summary>
    public DateTime OriginUtc { get; init; } = new(2026, 1, 5, 0, 0, 0, DateTimeKind.Utc);

    /// <summary>The run's seed; every random stream derives from it.</summary>
    public long Seed { get; init; } = 1;

    /// <summary>Kernel partitions in this process (each an actor with its own event queue).</summary>
    public int Partitions { get; init; } = Math.Max(1, Environment.ProcessorCount);

    /// <summary>
    /// The model chooses <see cref="Partitions"/> (`partitions = auto`): a model that does not keeps one.
    /// </summary>
    public bool AutoPartitions { get; init; }

    /// <summary>Wall time after which an epoch that has not closed is reported with its busy LPs.</summary>
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Wall time after which a stalled epoch fails the run; zero waits for ever (and keeps reporting).</summary>
    public TimeSpan StallAbortAfter { get; init; } = TimeSpan.Zero;

    /// <summary>Wall-time interval of <see cref="KernelProgress"/> reports on the event stream.</summary>
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Count the events handled by payload type (<see cref="Simulation.EventTypesAsync"/>): what a model's
    /// events are, for performance work. Off by default: one dictionary update per event.
    /// </summary>
    public bool CountEventTypes { get; init; }

    /// <summary>
    /// LPs publish what they observe (<see cref="SimActor.Publish"/>) to the actor system's event
    /// stream, where tests subscribe probes. Off by default: a run that
    /// nobody watches does not pay for it.
    /// </summary>
    public bool PublishObservations { get; init; }

    /// <summary>
    /// A partition lost with its node can be rebuilt on another node (a cluster run): every partition
    /// keeps the events it sent to each other partition and sends them in (source, sequence) order, and
    /// drops an event from a source LP it has already had, so the rebuilt partition can replay its
    /// whole history from what it was sent and send again only what never arrived
    /// (<see cref="EpochCoordinator"/>). Costs the memory of every event that crossed partitions.
    /// </summary>
    public bool HandOver { get; init; }

    /// <summary>Where LPs report the steps they take for the subjects a run traces; null = no trace.</summary>
    public ITraceSink? Trace { get; init; }

    public long LookaheadMicros => SimTime.ToMicros(Lookahead);

    public long PartitionLookaheadMicros => SimTime.ToMicros(PartitionLookahead ?? Lookahead);

    /// <summary>Reads the settings from a config holding (or falling back to) hocon/kernel.conf's keys.</summary>
    public static KernelSettings FromConfig(Config kernel)
    {
        var partitions = kernel.GetString("partitions", "1").Trim();
        var settings = new KernelSettings
        {
            Lookahead = kernel.GetTimeSpan("lookahead", TimeSpan.FromMilliseconds(20)),
            PartitionLookahead = kernel.GetTimeSpan("partition-lookahead", TimeSpan.Zero) is var pl && pl > TimeSpan.Zero ? pl : null,
            Seed = kernel.GetLong("seed", 1),
            Partitions = partitions == "auto" ? 1
                : int.TryParse(partitions, out var p) && p >= 0 ? p > 0 ? p : Math.Max(1, Environment.ProcessorCount)
                : throw new ConfigurationException($"amisim.kernel.partitions: expected auto, 0 (one a core) or a count, got '{partitions}'"),
            AutoPartitions = partitions == "auto",
            StallTimeout = kernel.GetTimeSpan("stall-timeout", TimeSpan.FromSeconds(60)),
            StallAbortAfter = kernel.GetTimeSpan("stall-abort-after", TimeSpan.Zero),
            ProgressInterval = kernel.GetTimeSpan("progress-interval", TimeSpan.FromSeconds(1)),
            CountEventTypes = kernel.GetBoolean("count-event-types", false),
        };
        var origin = kernel.GetString("origin", null);
        if (!string.IsNullOrEmpty(origin))
        {
            if (!DateTime.TryParse(origin, System.Globalization.CultureInfo.InvariantCulture,
                    System.Globalization.DateTimeStyles.AdjustToUniversal | System.Globalization.DateTimeStyles.AssumeUniversal, out var parsed))
                throw new ConfigurationException($"amisim.kernel.origin: '{origin}' is not a UTC date (example: 2026-01-05T00:00:00Z)");
            settings = settings with { OriginUtc = parsed };
        }
        return settings.Validated();
    }

    public KernelSettings Validated()
    {
        if (LookaheadMicros <= 0) throw new ConfigurationException($"amisim.kernel.lookahead must be at least 1 microsecond, was {Lookahead}");
        if (PartitionLookaheadMicros < LookaheadMicros)
            throw new ConfigurationException($"amisim.kernel.partition-lookahead ({PartitionLookahead}) must be at least the lookahead ({Lookahead})");
        if (Partitions < 1) throw new ConfigurationException($"amisim.kernel.partitions must be at least 1, was {Partitions}");
        return this;
    }
}
