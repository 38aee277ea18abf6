using AmiSim.Kernel;
using AmiSim.Protocol.Network;

namespace AmiSim.Mesh.Radio;

/// <summary>
/// A scheduled outage: the collector (when <see cref="Link"/> is null) or the link between a meter and
/// its parent is down during [Start, End). A transmission over it that overlaps the outage is lost.
/// </summary>
public sealed record Outage(int Collector, MeterId? Link, SimTime Start, SimTime End)
{
    public bool Overlaps(SimTime from, SimTime to) => from < End && to > Start;

    public bool Contains(SimTime time) => time >= Start && time < End;
}

/// <summary>Questions about a list of outages, asked per transmission (loops: no closure per call).</summary>
public static class OutageLists
{
    public static bool AnyOverlaps(this List<Outage> outages, SimTime from, SimTime to)
    {
        foreach (var outage in outages)
            if (outage.Overlaps(from, to)) return true;
        return false;
    }

    public static bool AnyContains(this List<Outage> outages, SimTime time)
    {
        foreach (var outage in outages)
            if (outage.Contains(time)) return true;
        return false;
    }
}
