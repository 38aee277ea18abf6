using AmiSim.HeadEnd.Campaign;
using Xunit;
using Xunit.Abstractions;

namespace AmiSim.Testing.Tests;

/// <summary>
/// Multicast with repair, on a cell big enough that initiating its meters takes longer than a step
/// timeout and a flood holds the channel for a while: the image must go by multicast, with unicast
/// only for the few blocks the rounds left missing.
/// </summary>
public sealed class MulticastRepairKitTests(ITestOutputHelper output) : AmiScenarioTestKit
{
    [Fact]
    public async Task The_image_goes_by_multicast_rounds_and_unicast_repairs_only_what_they_left()
    {
        // 200 meters under one collector, 128 blocks (a flood holds the channel for minutes), a 1-minute step timeout, 3 rounds at most per wave.
        var ami = Start(Scenarios.Clean("fleet.meters = 200", "fleet.collectors = 1", "program.size = 65536", "campaign.step-timeout = 1m", "campaign.canary-meters = 10"));

        var summary = await ami.RunUntilQuietAsync();

        var blocks = ami.Program.BlockCount;
        output.WriteLine($"rounds {summary.MulticastRounds}, multicast blocks {summary.MulticastBlocks}, unicast blocks {summary.UnicastBlocks} ({blocks} blocks x 200 meters)");
        Assert.Equal(CampaignStatus.Completed, summary.Status);
        Assert.All(await ami.OutcomesAsync(), o => Assert.Equal(MeterPhase.Succeeded, o.Phase));
        Assert.InRange(summary.MulticastRounds, summary.Waves, summary.Waves * 3);
        // Link losses of 0.1-3 % per hop leave a few blocks per meter after the first round, far fewer after three.
        Assert.True(summary.UnicastBlocks <= 0.02 * blocks * 200, $"{summary.UnicastBlocks} blocks went by unicast repair");
    }
}
