using AmiSim.Scenario;

namespace AmiSim.Testing;

/// <summary>
/// Scenarios for tests: one of AmiSim's embedded scenarios or a scenario file, with overrides in the
/// scenario file's own keys ("fleet.meters = 40"). The result is a <see cref="ScenarioSettings"/> record,
/// so a test can also change it in code (<c>scenario with { Faults = ... }</c>).
/// </summary>
public static class AmiScenario
{
    /// <summary>An embedded scenario of hocon/scenarios/ by name ("small", "default", "bricking-canary", ...).</summary>
    /// <param name="overrides">"key = value" in scenario keys, with or without the <c>amisim.scenario.</c> prefix.</param>
    /// <exception cref="ScenarioException">an unknown key or a bad value, named.</exception>
    public static ScenarioSettings Embedded(string name = "small", params string[] overrides) =>
        Read(HoconLoader.Embedded($"scenarios/{name}.conf"), $"embedded scenario {name}", overrides);

    /// <summary>A scenario file, as `amisim run --scenario FILE` reads it.</summary>
    public static ScenarioSettings FromFile(string path, params string[] overrides) =>
        Read(File.ReadAllText(path), path, overrides);

    private static ScenarioSettings Read(string text, string source, IEnumerable<string> overrides) =>
        ScenarioSettings.Read(ScenarioReader.Load(text, source,
            overrides.Select(o => o.TrimStart().StartsWith(ScenarioReader.Root + ".", StringComparison.Ordinal) ? o : $"{ScenarioReader.Root}.{o.TrimStart()}")));
}
