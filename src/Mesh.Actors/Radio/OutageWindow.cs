using AmiSim.Kernel;
using AmiSim.Protocol.Network;

namespace AmiSim.Mesh.Radio;

/// <summary>
/// A scheduled outage: the collector (when <see cref="Link"/> is null) or the link between a meter and
/// its parent is down during [Start, End). A transmission over it that overlaps the window is lost.
/// </summary>
public sealed record OutageWindow(int Collector, MeterId? Link, SimTime Start, SimTime End)
{
    public bool Overlaps(SimTime from, SimTime to) => from < End && to > Start;

    public bool Contains(SimTime time) => time >= Start && time < End;
}

/// <summary>Questions about a list of outage windows, asked per transmission (loops: no closure per call).</summary>
public static class OutageWindows
{
    public static bool AnyOverlaps(this List<OutageWindow> windows, SimTime from, SimTime to)
    {
        foreach (var window in windows)
            if (window.Overlaps(from, to)) return true;
        return false;
    }

    public static bool AnyContains(this List<OutageWindow> windows, SimTime time)
    {
        foreach (var window in windows)
            if (window.Contains(time)) return true;
        return false;
    }
}
