namespace AmiSim.Mesh.Topology;

/// <summary>
/// How well two nodes of the mesh hear each other, from their distance (docs/MESH-MODEL.md, "A
/// network from positions"): a link budget over a log-distance path loss with log-normal shadowing,
/// and a packet error rate from the margin over the receiver's sensitivity. Every field is a scenario
/// key (amisim.scenario.network.links.*); the defaults are those of a Wi-SUN-like 915 MHz mesh
/// (REFERENCE.md section 6).
/// </summary>
public sealed record LinkBudget
{
    /// <summary>Speed of light, m/s.</summary>
    private const double LightSpeed = 299_792_458;

    public double TxPowerDbm { get; init; } = 27;

    public double MeterAntennaGainDbi { get; init; } = 2;

    public double CollectorAntennaGainDbi { get; init; } = 6;

    public double FrequencyMhz { get; init; } = 915;

    /// <summary>The path-loss exponent n of the log-distance model (2 in free space, 2.7-3.5 in suburbs).</summary>
    public double PathLossExponent { get; init; } = 3.2;

    /// <summary>Distance at which the path loss is free space's; nearer nodes count as this far.</summary>
    public double ReferenceDistanceMetres { get; init; } = 1;

    /// <summary>Standard deviation of the log-normal shadowing, drawn once per link (both ways the same).</summary>
    public double ShadowingSigmaDb { get; init; } = 6;

    /// <summary>Received power at which a 20-byte frame is lost one time in ten (IEEE 802.15.4g's definition of sensitivity).</summary>
    public double SensitivityDbm { get; init; } = -100;

    /// <summary>Times the MAC sends a frame again before it gives the frame up.</summary>
    public int MacRetries { get; init; } = 3;

    /// <summary>Links whose expected transmissions (ETX) exceed this are not used for routing.</summary>
    public double MaxLinkEtx { get; init; } = 4;

    /// <summary>The frame a link's loss and ETX are worked out for: a chunk frame of one 512-byte block (24 + 12 + 512 bytes).</summary>
    public int FrameBytes { get; init; } = 548;

    /// <summary>Bytes of the link-layer acknowledgement ETX counts beside the data frame.</summary>
    public const int AckBytes = 10;

    /// <summary>The sensitivity's reference frame, 20 bytes, lost with probability 0.1 at the sensitivity.</summary>
    private const int SensitivityFrameBytes = 20;

    /// <summary>
    /// Eb/N0 (linear) at the sensitivity: the value for which non-coherent 2-FSK, bit error rate
    /// 0.5 exp(-Eb/N0 / 2), loses a 20-byte frame with probability 0.1.
    /// </summary>
    public static readonly double EbN0AtSensitivity = -2 * Math.Log(2 * (1 - Math.Pow(0.9, 1.0 / (8 * SensitivityFrameBytes))));

    /// <summary>Free-space loss at the reference distance, 20 log10(4 pi d0 f / c), in dB.</summary>
    public double ReferenceLossDb => 20 * Math.Log10(4 * Math.PI * ReferenceDistanceMetres * FrequencyMhz * 1e6 / LightSpeed);

    /// <summary>Mean path loss at <paramref name="metres"/>: PL(d0) + 10 n log10(d / d0), in dB.</summary>
    public double PathLossDb(double metres) => ReferenceLossDb + 10 * PathLossExponent * Math.Log10(Math.Max(metres, ReferenceDistanceMetres) / ReferenceDistanceMetres);

    /// <summary>
    /// Received power over a link of <paramref name="metres"/> with <paramref name="shadowingDb"/> of
    /// shadowing: Pt + Gt + Gr - PL(d) - X, where one end is a collector when <paramref name="toCollector"/>.
    /// </summary>
    public double ReceivedDbm(double metres, double shadowingDb, bool toCollector) =>
        TxPowerDbm + MeterAntennaGainDbi + (toCollector ? CollectorAntennaGainDbi : MeterAntennaGainDbi) - PathLossDb(metres) - shadowingDb;

    /// <summary>The bit error rate at <paramref name="marginDb"/> over the sensitivity: 0.5 exp(-(Eb/N0 at sensitivity) 10^(margin/10) / 2).</summary>
    public static double BitErrorRate(double marginDb) => 0.5 * Math.Exp(-EbN0AtSensitivity * Math.Pow(10, marginDb / 10) / 2);

    /// <summary>The chance that one attempt at a frame of <paramref name="bytes"/> is lost at <paramref name="marginDb"/>: 1 - (1 - BER)^(8 bytes).</summary>
    public static double PacketErrorRate(int bytes, double marginDb) => 1 - Math.Pow(1 - BitErrorRate(marginDb), 8.0 * bytes);

    /// <summary>The link's loss as the router uses it (a frame lost after the MAC's retries): PER(<see cref="FrameBytes"/>)^(1 + retries).</summary>
    public double LinkLoss(double marginDb) => Math.Pow(PacketErrorRate(FrameBytes, marginDb), 1 + MacRetries);

    /// <summary>Expected transmissions of a frame and its acknowledgement: 1 / ((1 - PER(frame)) (1 - PER(ack))); infinite for a dead link.</summary>
    public double Etx(double marginDb)
    {
        var delivered = (1 - PacketErrorRate(FrameBytes, marginDb)) * (1 - PacketErrorRate(AckBytes, marginDb));
        return delivered <= 0 ? double.PositiveInfinity : 1 / delivered;
    }

    /// <summary>
    /// The farthest two nodes are looked at for a link: where the mean margin with one standard deviation
    /// of shadowing in their favour is still usable (ETX at most <see cref="MaxLinkEtx"/>). The few links
    /// farther that a larger fade would make usable are left out.
    /// </summary>
    public double RangeMetres(bool toCollector)
    {
        // The smallest usable margin, by bisection (ETX falls as the margin grows).
        double low = -30, high = 40;
        for (var i = 0; i < 60; i++)
        {
            var mid = (low + high) / 2;
            if (Etx(mid) <= MaxLinkEtx) high = mid;
            else low = mid;
        }
        var lossAllowed = TxPowerDbm + MeterAntennaGainDbi + (toCollector ? CollectorAntennaGainDbi : MeterAntennaGainDbi) - SensitivityDbm - high + ShadowingSigmaDb;
        return ReferenceDistanceMetres * Math.Pow(10, (lossAllowed - ReferenceLossDb) / (10 * PathLossExponent));
    }
}
