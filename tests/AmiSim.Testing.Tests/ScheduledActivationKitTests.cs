using AmiSim.Protocol.C1219;
using Xunit;

namespace AmiSim.Testing.Tests;

/// <summary>Download now, activate later, on the kit with the scenario defaults: versions switch only at the scheduled time, and nobody times out waiting for it.</summary>
public sealed class ScheduledActivationKitTests : AmiScenarioTestKit
{
    [Fact]
    public async Task Download_now_activate_later_switches_versions_only_at_the_scheduled_time()
    {
        var activateAt = TimeSpan.FromHours(20);
        var ami = Start(Scenarios.Clean("fleet.meters = 30", "fleet.collectors = 1", "campaign.canary-meters = 30", "campaign.activate-at = 20h"));

        await ami.RunUntilAsync(activateAt);
        foreach (var meter in ami.Topology.Meters)
        {
            Assert.Equal(new FirmwareVersion(1, 0), (await ami.ReadSt1Async(meter.Meter)).Firmware);
            Assert.Equal(ImageTransferStatus.ActivationInitiated, (await ami.ReadImageTransferAsync(meter.Meter)).Status);
        }

        await ami.RunUntilQuietAsync();
        await ami.AllTargetedMetersRunTheNewFirmwareAsync();
        await ami.MdmAgreesWithTheMetersAsync();
        Assert.All(await ami.OutcomesAsync(), o => Assert.True(o.FinishedMicros >= activateAt.Ticks / 10 + 20_000_000));
    }
}
