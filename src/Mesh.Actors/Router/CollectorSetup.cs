using AmiSim.Kernel;
using AmiSim.Mesh.Radio;
using AmiSim.Mesh.Topology;
using AmiSim.Protocol.Network;

namespace AmiSim.Mesh.Router;

/// <summary>What a collector's router is made with.</summary>
public sealed record CollectorSetup(
    CollectorNode Collector,
    IReadOnlyList<MeterNode> Cell,
    RadioSettings Radio,
    LpId HeadEnd,
    IReadOnlyList<Outage> Outages)
{
    public static LpId LpOf(int collector) => new(AmiLps.Collector, collector);
}
