using Akka.Actor;
using Akka.Cluster.Sharding;
using AmiSim.HeadEnd.Programs;
using AmiSim.Kernel;

namespace AmiSim.Scenario;

/// <summary>
/// What a node needs to host partitions of a run: the scenario, the program package exactly as the
/// head-end loaded it (the node checks its signature again), the vendor key the meters trust, and the
/// kernel's settings. Every node builds the same network from it (the topology comes from the seed).
/// </summary>
public sealed record RunBlueprint(ScenarioSettings Scenario, string PackageFile, byte[] TrustedKey, KernelSettings Kernel);

/// <summary>Where a run's kernel partitions live.</summary>
public interface IPartitionLayout
{
    /// <summary>
    /// Starts every partition of <paramref name="blueprint"/>'s kernel, those of this node with
    /// <paramref name="localModel"/>, and returns references to all of them in partition order.
    /// Partition 0 (the head-end's and the MDM's) must be on <paramref name="home"/>.
    /// </summary>
    Task<IReadOnlyList<IActorRef>> StartAsync(ActorSystem home, SimulationModel localModel, RunBlueprint blueprint);

    /// <summary>
    /// Whether a partition lost with its node can be started again on another one (the kernel then
    /// rebuilds it: <see cref="KernelSettings.HandOver"/>).
    /// </summary>
    bool CanRehost => false;

    /// <summary>Starts partition <paramref name="index"/> again on a node that is still up, after <see cref="StartAsync"/>.</summary>
    Task<IActorRef> RehostAsync(int index) => throw new NotSupportedException("this layout keeps every partition in one process");

    /// <summary>The run is over: partitions hosted elsewhere may stop.</summary>
    void Release() { }
}

/// <summary>Every partition in this process (the default).</summary>
public sealed class LocalLayout : IPartitionLayout
{
    public static readonly LocalLayout Instance = new();

    public Task<IReadOnlyList<IActorRef>> StartAsync(ActorSystem home, SimulationModel localModel, RunBlueprint blueprint) =>
        Task.FromResult<IReadOnlyList<IActorRef>>(Enumerable.Range(0, blueprint.Kernel.Partitions)
            .Select(i => Simulation.StartPartition(home, i, blueprint.Kernel, localModel, localModel)).ToList());
}

/// <summary>
/// Partitions spread over cluster nodes: partition 0 (the head-end's and the MDM's) on this node, the
/// others as entities of the cluster-sharded type <see cref="PartitionShards"/>, which places each on
/// the node with the fewest partitions. A partition whose node is lost is hosted again through the
/// same shard region, which puts it on a node still up (the kernel then rebuilds it).
/// </summary>
public sealed class ClusterLayout(IReadOnlyList<Address> nodes) : IPartitionLayout
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    /// <summary>Hosting a partition is asked in attempts of this long, up to <see cref="HostAttempts"/> (two minutes in all).</summary>
    private static readonly TimeSpan HostAttempt = TimeSpan.FromSeconds(10);
    private const int HostAttempts = 12;

    private ActorSystem? _home;
    private RunBlueprint? _blueprint;
    private IActorRef _run = ActorRefs.Nobody;
    private readonly string _runId = Guid.NewGuid().ToString("N");

    public bool CanRehost => nodes.Count > 1;

    public async Task<IReadOnlyList<IActorRef>> StartAsync(ActorSystem home, SimulationModel localModel, RunBlueprint blueprint)
    {
        (_home, _blueprint) = (home, blueprint);
        // Hosted partitions live as long as this actor (the run): they stop when it stops or its node goes.
        _run = home.ActorOf(Props.Empty, $"run-{_runId}");
        var partitions = new IActorRef[blueprint.Kernel.Partitions];
        partitions[0] = Simulation.StartPartition(home, 0, blueprint.Kernel, localModel, localModel);
        await WaitForRegionsAsync(home);
        var hosted = Enumerable.Range(1, partitions.Length - 1).Select(HostAsync).ToList();
        for (var i = 1; i < partitions.Length; i++) partitions[i] = await hosted[i - 1];
        return partitions;
    }

    public Task<IActorRef> RehostAsync(int index) => HostAsync(index);

    /// <summary>Waits until sharding knows every node's region, so that the first placements spread over all of them.</summary>
    private async Task WaitForRegionsAsync(ActorSystem home)
    {
        var region = PartitionShards.Region(home);
        for (var attempt = 0; ; attempt++)
        {
            var regions = await region.Ask<CurrentRegions>(GetCurrentRegions.Instance, Timeout);
            if (regions.Regions.Count >= nodes.Count) return;
            if (attempt == 300)
                throw new TimeoutException($"sharding knows {regions.Regions.Count} of {nodes.Count} nodes' partition regions after 60 s: {string.Join(", ", regions.Regions)}");
            await Task.Delay(200);
        }
    }

    public void Release() => _run.Tell(PoisonPill.Instance);

    private async Task<IActorRef> HostAsync(int index)
    {
        if (_home is null || _blueprint is null) throw new InvalidOperationException("the layout has not started a run");
        var remote = _blueprint with { Kernel = _blueprint.Kernel with { Trace = null } }; // the trace file is this node's
        var region = PartitionShards.Region(_home);
        for (var attempt = 1; ; attempt++)
        {
            object answer;
            try
            {
                answer = await region.Ask<object>(new PartitionShards.Host(_runId, index, remote, _run), HostAttempt);
            }
            catch (AskTimeoutException) when (attempt < HostAttempts)
            {
                // Just after a node is lost, this node's region may still send the shard to the lost node's
                // region (until it learns that region is gone): hosting is idempotent, so ask again.
                continue;
            }
            return answer is PartitionShards.Hosted hosted
                ? hosted.Partition
                : throw new InvalidOperationException($"partition {index} could not be hosted: {answer}");
        }
    }
}
