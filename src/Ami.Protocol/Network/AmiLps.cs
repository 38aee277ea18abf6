using AmiSim.Kernel;

namespace AmiSim.Protocol.Network;

/// <summary>
/// The AMI model's logical processes: their kinds (numbers that are part of the event ordering key, so
/// they never change). A meter's LP is numbered by the meter, a collector's and its head-end
/// station's by the collector.
/// </summary>
public static class AmiLps
{
    /// <summary>A meter: its NIC, with its metrology board beside it.</summary>
    public const LpKind Meter = (LpKind)1;

    /// <summary>A collector and the mesh of its cell (the collector's router).</summary>
    public const LpKind Collector = (LpKind)2;

    /// <summary>The head-end's campaign.</summary>
    public const LpKind HeadEnd = (LpKind)3;

    public const LpKind Mdm = (LpKind)4;

    /// <summary>The head-end's front-end for one collector.</summary>
    public const LpKind Station = (LpKind)5;

    /// <summary>Names the model's kinds in the kernel, for logs, traces and actor names ("Meter/42").</summary>
    public static void NameKinds()
    {
        LpKinds.Name(Meter, nameof(Meter));
        LpKinds.Name(Collector, nameof(Collector));
        LpKinds.Name(HeadEnd, nameof(HeadEnd));
        LpKinds.Name(Mdm, nameof(Mdm));
        LpKinds.Name(Station, nameof(Station));
    }
}
