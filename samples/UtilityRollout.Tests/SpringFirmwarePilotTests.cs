using AmiSim.HeadEnd.Campaign;
using AmiSim.Testing;
using Xunit;

namespace UtilityRollout.Tests;

/// <summary>Our rules for the spring firmware pilot, checked against a simulated district before the real rollout.</summary>
public sealed class SpringFirmwarePilotTests : AmiScenarioTestKit
{
    private static readonly string District = Path.Combine(AppContext.BaseDirectory, "our-district.conf");

    [Fact]
    public async Task The_campaign_stops_after_the_canary_for_our_inspection_and_finishes_after_we_resume()
    {
        var ami = Start(AmiScenario.FromFile(District));
        var campaign = CampaignProbe();

        // The canary wave ends, and the head-end waits for us.
        var paused = await ami.RunUntilStatusAsync("paused");
        Assert.Equal("inspection after the canary wave", paused.PauseReason);
        Drain<CampaignStatusObserved>(campaign).PausedBefore(wave: 2);
        await ami.SucceededMetersRunTheNewFirmwareAsync();

        // We look at the canary meters, like what we see, and resume the next morning.
        ami.Operate(ami.Now + TimeSpan.FromHours(12), OperatorAction.Resume);
        var done = await ami.RunUntilQuietAsync();

        Assert.Equal(CampaignStatus.Completed, done.Status);
        await ami.AllTargetedMetersRunTheNewFirmwareAsync();
        await ami.MdmAgreesWithTheMetersAsync();
        await ami.NoMeterIsLeftInProgressAsync();
    }

    [Fact]
    public async Task A_head_end_crash_during_the_transfer_loses_no_meter()
    {
        var ami = Start(AmiScenario.FromFile(District, "campaign.pause-after-canary = off"));
        ami.CrashHeadEnd(TimeSpan.FromHours(1), downtime: TimeSpan.FromMinutes(30));

        await ami.RunUntilQuietAsync();

        await ami.AllTargetedMetersRunTheNewFirmwareAsync();
        await ami.MdmAgreesWithTheMetersAsync();
    }
}
