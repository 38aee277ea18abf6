using Akka.Actor;
using AmiSim.HeadEnd.Campaign;
using AmiSim.Kernel;
using Xunit;

namespace AmiSim.HeadEnd.Tests;

/// <summary>
/// What stations and the campaign send each other crosses nodes inside the kernel's event messages
/// (Hyperion). The kernel cuts those messages by the payloads' estimated sizes, so the estimates must
/// not fall short of the real bytes.
/// </summary>
public sealed class StationWireTests : IDisposable
{
    private readonly ActorSystem _system = ActorSystem.Create("station-wire", KernelSerialization.Config);

    public void Dispose() => _system.Dispose();

    /// <summary>The bytes <paramref name="payload"/> adds to an event message on the wire, and the message read back.</summary>
    private (int Bytes, object Back) OnTheWire(object payload)
    {
        var (with, back) = Serialize(payload);
        var (without, _) = Serialize("x");
        return (with - without, back.Events[0].Payload);
    }

    private (int Bytes, KernelProtocol.RemoteEvents Back) Serialize(object payload)
    {
        var message = new KernelProtocol.RemoteEvents(1, 1, new[] { new SimEvent(SimTime.FromSeconds(1), StationSetup.LpOf(3), 7, CampaignSetup.Lp, payload) }); // an array, as the kernel sends: a list made by a collection expression here would be a type of this test assembly, which no node takes
        var serializer = _system.Serialization.FindSerializerFor(message);
        var bytes = serializer.ToBinary(message);
        return (bytes.Length, Assert.IsType<KernelProtocol.RemoteEvents>(serializer.FromBinary(bytes, typeof(KernelProtocol.RemoteEvents))));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5_000)]
    public void A_report_takes_no_more_bytes_than_it_estimates(int transitions)
    {
        var report = new StationReport(3, 0, 42, Enumerable.Range(0, transitions)
            .Select(i => new MeterTransition(1_000_000 + i, i % 2 == 0 ? MeterPhase.Transferring : MeterPhase.Failed, i % 2 == 0 ? "" : "activation failed, rolled back to 1.0: flash",
                i % 7, 86_400_000_000L + i, "1.0")).ToList(), 2, new StationCounters(8, 3, 1_536, 77, 0));
        var (bytes, back) = OnTheWire(report);
        Assert.True(bytes <= report.EstimatedBytes, $"{transitions} transitions: {bytes} bytes, estimated {report.EstimatedBytes}");
        var read = Assert.IsType<StationReport>(back);
        Assert.Equal(report.Transitions, read.Transitions);
        Assert.Equal(report.Counters, read.Counters);
    }

    [Fact]
    public void A_restored_plan_takes_no_more_bytes_than_it_estimates()
    {
        var plan = new StationPlan(2, CampaignStatus.Running, 1, Enumerable.Range(0, 5_000).Select(i => (byte)(i % 9)).ToArray(), Enumerable.Range(0, 5_000).Select(i => i % 4).ToArray());
        var (bytes, back) = OnTheWire(plan);
        Assert.True(bytes <= plan.EstimatedBytes, $"{bytes} bytes, estimated {plan.EstimatedBytes}");
        var read = Assert.IsType<StationPlan>(back);
        Assert.Equal(plan.Phases, read.Phases);
        Assert.Equal(plan.Attempts, read.Attempts);
    }
}
