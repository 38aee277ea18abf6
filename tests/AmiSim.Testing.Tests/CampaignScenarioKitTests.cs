using AmiSim.HeadEnd.Campaign;
using AmiSim.Protocol.C1219;
using Xunit;

namespace AmiSim.Testing.Tests;

/// <summary>AmiSim's own rollout rules, written with the kit as a utility would write theirs.</summary>
public sealed class CampaignScenarioKitTests : AmiScenarioTestKit
{
    [Fact]
    public async Task A_clean_multicast_campaign_updates_every_targeted_meter_and_the_MDM_agrees()
    {
        var ami = Start(Scenarios.Clean());

        var summary = await ami.RunUntilQuietAsync();

        Assert.Equal(CampaignStatus.Completed, summary.Status);
        await ami.AllTargetedMetersRunTheNewFirmwareAsync();
        await ami.MdmAgreesWithTheMetersAsync();
        await ami.NoMeterIsLeftInProgressAsync();
        var succeeded = (await ami.OutcomesAsync()).First(o => o.Phase == MeterPhase.Succeeded);
        var transfer = await ami.ReadImageTransferAsync(new(succeeded.Meter));
        Assert.Equal((ImageTransferStatus.ActivationSuccessful, 0u, ami.Program.Version), (transfer.Status, transfer.MissingCount, transfer.ImageVersion));
        var st3 = await ami.ReadSt3Async(new(succeeded.Meter));
        Assert.True(st3.Mode.HasFlag(EndDeviceMode.Metering), $"a meter back from its update meters again, ST3 mode {st3.Mode}");
    }

    [Fact]
    public async Task A_bricking_program_is_stopped_by_the_error_threshold_before_wave_2()
    {
        var ami = Start(AmiSim.Testing.AmiScenario.Embedded("bricking-canary", "fleet.meters = 200", "fleet.collectors = 2", "campaign.canary-meters = 10"));
        var campaign = CampaignProbe();

        var summary = await ami.RunUntilStatusAsync("paused");

        Drain<CampaignStatusObserved>(campaign).PausedBefore(wave: 2);
        Assert.StartsWith("error threshold", summary.PauseReason);
        var outcomes = await ami.OutcomesAsync();
        Assert.All(outcomes.Where(o => o.Wave > 1), o => Assert.Equal(MeterPhase.Pending, o.Phase));
        var untouched = outcomes.First(o => o.Wave > 1);
        Assert.Equal(new FirmwareVersion(1, 0), (await ami.ReadSt1Async(new(untouched.Meter))).Firmware);
    }
}
