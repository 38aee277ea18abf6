namespace AmiSim.Mesh.Router;

// The mesh's protocol: what a collector's router answers between runs. The frames it carries
// (MeshDownlink down, IUplinkFrame up) belong to every wing and live in Ami.Protocol's MeterFrames.cs.

/// <summary>Query between runs: the router's counters. Answered with <see cref="MeshMetrics"/>.</summary>
public sealed class GetMeshMetrics
{
    public static readonly GetMeshMetrics Instance = new();

    private GetMeshMetrics() { }
}

/// <summary>Counters of one direction of traffic over links of one depth (the depth of the link's lower end).</summary>
public sealed class LinkCounters
{
    public long FramesSent { get; set; }
    public long FramesLost { get; set; }
    public long FramesDelivered { get; set; }
    public long BlocksSent { get; set; }
    public long BlocksLost { get; set; }
    public long BlocksDelivered { get; set; }
    /// <summary>Frames and blocks lost because an outage covered the transmission (also counted as lost).</summary>
    public long FramesLostToOutage { get; set; }
    public long AirtimeMicros { get; set; }
    /// <summary>Time from a frame being ready to its transmission: waiting for the channel, and the MAC's backoffs.</summary>
    public long QueueingMicros { get; set; }
    /// <summary>With the MAC: the backoffs' part of <see cref="QueueingMicros"/>.</summary>
    public long BackoffMicros { get; set; }
    /// <summary>With the MAC: channel access failures (the frame went back to its queue).</summary>
    public long AccessFailures { get; set; }
    /// <summary>Downlink unicast frames delivered to a meter of this depth (also in <see cref="FramesDelivered"/>).</summary>
    public long UnicastDelivered { get; set; }
    /// <summary>The sum of <see cref="UnicastDelivered"/>'s end-to-end delays, from the head-end putting each on the backhaul to its arrival.</summary>
    public long DelayMicros { get; set; }
    /// <summary>With the MAC: frames sent again for want of an acknowledgement.</summary>
    public long Retransmissions { get; set; }

    public LinkCounters Copy() => (LinkCounters)MemberwiseClone();
}

/// <summary>A collector's traffic: per link depth (index 0 = depth 1), downlink and uplink, and its backhaul.</summary>
/// <param name="ParentSwitches">with re-routing: the times a meter switched to another parent or back.</param>
public sealed record MeshMetrics(int Collector, IReadOnlyList<LinkCounters> Down, IReadOnlyList<LinkCounters> Up, long BackhaulFramesDown, long BackhaulFramesUp, long FramesDroppedAtCollector,
    long ParentSwitches = 0)
{
    public long AirtimeMicros => Down.Sum(c => c.AirtimeMicros) + Up.Sum(c => c.AirtimeMicros);
}
