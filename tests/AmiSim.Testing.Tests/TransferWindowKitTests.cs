using AmiSim.Protocol.C1219;
using Xunit;

namespace AmiSim.Testing.Tests;

/// <summary>Transfers only inside a nightly maintenance window, on the kit with the scenario defaults.</summary>
public sealed class TransferWindowKitTests : AmiScenarioTestKit
{
    [Fact]
    public async Task Transfers_wait_for_the_nightly_maintenance_window()
    {
        var ami = Start(Scenarios.Clean("fleet.meters = 40", "campaign.canary-meters = 4", "campaign.transfer-window = \"02:00-04:00\""));

        await ami.RunUntilAsync(TimeSpan.FromHours(2));
        foreach (var meter in ami.Topology.Meters)
            Assert.Equal(ImageTransferStatus.NotInitiated, (await ami.ReadImageTransferAsync(meter.Meter)).Status);

        await ami.RunUntilQuietAsync();
        await ami.AllTargetedMetersRunTheNewFirmwareAsync();
        await ami.MdmAgreesWithTheMetersAsync();
        Assert.All(await ami.OutcomesAsync(), o => Assert.True(o.FinishedMicros > TimeSpan.FromHours(2).Ticks / 10, $"meter {o.Meter} finished before the window opened"));
    }
}
