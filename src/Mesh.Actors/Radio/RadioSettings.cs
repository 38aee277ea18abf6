namespace AmiSim.Mesh.Radio;

/// <summary>The RF mesh's figures (REFERENCE.md section 6); the same for every cell of a run.</summary>
public sealed record RadioSettings
{
    /// <summary>PHY rate of the cell's channel, of every link that <see cref="PhyRateByDepth"/> and the topology leave to it.</summary>
    public int PhyBitsPerSecond { get; init; } = 100_000;

    /// <summary>PHY rate of the links to meters of depth 1, 2, ... (the last for any deeper); empty: <see cref="PhyBitsPerSecond"/> everywhere.</summary>
    public IReadOnlyList<int> PhyRateByDepth { get; init; } = [];

    /// <summary>The PHY rate of the link from a meter of <paramref name="depth"/> to its parent: its own (<paramref name="own"/> above 0, from the topology file), else its depth's.</summary>
    public int LinkBitsPerSecond(int depth, int own = 0) =>
        own > 0 ? own : PhyRateByDepth.Count == 0 ? PhyBitsPerSecond : PhyRateByDepth[Math.Clamp(depth - 1, 0, PhyRateByDepth.Count - 1)];

    /// <summary>Added per hop on top of airtime (routing, processing; and the MAC's own time when <see cref="Mac"/> is off).</summary>
    public TimeSpan HopLatency { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>CSMA/CA with acknowledgements and retransmissions on every hop; null: off (a frame takes the channel when free, a link's loss is after the MAC's retries).</summary>
    public MacSettings? Mac { get; init; }

    /// <summary>Channels a cell's transmissions are spread over, each on one drawn at random (channel hopping); 1: one shared channel.</summary>
    public int Channels { get; init; } = 1;

    /// <summary>Transmissions far enough apart on the routing tree go on at the same time (docs/MESH-MODEL.md, "Spatial reuse and channels"); false: one at a time per channel in the whole cell.</summary>
    public bool SpatialReuse { get; init; }

    /// <summary>
    /// How long a meter whose link to its parent went down (a scheduled outage) takes to notice and switch to
    /// another parent, and to switch back once the link is up (docs/MESH-MODEL.md, "Re-routing"); null: off,
    /// a meter keeps its parent.
    /// </summary>
    public TimeSpan? RerouteAfter { get; init; }

    /// <summary>Bursty (Gilbert-Elliott) loss per link and direction; null: off (independent loss per draw).</summary>
    public BurstSettings? Burst { get; init; }

    /// <summary>Airtime of <paramref name="bytes"/> on the channel, in whole microseconds (rounded up).</summary>
    public long AirtimeMicros(int bytes) => Airtime.Micros(bytes, PhyBitsPerSecond);

    /// <summary>
    /// How long a flood of frames of <paramref name="frameBytes"/> takes to cross a cell: each frame on
    /// the air once from the collector and once from each of its <paramref name="relays"/>, and a hop's
    /// latency per level down to <paramref name="maxDepth"/> and one more.
    /// </summary>
    public TimeSpan FloodSettle(IEnumerable<int> frameBytes, int relays, int maxDepth) =>
        TimeSpan.FromTicks(frameBytes.Sum(b => AirtimeMicros(b)) * (relays + 1) * 10) + HopLatency * (maxDepth + 1);

    /// <summary>
    /// How long frames of <paramref name="frameBytes"/> sent to one meter take to reach it at most
    /// <paramref name="depth"/> hops down: each frame on the air once per hop, and a hop's latency per
    /// hop and one more.
    /// </summary>
    public TimeSpan UnicastSettle(IEnumerable<int> frameBytes, int depth) =>
        TimeSpan.FromTicks(frameBytes.Sum(b => AirtimeMicros(b)) * depth * 10) + HopLatency * (depth + 1);
}

public static class Airtime
{
    /// <summary>bytes x 8 / rate, in microseconds, rounded up.</summary>
    public static long Micros(long bytes, long bitsPerSecond) => (bytes * 8 * 1_000_000 + bitsPerSecond - 1) / bitsPerSecond;
}
