using AmiSim.HeadEnd.Campaign;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Akka.Configuration;
using AmiSim.HeadEnd.Persistence;
using AmiSim.Host.Clustering;
using AmiSim.Host.Run;
using AmiSim.Kernel;
using AmiSim.Scenario;
using Xunit;

namespace AmiSim.Host.Tests;

/// <summary>
/// A scenario run spread over three Akka.Cluster nodes in this process (loopback TCP, Hyperion on the
/// wire): each collector's mesh and meters on one node, the campaign and MDM on the first, only
/// backhaul frames and kernel coordination between them; same result as one process.
/// </summary>
[Collection("runs")]
public sealed class ClusterRunTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("amisim-cluster-").FullName;
    private readonly List<ActorSystem> _nodes = [];

    private static ScenarioSettings Scenario => ScenarioOf(meters: 240, programSize: 16384);

    private static ScenarioSettings ScenarioOf(int meters, int programSize) => ScenarioSettings.Read(ScenarioReader.Load(HoconLoader.Embedded("scenarios/small.conf"), "small",
        [$"amisim.scenario.fleet.meters = {meters}", "amisim.scenario.fleet.collectors = 3", $"amisim.scenario.program.size = {programSize}",
         "amisim.scenario.campaign.canary-meters = 6"]));

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "cluster"));
        var defaults = ConfigurationFactory.ParseString("akka.loglevel = WARNING").WithFallback(HoconLoader.Load([]));
        // Only the first node runs the head-end, so only it has a journal; the others join it.
        _nodes.Add(ClusterNode.Start("127.0.0.1", 0, [], defaults.WithFallback(JournalConfig.Sqlite(Path.Combine(_dir, "cluster", "headend.db")))));
        var seed = Cluster.Get(_nodes[0]).SelfAddress.ToString();
        for (var i = 1; i < 3; i++) _nodes.Add(ClusterNode.Start("127.0.0.1", 0, [seed], defaults));
        await ClusterNode.WaitForMembersAsync(_nodes[0], 3, TimeSpan.FromSeconds(30), CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        foreach (var node in _nodes) await node.Terminate();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Three_nodes_give_the_result_digest_of_one_process()
    {
        var single = Path.Combine(_dir, "single");
        Directory.CreateDirectory(single);
        var alone = await new ScenarioRun(Scenario, single).RunAsync(HoconLoader.Load(["amisim.kernel.partitions = 1"]));

        var addresses = _nodes.Select(n => Cluster.Get(n).SelfAddress).ToList();
        var clustered = await new ScenarioRun(Scenario, Path.Combine(_dir, "cluster"), (_nodes[0], new ClusterLayout(addresses)))
            .RunAsync(HoconLoader.Load(["amisim.kernel.partitions = 3"]));

        // Partitions 1 and 2 (collectors 1 and 2 with their meshes) really ran on the other nodes, one
        // each: sharding placed the shards there, partition 0 stayed with the head-end.
        var shards = new List<string>[3];
        for (var i = 0; i < 3; i++)
        {
            var state = await PartitionShards.Region(_nodes[i]).Ask<CurrentShardRegionState>(GetShardRegionState.Instance, TimeSpan.FromSeconds(5));
            shards[i] = state.Shards.Select(s => s.ShardId).ToList();
        }
        Assert.Empty(shards[0]);
        Assert.Single(shards[1]);
        Assert.Single(shards[2]);
        Assert.Equal(["1", "2"], shards[1].Concat(shards[2]).Order());
        Assert.Equal(CampaignStatus.Completed, clustered.Summary.Status);
        Assert.True(clustered.Outcomes.Count(o => o.Phase == AmiSim.HeadEnd.Campaign.MeterPhase.Succeeded) > 200);
        Assert.Equal(alone.Events, clustered.Events);
        Assert.Equal(RunReport.Build(alone)["resultDigest"]!.GetValue<string>(), RunReport.Build(clustered)["resultDigest"]!.GetValue<string>());
    }

    /// <summary>
    /// A hosted partition stopped again and again mid-run (as a node's leaving or sharding's hand-off
    /// stops it) is rebuilt each time, replaying further each time, and the run ends as in one process.
    /// Stops go on until the run has ended, so some come between the kernel's steps or while the run
    /// node reads the report: the partition is then rebuilt at once and the queries wait for it. Each
    /// stop waits until the last one's partition is rebuilt: the kernel rebuilds one at a time, and a
    /// second loss during a rebuild ends the run (README, "A run across a cluster").
    /// </summary>
    [Fact]
    public async Task A_partition_lost_again_and_again_is_rebuilt_each_time_and_the_result_is_that_of_one_process()
    {
        var scenario = ScenarioOf(meters: 3000, programSize: 65536);
        var single = Path.Combine(_dir, "single");
        Directory.CreateDirectory(single);
        var alone = await new ScenarioRun(scenario, single).RunAsync(HoconLoader.Load(["amisim.kernel.partitions = 1"]));

        var addresses = _nodes.Select(n => Cluster.Get(n).SelfAddress).ToList();
        var run = new ScenarioRun(scenario, Path.Combine(_dir, "cluster"), (_nodes[0], new ClusterLayout(addresses)))
            .RunAsync(HoconLoader.Load(["amisim.kernel.partitions = 3"]));
        var rebuilds = new SemaphoreSlim(0);
        var rebuilt = 0;
        Action onRebuilt = () =>
        {
            Interlocked.Increment(ref rebuilt);
            rebuilds.Release();
        };
        _nodes[0].EventStream.Subscribe(_nodes[0].ActorOf(Props.Create(() => new OnEvent(onRebuilt))), typeof(PartitionRebuilt));
        var stops = 0;
        // Three losses at most: a rebuilt partition replays its predecessor's work, and on a slow machine
        // a loss a second after every rebuild would never let the run end.
        const int MostStops = 3;
        while (!run.IsCompleted && stops < MostStops)
        {
            // Wall clock: a second after the last rebuild, stop whichever hosted partition is found first.
            if (stops > 0) await Task.WhenAny(run, rebuilds.WaitAsync());
            await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(1)));
            if (run.IsCompleted) continue;
            foreach (var node in _nodes.Skip(1))
            {
                try
                {
                    var partition = await node.ActorSelection("/system/sharding/amisim-partition/*/*/sim-partition-*").ResolveOne(TimeSpan.FromSeconds(1));
                    partition.Tell(PoisonPill.Instance);
                    stops++;
                    break;
                }
                catch (ActorNotFoundException)
                {
                    // being rebuilt, or on the other node
                }
            }
        }
        var clustered = await run;

        Assert.True(stops >= 2, $"the run should have lost a partition at least twice, lost {stops}");
        Assert.True(rebuilt >= stops - 1, $"every stop but perhaps the last (after the run's end) should have been rebuilt: {stops} stops, {rebuilt} rebuilt");
        Assert.Equal(CampaignStatus.Completed, clustered.Summary.Status);
        Assert.Equal(alone.Events, clustered.Events);
        Assert.Equal(RunReport.Build(alone)["resultDigest"]!.GetValue<string>(), RunReport.Build(clustered)["resultDigest"]!.GetValue<string>());
    }

    /// <summary>Calls back on every message (events it is subscribed to).</summary>
    private sealed class OnEvent : ReceiveActor
    {
        public OnEvent(Action callback) => ReceiveAny(_ => callback());
    }
}
