namespace AmiSim.Host.Tests;

/// <summary>The `--set` arguments of a small, quick run: two collectors, a small image, a canary of ten, no NIC outages.</summary>
internal static class SmallFleet
{
    public static string[] Args(int meters = 120, int programBytes = 16384) =>
        [.. Network(meters), "--set", $"amisim.scenario.program.size={programBytes}"];

    /// <summary>The same fleet and campaign without a program key, for a run given a package of its own.</summary>
    public static string[] Network(int meters = 120) =>
    [
        "--set", $"amisim.scenario.fleet.meters={meters}", "--set", "amisim.scenario.fleet.collectors=2",
        "--set", "amisim.scenario.campaign.canary-meters=10", "--set", "amisim.scenario.faults.nic-outages-per-day=0",
    ];
}
