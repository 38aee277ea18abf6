using Akka.TestKit;
using AmiSim.HeadEnd.Campaign;
using AmiSim.HeadEnd.Mdm;
using AmiSim.Scenario;
using Xunit;

namespace AmiSim.Testing.Tests;

/// <summary>The kit's own promises: deterministic stepping, CIM seen once, faults at their time.</summary>
public sealed class KitBehaviourTests : AmiScenarioTestKit
{
    /// <summary>A second, independent system for comparisons (each kit owns one actor system and journal).</summary>
    private sealed class Other : AmiScenarioTestKit
    {
        public (SimulatedAmi Ami, TestProbe Meters, TestProbe Campaign) Begin(ScenarioSettings scenario, int partitions) =>
            (Start(scenario, partitions), MeterProbe(), CampaignProbe());

        public static IReadOnlyList<T> All<T>(TestProbe probe) => Drain<T>(probe);
    }

    [Fact]
    public async Task Stepping_virtual_time_in_any_stride_gives_the_same_observations()
    {
        var scenario = Scenarios.Clean();
        using var once = new Other();
        using var stepped = new Other();
        var a = once.Begin(scenario, partitions: 1);
        var b = stepped.Begin(scenario, partitions: 2);

        var end = await a.Ami.RunUntilQuietAsync();
        while (b.Ami.Now < a.Ami.Now) await b.Ami.RunUntilAsync(b.Ami.Now + TimeSpan.FromMinutes(7)); // odd strides, other partitions

        var meters = Other.All<MeterPhaseObserved>(a.Meters);
        Assert.True(meters.Count > 80 * 4, $"every meter should pass through several phases, saw {meters.Count} changes");
        Assert.Equal(meters, Other.All<MeterPhaseObserved>(b.Meters));
        Assert.Equal(Other.All<CampaignStatusObserved>(a.Campaign), Other.All<CampaignStatusObserved>(b.Campaign));
        Assert.Equal(CampaignStatus.Completed, end.Status);
        Assert.Equal(await a.Ami.OutcomesAsync(), await b.Ami.OutcomesAsync());
    }

    [Fact]
    public async Task A_CIM_probe_sees_every_message_the_head_end_sent_exactly_once()
    {
        var ami = Start(Scenarios.Clean("campaign.mdm-batch-size = 25"));
        var cim = CimProbe();

        await ami.RunUntilQuietAsync();

        var seen = Drain<CimMessageObserved>(cim);
        Assert.True(ami.CimSent.Count >= 4, $"80 meters in batches of 25 make several messages, sent {ami.CimSent.Count}");
        Assert.Equal(ami.CimSent.Select(m => m.MessageId), seen.Select(m => m.MessageId));
        Assert.All(seen, m => Assert.False(m.Duplicate));
        Assert.All(seen, m => Assert.Equal(AmiSim.Protocol.Cim.ReplyResult.OK, m.Result));
        Assert.Equal(ami.CimSent.Select(m => m.Xml), seen.Select(m => m.Xml));
    }

    [Fact]
    public async Task Faults_and_operator_actions_injected_at_a_virtual_time_take_effect_at_that_time()
    {
        var ami = Start(Scenarios.Clean());
        var campaign = CampaignProbe();
        var pauseAt = TimeSpan.FromMinutes(41) + TimeSpan.FromMilliseconds(123);
        var crashAt = TimeSpan.FromHours(1) + TimeSpan.FromSeconds(7.5);
        ami.Operate(pauseAt, OperatorAction.Pause);
        ami.Operate(pauseAt + TimeSpan.FromMinutes(5), OperatorAction.Resume);
        ami.CrashHeadEnd(crashAt, TimeSpan.FromMinutes(20));

        await ami.RunUntilAsync(TimeSpan.FromHours(2));

        var observed = Drain<CampaignStatusObserved>(campaign);
        Assert.Equal(pauseAt, Assert.Single(observed, o => o.Status == CampaignStatus.Paused).At.SinceOrigin);
        Assert.Equal(pauseAt + TimeSpan.FromMinutes(5), observed.First(o => o.At.SinceOrigin > pauseAt && o.Status == CampaignStatus.Running).At.SinceOrigin);
        Assert.Equal(crashAt, Assert.Single(observed, o => o.Status == CampaignStatus.Down).At.SinceOrigin);
        Assert.Contains(observed, o => o.At.SinceOrigin == crashAt + TimeSpan.FromMinutes(20) && o.Status != CampaignStatus.Down);
    }

    [Fact]
    public async Task Looking_at_a_meter_cannot_change_it()
    {
        var ami = Start(Scenarios.Clean());
        var meter = ami.Topology.Meters[0].Meter;
        var error = await Assert.ThrowsAsync<ArgumentException>(() => ami.ReadTablesAsync(meter,
            new AmiSim.Protocol.Psem.FullWriteRequest(AmiSim.Protocol.C1219.Tables.LoadProfileControl, new byte[4], 0)));
        Assert.Contains("only PSEM reads", error.Message);
        Assert.Equal(new AmiSim.Protocol.C1219.FirmwareVersion(1, 0), (await ami.ReadSt1Async(meter)).Firmware); // the factory board of an untouched meter
    }
}
