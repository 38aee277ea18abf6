namespace AmiSim.Mesh.Radio;

/// <summary>
/// IEEE 802.15.4 unslotted CSMA/CA with link-layer acknowledgements and retransmissions (scenario keys
/// under network.mac; docs/MESH-MODEL.md, "MAC"). A link's loss stays the loss of a block or control
/// frame after the retransmissions, so one attempt loses it with that loss to the power
/// 1 / (<see cref="MaxFrameRetries"/> + 1); broadcast (multicast) frames are sent once, unacknowledged.
/// </summary>
public sealed record MacSettings
{
    /// <summary>macMinBE: the first backoff exponent of each attempt.</summary>
    public int MinBackoffExponent { get; init; } = 3;

    /// <summary>macMaxBE.</summary>
    public int MaxBackoffExponent { get; init; } = 5;

    /// <summary>macMaxCSMABackoffs: busy channel assessments before a channel access failure.</summary>
    public int MaxCsmaBackoffs { get; init; } = 4;

    /// <summary>macMaxFrameRetries: retransmissions of an unacknowledged frame.</summary>
    public int MaxFrameRetries { get; init; } = 3;

    /// <summary>aUnitBackoffPeriod (aTurnaroundTime + aCcaTime of a SUN FSK PHY).</summary>
    public TimeSpan UnitBackoff { get; init; } = TimeSpan.FromMicroseconds(1160);

    /// <summary>aCcaTime: one clear channel assessment.</summary>
    public TimeSpan Cca { get; init; } = TimeSpan.FromMicroseconds(160);

    /// <summary>aTurnaroundTime: from receiving to transmitting (after the CCA, and before the acknowledgement).</summary>
    public TimeSpan Turnaround { get; init; } = TimeSpan.FromMilliseconds(1);

    /// <summary>An acknowledgement frame on the air, PHY headers included.</summary>
    public int AckBytes { get; init; } = 19;

    /// <summary>macAckWaitDuration: how long the sender waits for an acknowledgement after its frame before sending it again.</summary>
    public TimeSpan AckWait { get; init; } = TimeSpan.FromMilliseconds(5);

    /// <summary>The chance that one attempt loses what the link loses with <paramref name="loss"/> after every retransmission.</summary>
    public double AttemptLoss(double loss) => loss <= 0 ? 0 : Math.Pow(loss, 1.0 / (MaxFrameRetries + 1));
}
