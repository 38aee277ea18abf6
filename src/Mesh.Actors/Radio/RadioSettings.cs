namespace AmiSim.Mesh.Radio;

/// <summary>The RF mesh's figures (REFERENCE.md section 6); the same for every cell of a run.</summary>
public sealed record RadioSettings
{
    /// <summary>PHY rate of the cell's shared channel.</summary>
    public int PhyBitsPerSecond { get; init; } = 100_000;

    /// <summary>Added per hop on top of airtime (routing, MAC, processing).</summary>
    public TimeSpan HopLatency { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Airtime of <paramref name="bytes"/> on the channel, in whole microseconds (rounded up).</summary>
    public long AirtimeMicros(int bytes) => Airtime.Micros(bytes, PhyBitsPerSecond);
}

public static class Airtime
{
    /// <summary>bytes x 8 / rate, in microseconds, rounded up.</summary>
    public static long Micros(long bytes, long bitsPerSecond) => (bytes * 8 * 1_000_000 + bitsPerSecond - 1) / bitsPerSecond;
}
