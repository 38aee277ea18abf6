using AmiSim.Scenario;

namespace AmiSim.Testing.Tests;

/// <summary>Small scenarios that run in a few seconds.</summary>
internal static class Scenarios
{
    /// <summary>80 meters on 2 collectors, all AM-100 on firmware 1.0, a 16 KiB image, no random faults: every meter should succeed.</summary>
    public static ScenarioSettings Clean(params string[] more) => AmiScenario.Embedded("small",
        ["fleet.meters = 80", "fleet.models = [{ name = \"AM-100\", weight = 1.0 }]", "fleet.firmware = [{ version = \"1.0\", weight = 1.0 }]", "fleet.collectors = 2", "program.size = 16384", "campaign.canary-meters = 6",
         "faults.activation-failure = 0", "faults.silent-corruption = 0", "faults.nic-outages-per-day = 0", .. more]);
}
