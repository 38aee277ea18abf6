using Akka.Actor;
using Akka.Cluster;
using Akka.Configuration;
using AmiSim.Kernel.Synthetic;
using Xunit;
using Xunit.Abstractions;
using static AmiSim.Kernel.KernelProtocol;

namespace AmiSim.Kernel.Tests;

/// <summary>
/// The kernel across Akka.Cluster nodes: three actor systems in this process, joined over loopback
/// TCP, one partition each, the window coordinator on the first; every kernel message between them
/// is serialized (Hyperion) and crosses a real socket.
/// </summary>
public sealed class ClusterKernelTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly SyntheticTrafficOptions Options = new() { Lps = 3_000, TokensPerLp = 3, DirectChance = 0.05 };
    private static readonly SimTime Until = SimTime.FromSeconds(0.6);
    private readonly List<ActorSystem> _nodes = [];

    private static Config NodeConfig => ConfigurationFactory.ParseString("""
        akka.loglevel = WARNING
        akka.actor.provider = cluster
        akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0 }
        akka.cluster.min-nr-of-members = 1
        akka.cluster.log-info = off
        """).WithFallback(KernelSerialization.Config);

    public async Task InitializeAsync()
    {
        for (var i = 0; i < 3; i++) _nodes.Add(ActorSystem.Create("amisim", NodeConfig));
        var seed = Cluster.Get(_nodes[0]).SelfAddress;
        foreach (var node in _nodes) await Cluster.Get(node).JoinAsync(seed);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (_nodes.Any(n => Cluster.Get(n).State.Members.Count(m => m.Status == MemberStatus.Up) < 3))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("the three nodes did not all come up");
            await Task.Delay(100);
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var node in _nodes) await node.Terminate();
    }

    [Fact]
    public async Task Three_nodes_give_the_digest_of_one_process()
    {
        var settings = new KernelSettings { Lookahead = TimeSpan.FromMilliseconds(20), Seed = 11, Partitions = 3 };

        var (models, partitions) = await StartPartitionsAsync(settings);
        Assert.All(partitions.Skip(1), p => Assert.False(p.Path.Address.Equals(Cluster.Get(_nodes[0]).SelfAddress)));
        var clustered = Simulation.Across(_nodes[0], settings, partitions);
        models[0].Seed(clustered);
        var run = await clustered.RunAsync(Until);

        var (local, single) = await RunAloneAsync(settings, Until);
        Assert.Equal(local.EventsHandled, run.EventsHandled);
        Assert.True(run.EventsHandled > 20_000, $"the model should be busy, handled {run.EventsHandled}");
        AssertDigestsOfOneProcess(single, models);
        output.WriteLine($"{run.EventsHandled:N0} events in {run.Windows:N0} windows on 3 nodes, {run.Wall.TotalSeconds:F1} s");
    }

    [Fact]
    public async Task A_node_that_leaves_mid_run_has_its_partition_rebuilt_and_the_digest_is_that_of_one_process()
    {
        var settings = new KernelSettings { Lookahead = TimeSpan.FromMilliseconds(20), Seed = 5, Partitions = 3, HandOver = true, ProgressInterval = TimeSpan.FromMilliseconds(100) };
        var until = SimTime.FromSeconds(4);
        var (models, partitions) = await StartPartitionsAsync(settings);
        var rehosted = new List<int>();
        var clustered = Simulation.Across(_nodes[0], settings, partitions, rehost: OnSecondNode(settings, models, rehosted.Add));
        models[0].Seed(clustered);

        // The third node leaves once a third of the run's events are handled.
        var leaving = new TaskCompletionSource<long>();
        Action<KernelProgress> onProgress = progress =>
        {
            if (progress.Time > SimTime.FromSeconds(1.2)) leaving.TrySetResult(progress.EventsHandled);
        };
        var watcher = _nodes[0].ActorOf(Props.Create(() => new ProgressWatcher(onProgress)));
        _nodes[0].EventStream.Subscribe(watcher, typeof(KernelProgress));
        var running = clustered.RunAsync(until);
        var handledBeforeLeave = await leaving.Task.WaitAsync(TimeSpan.FromSeconds(60));
        await Cluster.Get(_nodes[2]).LeaveAsync().WaitAsync(TimeSpan.FromSeconds(30));
        var run = await running.WaitAsync(TimeSpan.FromSeconds(120));

        var (local, single) = await RunAloneAsync(settings with { HandOver = false }, until);
        output.WriteLine($"left after {handledBeforeLeave:N0} of {run.EventsHandled:N0} events; rebuilt: {string.Join(", ", rehosted)}");
        Assert.Equal([2], rehosted);
        Assert.InRange(handledBeforeLeave, 1, run.EventsHandled - 1);
        Assert.Equal(RunEnd.TimeLimit, run.Reason);
        // Replayed events are not counted twice, and every LP ends where it ends in one process.
        Assert.Equal(local.EventsHandled, run.EventsHandled);
        AssertDigestsOfOneProcess(single, models, rebuiltOnSecondNode: 2);
    }

    /// <param name="queryFirst">
    /// true: a query between the runs waits for the catch-up and sees the LPs as they were; false: the
    /// next run starts at once and takes the rebuild (or the catch-up) over.
    /// </param>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_node_that_leaves_between_runs_has_its_partition_caught_up_before_queries_are_answered(bool queryFirst)
    {
        var settings = new KernelSettings { Lookahead = TimeSpan.FromMilliseconds(20), Seed = 7, Partitions = 3, HandOver = true };
        var (first, until) = (SimTime.FromSeconds(1), SimTime.FromSeconds(2));
        var (models, partitions) = await StartPartitionsAsync(settings);
        var rehosted = new TaskCompletionSource<int>();
        var clustered = Simulation.Across(_nodes[0], settings, partitions, rehost: OnSecondNode(settings, models, index => rehosted.TrySetResult(index)));
        models[0].Seed(clustered);
        var firstRun = await clustered.RunAsync(first);

        // The kernel is idle: the third node leaves, and its partition is rebuilt at once, not when a run starts.
        await Cluster.Get(_nodes[2]).LeaveAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(2, await rehosted.Task.WaitAsync(TimeSpan.FromSeconds(60)));
        if (queryFirst) await QueryCaughtUpAsync(clustered, models[1], settings, first);

        // And the run goes on from there to the digest and event count of one process.
        var secondRun = await clustered.RunAsync(until);
        var (local, single) = await RunAloneAsync(settings with { HandOver = false }, until);
        Assert.Equal(local.EventsHandled, firstRun.EventsHandled + secondRun.EventsHandled);
        AssertDigestsOfOneProcess(single, models, rebuiltOnSecondNode: 2);
    }

    /// <summary>A query waits until partition 2's successor (on the second node) has replayed to where its predecessor stopped: its LPs are as they were at <paramref name="stoppedAt"/>.</summary>
    private async Task QueryCaughtUpAsync(Simulation clustered, SyntheticTraffic successorModel, KernelSettings settings, SimTime stoppedAt)
    {
        var onPartition2 = Enumerable.Range(0, Options.Lps).Where(i => ModuloPlacement.Instance.PartitionOf(SyntheticTraffic.LpOf(i), 3) == 2).ToList();
        Assert.Equal(Cluster.Get(_nodes[1]).SelfAddress, (await clustered.LpActorAsync(SyntheticTraffic.LpOf(onPartition2[0]))).Path.Address);
        var (_, alone) = await RunAloneAsync(settings with { HandOver = false }, stoppedAt);
        Assert.Equal(onPartition2.Select(i => alone.Digests[i]), onPartition2.Select(i => successorModel.Digests[i]));
    }

    /// <summary>A rehost that starts the lost partition's successor on the second node, with that node's instance of the model, and tells <paramref name="rehosted"/>.</summary>
    private Func<int, Task<IActorRef>> OnSecondNode(KernelSettings settings, List<SyntheticTraffic> models, Action<int> rehosted) => async index =>
    {
        rehosted(index);
        Simulation.StartPartition(_nodes[1], index, settings, models[1]);
        return await SeenFromFirstNodeAsync(1, index); // over the wire, as any partition on another node
    };

    /// <summary>
    /// Every LP, read from the model instance of the node that ran it (partition i on node i, except
    /// <paramref name="rebuiltOnSecondNode"/>, whose successor ran on the second node), ends as in one process.
    /// </summary>
    private static void AssertDigestsOfOneProcess(SyntheticTraffic single, List<SyntheticTraffic> models, int rebuiltOnSecondNode = -1)
    {
        var digests = new ulong[Options.Lps];
        for (var lp = 0; lp < Options.Lps; lp++)
        {
            var partition = ModuloPlacement.Instance.PartitionOf(SyntheticTraffic.LpOf(lp), 3);
            digests[lp] = models[partition == rebuiltOnSecondNode ? 1 : partition].Digests[lp];
        }
        Assert.All(models, m => Assert.All(m.OrderViolations, v => Assert.Equal(0, v)));
        Assert.Equal(single.Digests, digests);
    }

    /// <summary>Each node hosts one partition with its own instance of the model; the first node sees the others' as remote references.</summary>
    private async Task<(List<SyntheticTraffic> Models, List<IActorRef> Partitions)> StartPartitionsAsync(KernelSettings settings)
    {
        var models = _nodes.Select(_ => new SyntheticTraffic(Options)).ToList();
        var partitions = new List<IActorRef>();
        for (var i = 0; i < 3; i++)
        {
            var started = Simulation.StartPartition(_nodes[i], i, settings, models[i]);
            partitions.Add(i == 0 ? started : await SeenFromFirstNodeAsync(i, i));
        }
        return (models, partitions);
    }

    /// <summary>Partition <paramref name="index"/> on node <paramref name="node"/>, as the first node's remote reference.</summary>
    private Task<IActorRef> SeenFromFirstNodeAsync(int node, int index) =>
        _nodes[0].ActorSelection(new RootActorPath(Cluster.Get(_nodes[node]).SelfAddress) / "user" / Simulation.PartitionName("sim", index))
            .ResolveOne(TimeSpan.FromSeconds(10));

    /// <summary>The same model run in one process, one partition, for comparison.</summary>
    private static async Task<(RunCompleted Run, SyntheticTraffic Model)> RunAloneAsync(KernelSettings settings, SimTime until)
    {
        var single = new SyntheticTraffic(Options);
        var alone = ActorSystem.Create("single", ConfigurationFactory.ParseString("akka.loglevel = WARNING"));
        try
        {
            var sim = Simulation.Create(alone, settings with { Partitions = 1 }, single);
            single.Seed(sim);
            return (await sim.RunAsync(until), single);
        }
        finally
        {
            await alone.Terminate();
        }
    }

    private sealed class ProgressWatcher : ReceiveActor
    {
        public ProgressWatcher(Action<KernelProgress> onProgress) => Receive<KernelProgress>(onProgress);
    }

    [Fact]
    public void Events_crossing_nodes_are_binary_and_their_size_is_known()
    {
        var node = _nodes[0];
        var events = Enumerable.Range(0, 1000)
            .Select(i => new SimEvent(new SimTime(1_000_000 + i), SyntheticTraffic.LpOf(i), i, SyntheticTraffic.LpOf(i + 1), new Token(i, i % 4, i % 9)))
            .ToArray();
        var message = new RemoteEvents(7, 1, events);
        var serializer = node.Serialization.FindSerializerFor(message);
        Assert.Equal("WireSerializer", serializer.GetType().Name);
        var bytes = serializer.ToBinary(message);
        var back = Assert.IsType<RemoteEvents>(node.Serialization.Deserialize(bytes, serializer.Identifier, typeof(RemoteEvents)));
        Assert.Equal(events, back.Events);
        output.WriteLine($"{bytes.Length / (double)events.Length:F1} bytes per cross-node event (a token payload)");
        Assert.InRange(bytes.Length / events.Length, 20, 200);
    }
}
