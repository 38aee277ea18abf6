using AmiSim.Kernel;
using AmiSim.Protocol.C1219;
using AmiSim.Protocol.Network;
using AmiSim.Protocol.Programs;

namespace AmiSim.HeadEnd.Campaign;

/// <summary>A meter as the head-end knows it: where it is, what it runs, and its PSEM credential.</summary>
public sealed record FleetMeter(MeterId Meter, int Collector, string Model, FirmwareVersion Firmware, byte[] Credential);

/// <summary>What the head-end knows of a collector's mesh, to estimate how long a multicast round takes.</summary>
/// <remarks><paramref name="BackhaulLatency"/>: the collector's station sends frames to the collector's router that much later, since they reach it only over the backhaul.</remarks>
public sealed record CollectorProfile(int Collector, int Relays, int MaxDepth, TimeSpan BackhaulLatency = default);

/// <summary>Which meters a campaign targets; empty lists mean "any".</summary>
public sealed record TargetSelection
{
    public IReadOnlyList<string> Models { get; init; } = [];
    public IReadOnlyList<int> Collectors { get; init; } = [];
    public IReadOnlyList<FirmwareVersion> CurrentVersions { get; init; } = [];
    public IReadOnlyList<long> Meters { get; init; } = [];

    public bool Selects(FleetMeter meter) =>
        (Models.Count == 0 || Models.Contains(meter.Model)) &&
        (Collectors.Count == 0 || Collectors.Contains(meter.Collector)) &&
        (CurrentVersions.Count == 0 || CurrentVersions.Contains(meter.Firmware)) &&
        (Meters.Count == 0 || Meters.Contains(meter.Meter.Value));
}

/// <summary>Everything a campaign LP is made with.</summary>
public sealed record CampaignSetup(
    string CampaignId,
    ProgramPackage Package,
    CampaignPlan Plan,
    CampaignSettings Settings,
    LpId Mdm,
    ICimOutbox? Outbox = null)
{
    public static readonly LpId Lp = new(AmiLps.HeadEnd, 1);
}

/// <summary>Where the head-end's CIM messages also go (the run folder, an external MDM); called in the campaign's deterministic order.</summary>
public interface ICimOutbox
{
    void Sent(string messageId, string xml, SimTime at);
}
