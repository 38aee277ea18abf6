namespace AmiSim.Host.Tests;

/// <summary>The `--set` arguments of a small, quick run: two collectors, a small image, a canary of ten, no NIC outages.</summary>
internal static class SmallFleet
{
    public static string[] Args(int meters = 120, int programBytes = 16384) =>
    [
        "--set", $"amisim.scenario.fleet.meters={meters}", "--set", "amisim.scenario.fleet.collectors=2",
        "--set", $"amisim.scenario.program.size={programBytes}", "--set", "amisim.scenario.campaign.canary-meters=10",
        "--set", "amisim.scenario.faults.nic-outages-per-day=0",
    ];
}
