using AmiSim.HeadEnd.Campaign;
using Xunit;

namespace AmiSim.Testing.Tests;

/// <summary>Unicast distribution, on the kit: every meter reached one by one.</summary>
public sealed class UnicastKitTests : AmiScenarioTestKit
{
    [Fact]
    public async Task A_unicast_campaign_updates_every_targeted_meter_and_the_MDM_agrees()
    {
        var ami = Start(Scenarios.Clean("fleet.meters = 60", "campaign.distribution = unicast"));

        Assert.Equal(CampaignStatus.Completed, (await ami.RunUntilQuietAsync()).Status);
        await ami.AllTargetedMetersRunTheNewFirmwareAsync();
        await ami.MdmAgreesWithTheMetersAsync();
        await ami.NoMeterIsLeftInProgressAsync();
        Assert.All(await ami.OutcomesAsync(), o => Assert.Equal(MeterPhase.Succeeded, o.Phase));
    }
}
