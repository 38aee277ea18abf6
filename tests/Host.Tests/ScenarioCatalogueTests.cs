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
    [InlineData("amisim.scenario.campaign.step-timeout = 5", "expected a duration from 0 to 10000d with a unit")]
    [InlineData("amisim.scenario.operator-actions = [{ at = 1h, action = reboot }]", "expected pause, resume, cancel, retry-failed or start")]
    [InlineData("amisim.scenario.campaign.start = later", "campaign.start: expected at-once or operator, got 'later'")]
    [InlineData("amisim.scenario.operator-actions = [{ at = 1h, action = start }]", "operator-actions: a start action is for a campaign that waits for the operator (campaign.start = operator)")]
    [InlineData("amisim.scenario { campaign.start = operator, operator-actions = [{ at = 1h, action = pause }, { at = 2h, action = start }] }",
        "operator-actions[0] (pause at virtual 01:00:00.000): the campaign waits for the operator's start")]
    [InlineData("amisim.scenario { campaign.start = operator, operator-actions = [{ at = 1h, action = start }, { at = 1h, action = start }] }",
        "operator-actions[1] (start at virtual 01:00:00.000): the campaign has been started already")]
    [InlineData("amisim.scenario.operator-actions = [{ at = 3h, action = pause }, { at = 1h, action = pause }, { at = 4h, action = resume }]",
        "operator-actions[0] (pause at virtual 03:00:00.000): the campaign is paused by an earlier pause with no resume since")]
    [InlineData("amisim.scenario.operator-actions = [{ at = 1h, action = cancel }, { at = 2h, action = retry-failed }]",
        "operator-actions[1] (retry-failed at virtual 02:00:00.000): the campaign is canceled at virtual 01:00:00.000")]
    [InlineData("amisim.scenario { head-end-crashes = [{ at = 1h, downtime = 40m }], operator-actions = [{ at = 80m, action = pause }] }",
        "operator-actions[0] (pause at virtual 01:20:00.000): the head-end is down then (head-end-crashes: a crash at virtual 01:00:00.000 for 00:40:00.000)")]
    [InlineData("amisim.scenario { until = 30m, operator-actions = [{ at = 1h, action = pause }] }",
        "operator-actions[0] (pause at virtual 01:00:00.000): the run ends at until = virtual 00:30:00.000, before it")]
    [InlineData("amisim.scenario.network.mac { enabled = on, min-be = 6, max-be = 5 }", "network.mac.min-be (6) is above network.mac.max-be (5)")]
    [InlineData("amisim.scenario.network.mac { enabled = on, unit-backoff = 1160 }", "network.mac.unit-backoff: expected a duration")]
    [InlineData("amisim.scenario.network { link-loss-max = 0.2, burst { enabled = on, bad-loss = 0.1 } }", "network.burst.bad-loss (0.1) is below network.link-loss-max (0.2)")]
    [InlineData("amisim.scenario.network.burst { enabled = on, mean-duration = 0ms }", "network.burst.mean-duration: a burst lasts some time")]
    [InlineData("amisim.scenario {\n  name = \"x\"\n", "line 1: '{' is never closed")]
    [InlineData("amisim.scenario.name = \"x", "line 1: a string is not closed")]
    public void A_bad_scenario_names_the_file_the_key_and_the_problem(string text, string message)
    {
        var error = Assert.Throws<ScenarioException>(() => ScenarioSettings.Read(ScenarioReader.Load(text, "my.conf", [])));
        Assert.StartsWith("my.conf", error.Message);
        Assert.Contains(message, error.Message);
    }

    [Theory]
    [InlineData("", false, false)]
    [InlineData("amisim.scenario.campaign.start = operator", true, true)]
    [InlineData("amisim.scenario { campaign.start = operator, operator-actions = [{ at = 2h, action = start }] }", true, false)]
    public void A_campaign_waits_for_the_operator_only_when_told_and_only_the_console_can_start_it_when_nothing_is_scripted(string text, bool byOperator, bool waits)
    {
        var scenario = ScenarioSettings.Read(ScenarioReader.Load(text, "my.conf", []));
        Assert.Equal((byOperator, waits), (scenario.StartByOperator, scenario.WaitsForOperator));
    }

    [Theory]
    [InlineData("1160us", 1160)]
    [InlineData("1.5ms", 1500)]
    [InlineData("2s", 2_000_000)]
    [InlineData("0.25 h", 900_000_000)]
    public void A_duration_takes_microseconds_and_decimals(string text, long micros)
    {
        var scenario = ScenarioSettings.Read(ScenarioReader.Load($"amisim.scenario.network.mac {{ enabled = on, unit-backoff = {text} }}", "my.conf", []));
        Assert.Equal(TimeSpan.FromMicroseconds(micros), scenario.Radio.Mac!.UnitBackoff);
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

public sealed class PartitionChoiceTests
{
    [Theory]
    [InlineData("auto", 1, true)]
    [InlineData("3", 3, false)]
    [InlineData(" auto ", 1, true)]
    public void The_kernel_reads_a_partition_count_or_auto(string value, int partitions, bool auto)
    {
        var settings = AmiSim.Kernel.KernelSettings.FromConfig(Akka.Configuration.ConfigurationFactory.ParseString($"partitions = \"{value}\""));
        Assert.Equal((partitions, auto), (settings.Partitions, settings.AutoPartitions));
    }

    [Fact]
    public void A_partition_count_that_is_neither_a_number_nor_auto_is_refused_by_name()
    {
        var error = Assert.Throws<Akka.Configuration.ConfigurationException>(() =>
            AmiSim.Kernel.KernelSettings.FromConfig(Akka.Configuration.ConfigurationFactory.ParseString("partitions = many")));
        Assert.Contains("amisim.kernel.partitions: expected auto, 0 (one a core) or a count, got 'many'", error.Message);
    }

    [Theory]
    [InlineData(10_000, 10, 2, 1)] // small fleets: one partition (fleet-10k is slower on five)
    [InlineData(49_999, 20, 2, 1)]
    [InlineData(100_000, 20, 2, 5)] // the campaign's and two collector partitions a core
    [InlineData(1_000_000, 200, 8, 17)]
    [InlineData(60_000, 3, 8, 4)] // at most one a collector
    public void Auto_gives_large_fleets_two_collector_partitions_a_core(int meters, int collectors, int cores, int partitions) =>
        Assert.Equal(partitions, ScenarioAssembly.PartitionsFor(meters, collectors, cores));

    [Fact]
    public void Auto_is_resolved_from_the_scenario_s_fleet()
    {
        var auto = new AmiSim.Kernel.KernelSettings { Partitions = 1, AutoPartitions = true };
        var small = ScenarioSettings.Read(ScenarioReader.Load("amisim.scenario.fleet { meters = 20, collectors = 2 }", "my.conf", []));
        var one = ScenarioAssembly.Kernel(small, small.BuildTopology(), auto, null);
        Assert.Equal((1, false), (one.Partitions, one.AutoPartitions));

        var large = ScenarioSettings.Read(ScenarioReader.Load("amisim.scenario.fleet { meters = 60000, collectors = 3 }", "my.conf", []));
        var kernel = ScenarioAssembly.Kernel(large, large.BuildTopology(), auto, null);
        Assert.True(kernel.Partitions > 1);
        Assert.Equal(ScenarioAssembly.PartitionsFor(60_000, 3, Environment.ProcessorCount), kernel.Partitions);
    }
}
