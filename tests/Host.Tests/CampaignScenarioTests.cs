using AmiSim.HeadEnd.Campaign;
using AmiSim.Meter;
using Xunit;

namespace AmiSim.Host.Tests;

/// <summary>The use case end to end on small fleets: program, network, meters, campaign, MDM.</summary>
public sealed class CampaignScenarioTests
{
    [Theory]
    [InlineData(Distribution.Multicast)]
    [InlineData(Distribution.Unicast)]
    public async Task Every_targeted_meter_ends_on_the_new_version_and_the_MDM_agrees(Distribution distribution)
    {
        await using var run = new CampaignRun(60, 2, new CampaignSettings { Distribution = distribution, CanaryMeters = 6, MaxAttempts = 6 });

        await run.RunAsync();

        var summary = await run.SummaryAsync();
        var outcomes = await run.OutcomesAsync();
        Assert.Equal("completed", summary.Status);
        Assert.All(outcomes, o => Assert.Equal(MeterPhase.Succeeded, o.Phase));
        Assert.Equal(60, outcomes.Count);
        foreach (var meter in run.Topology.Meters)
            Assert.Equal(CampaignRun.Target, (await run.BoardAsync(meter.Meter)).Firmware);
        var mdm = await run.MdmAsync();
        Assert.All(mdm, m => Assert.Equal(("2.0", "FW-2026-02"), (m.Firmware, m.ProgramId)));
    }

    [Fact]
    public async Task A_bricking_program_is_stopped_by_the_error_threshold_at_the_canary_wave()
    {
        await using var run = new CampaignRun(80, 2, new CampaignSettings { CanaryMeters = 10, ErrorThresholdShare = 0.2, MaxAttempts = 2 },
            new MeterFaultProfile { Brick = 1.0 });

        await run.RunAsync();

        var summary = await run.SummaryAsync();
        var outcomes = await run.OutcomesAsync();
        Assert.Equal("paused", summary.Status);
        Assert.Contains("error threshold", summary.PauseReason);
        Assert.All(outcomes.Where(o => o.Wave == 0), o => Assert.Equal(MeterPhase.TimedOut, o.Phase));
        Assert.All(outcomes.Where(o => o.Wave > 0), o => Assert.Equal(MeterPhase.Pending, o.Phase));
        var untouched = run.Topology.Meters.Where(m => outcomes.Single(o => o.Meter == m.Meter.Value).Wave > 0).Take(5);
        foreach (var meter in untouched) Assert.False((await run.BoardAsync(meter.Meter)).Bricked);
    }
}
