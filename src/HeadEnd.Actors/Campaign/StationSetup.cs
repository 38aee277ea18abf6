using AmiSim.Kernel;
using AmiSim.Mesh.Radio;
using AmiSim.Protocol.Network;
using AmiSim.Protocol.Programs;

namespace AmiSim.HeadEnd.Campaign;

/// <summary>
/// Everything a collector's station is made with: its collector, that collector's meters in the plan
/// (in plan order), the campaign's policy, and the mesh's radio settings (from which it estimates
/// how long its frames take to reach its meters).
/// </summary>
public sealed record StationSetup(
    string CampaignId,
    ProgramPackage Package,
    CollectorProfile Collector,
    IReadOnlyList<PlannedMeter> Meters,
    CampaignSettings Settings,
    RadioSettings Radio)
{
    public static LpId LpOf(int collector) => new(AmiLps.Station, collector);
}
