using AmiSim.Kernel;
using AmiSim.Protocol.Network;

namespace AmiSim.HeadEnd.Mdm;

/// <summary>The MDM's fleet at the start: each meter's mRID and firmware.</summary>
/// <param name="Unreachable">periods [start, end) of virtual time in which the MDM is down: messages sent to it are lost.</param>
public sealed record MdmSetup(IReadOnlyList<(string Mrid, string Firmware)> Fleet, IReadOnlyList<(SimTime Start, SimTime End)>? Unreachable = null)
{
    public static readonly LpId Lp = new(AmiLps.Mdm, 0);
}
