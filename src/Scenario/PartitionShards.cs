using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster.Sharding;
using AmiSim.Kernel;

namespace AmiSim.Scenario;

/// <summary>
/// Kernel partitions as Akka.Cluster.Sharding entities: the shard is the partition (a set of whole
/// collectors with their meshes and meters, chosen by the run's placement from the collector number;
/// partition 0, the head-end's and the MDM's, stays on the run node), the entity is that partition in
/// one run. Every node runs the region; a run places its partitions
/// through it, and sharding keeps them on nodes that are up: when a node leaves, its shards are handed
/// off (their partitions stop), and when one crashes it is downed and its shards freed; the next
/// <see cref="Host"/> for that partition starts it on another node, where the kernel rebuilds it.
/// </summary>
public static class PartitionShards
{
    public const string TypeName = "amisim-partition";

    /// <summary>Starts this node's region (once per node).</summary>
    public static IActorRef StartRegion(ActorSystem system) =>
        // No passivation: after its first message an entity hears nothing through sharding (the kernel talks
        // to its partition directly), and an idle-timeout stop would look like a lost partition.
        ClusterSharding.Get(system).Start(TypeName, Props.Create<PartitionEntity>(), ClusterShardingSettings.Create(system).WithPassivateIdleAfter(TimeSpan.Zero),
            new Extractor(), new FewestPartitions(), PartitionEntity.Stop.Instance);

    public static IActorRef Region(ActorSystem system) => ClusterSharding.Get(system).ShardRegion(TypeName);

    /// <summary>Host partition <paramref name="Index"/> of run <paramref name="RunId"/> (answered with <see cref="Hosted"/>); it stops with <paramref name="Run"/>.</summary>
    public sealed record Host(string RunId, int Index, RunBlueprint Blueprint, IActorRef Run);

    public sealed record Hosted(int Index, IActorRef Partition);

    private sealed class Extractor : IMessageExtractor
    {
        public string EntityId(object message) => message is Host host ? $"{host.RunId}-{host.Index}" : null!;

        public object EntityMessage(object message) => message;

        public string ShardId(object message) => message is Host host ? host.Index.ToString(System.Globalization.CultureInfo.InvariantCulture) : null!;

        public string ShardId(string entityId, object? message = null) => entityId[(entityId.LastIndexOf('-') + 1)..];
    }

    /// <summary>
    /// A new partition goes to the region with the fewest, counting partition 0 on the node that asks
    /// (the run's own); partitions are never moved while they run (a move costs a replay).
    /// </summary>
    private sealed class FewestPartitions : IShardAllocationStrategy
    {
        public Task<IActorRef> AllocateShard(IActorRef requester, string shardId, IImmutableDictionary<IActorRef, IImmutableList<string>> currentShardAllocations) =>
            Task.FromResult(currentShardAllocations
                .OrderBy(region => region.Value.Count + (region.Key.Path.Address.Equals(requester.Path.Address) ? 1 : 0))
                .ThenBy(region => region.Key.Path.ToString(), StringComparer.Ordinal)
                .First().Key);

        public Task<IImmutableSet<string>> Rebalance(IImmutableDictionary<IActorRef, IImmutableList<string>> currentShardAllocations, IImmutableSet<string> rebalanceInProgress) =>
            Task.FromResult<IImmutableSet<string>>(ImmutableHashSet<string>.Empty);
    }
}

/// <summary>
/// One partition of one run on this node: it builds the run's model from the blueprint (verifying the
/// package as the head-end did), starts the kernel partition as its child, and stops with the run or
/// when sharding hands its shard off.
/// </summary>
public sealed class PartitionEntity : ReceiveActor
{
    private IActorRef? _partition;

    public PartitionEntity()
    {
        Receive<PartitionShards.Host>(host =>
        {
            try
            {
                if (_partition is null)
                {
                    var model = ScenarioAssembly.ModelFor(host.Blueprint);
                    _partition = Context.ActorOf(Simulation.PartitionProps(Context.System, host.Index, host.Blueprint.Kernel, model, model),
                        Simulation.PartitionName("sim", host.Index));
                    Context.Watch(host.Run);
                    Context.Watch(_partition);
                }
                Sender.Tell(new PartitionShards.Hosted(host.Index, _partition));
            }
            catch (Exception error)
            {
                Sender.Tell(new Status.Failure(error));
            }
        });
        Receive<Stop>(_ => Context.Stop(Self));
        Receive<Terminated>(_ => Context.Stop(Self)); // the run ended (or its node went), or the partition failed
    }

    /// <summary>What sharding sends an entity whose shard it hands off.</summary>
    public sealed class Stop
    {
        public static readonly Stop Instance = new();

        private Stop() { }
    }
}
