using AmiSim.Kernel;
using AmiSim.Protocol.Network;
using AmiSim.Protocol.Programs;

namespace AmiSim.HeadEnd.Campaign;

/// <summary>Everything a collector's station is made with: its collector, that collector's meters in the plan (in plan order), and the campaign's policy.</summary>
public sealed record StationSetup(
    string CampaignId,
    ProgramPackage Package,
    CollectorProfile Collector,
    IReadOnlyList<PlannedMeter> Meters,
    CampaignSettings Settings,
    int PhyBitsPerSecond,
    TimeSpan HopLatency)
{
    public static LpId LpOf(int collector) => new(AmiLps.Station, collector);
}
