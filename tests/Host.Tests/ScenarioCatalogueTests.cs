using AmiSim.Scenario;
using Xunit;

namespace AmiSim.Host.Tests;

public sealed class ScenarioCatalogueTests
{
    public static TheoryData<string> Scenarios()
    {
        var data = new TheoryData<string>();
        var directory = Path.Combine(AppContext.BaseDirectory, "scenarios");
        foreach (var file in Directory.GetFiles(directory, "*.conf").Order()) data.Add(Path.GetFileName(file));
        return data;
    }

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void Every_catalogue_scenario_reads_with_its_own_name(string file)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "scenarios", file);
        var scenario = ScenarioSettings.Read(ScenarioReader.Load(File.ReadAllText(path), path, []));
        Assert.Equal(Path.GetFileNameWithoutExtension(file), scenario.Name);
        Assert.True(scenario.Fleet.Meters > 0);
    }

    [Fact]
    public void The_embedded_default_is_the_documented_fleet()
    {
        var scenario = ScenarioSettings.Read(ScenarioReader.Load(HoconLoader.Embedded("scenarios/default.conf"), "default", []));
        Assert.Equal((10_000, 10, 262_144, 512), (scenario.Fleet.Meters, scenario.Fleet.Collectors, scenario.Program.Size, scenario.Program.BlockSize));
        Assert.Equal(AmiSim.HeadEnd.Campaign.Distribution.Multicast, scenario.Campaign.Distribution);
    }

    [Theory]
    [InlineData("amisim.scenario.fleet { meters = 10, colectors = 2 }", "unknown key amisim.scenario.fleet.colectors (did you mean amisim.scenario.fleet.collectors?)")]
    [InlineData("amisim.scenario.campaign.step-timeout = 5", "expected a duration with a unit")]
    [InlineData("amisim.scenario.operator-actions = [{ at = 1h, action = reboot }]", "expected pause, resume, cancel or retry-failed")]
    [InlineData("amisim.scenario {\n  name = \"x\"\n", "line 1: '{' is never closed")]
    [InlineData("amisim.scenario.name = \"x", "line 1: a string is not closed")]
    public void A_bad_scenario_names_the_file_the_key_and_the_problem(string text, string message)
    {
        var error = Assert.Throws<ScenarioException>(() => ScenarioSettings.Read(ScenarioReader.Load(text, "my.conf", [])));
        Assert.StartsWith("my.conf", error.Message);
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void A_station_latency_shorter_than_the_kernel_lookahead_is_refused_by_name()
    {
        var scenario = ScenarioSettings.Read(ScenarioReader.Load(
            "amisim.scenario {\n fleet { meters = 20, collectors = 2 }\n network.hop-latency = 100ms\n campaign.station-latency = 50ms\n}", "my.conf", []));
        var error = Assert.Throws<ScenarioException>(() => ScenarioAssembly.Kernel(scenario, scenario.BuildTopology(), new AmiSim.Kernel.KernelSettings(), null));
        Assert.Contains("campaign.station-latency (50 ms) must be at least", error.Message);
        Assert.Contains("(100 ms)", error.Message);

        var accepted = ScenarioSettings.Read(ScenarioReader.Load(
            "amisim.scenario {\n fleet { meters = 20, collectors = 2 }\n network.hop-latency = 100ms\n campaign.station-latency = 100ms\n}", "my.conf", []));
        Assert.Equal(TimeSpan.FromMilliseconds(100), ScenarioAssembly.Kernel(accepted, accepted.BuildTopology(), new AmiSim.Kernel.KernelSettings(), null).PartitionLookahead);
    }
}
