using Akka.TestKit.Xunit2;
using AmiSim.Kernel;
using AmiSim.Protocol.C1219;
using AmiSim.Protocol.Network;
using CsCheck;
using Xunit;

namespace AmiSim.Meter.Tests;

public sealed class ConfirmationPropertyTests : TestKit
{
    private int _runs;

    [Fact]
    public void Random_outages_and_lost_acknowledgements_never_lose_a_confirmation()
    {
        var activated = 0;
        var outage = Gen.Select(Gen.Int[0, 7200], Gen.Int[60, 6 * 3600], (start, seconds) => (SimTime.FromSeconds(start), TimeSpan.FromSeconds(seconds)));
        Gen.Select(outage.List[0, 3], Gen.Double[0, 0.8], Gen.Long[1, 1000]).Sample(t =>
        {
            var (outages, ackLoss, seed) = t;
            var bed = new MeterTestBed(Sys, 1, setup => setup with { Outages = outages }, seed, name: $"run{Interlocked.Increment(ref _runs)}") { AckLoss = ackLoss };
            var package = MeterTestBed.Firmware(new FirmwareVersion(2, 0));
            bed.ProgramMeter(package);
            // Outages may hide the commands themselves; only runs whose commands got through must confirm.
            bed.Simulation.RunAsync(SimTime.From(TimeSpan.FromDays(5))).GetAwaiter().GetResult();

            var board = bed.BoardAsync(1).GetAwaiter().GetResult();
            var confirmations = bed.Received<ProgramConfirmation>();
            if (board.TransferStatus == ImageTransferStatus.ActivationSuccessful)
            {
                activated++;
                Assert.NotEmpty(confirmations);
                Assert.All(confirmations, c => Assert.Equal((1L, new FirmwareVersion(2, 0)), (c.ConfirmationId, c.Firmware)));
                Assert.Equal(0, bed.NicAsync(1).GetAwaiter().GetResult().UnacknowledgedConfirmations);
            }
            else
            {
                Assert.Empty(confirmations);
            }
        }, iter: 40, threads: 1);
        Assert.True(activated >= 10, $"only {activated} of 40 runs activated: the property says little");
    }
}
