using Akka.Actor;
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
/// Partitions spread over cluster nodes, partition i on node i modulo the node count (so the first
/// node, the one running the campaign, holds partition 0). Other nodes host theirs through the
/// <see cref="PartitionHost"/> each runs; the kernel then talks to them over Akka.Remote. A partition
/// whose node is lost is started again on the node hosting the fewest partitions that answers.
/// </summary>
public sealed class ClusterLayout(IReadOnlyList<Address> nodes) : IPartitionLayout
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan RehostTimeout = TimeSpan.FromSeconds(15);

    private ActorSystem? _home;
    private SimulationModel? _localModel;
    private RunBlueprint? _blueprint;
    private Address[] _nodeOf = [];

    public bool CanRehost => nodes.Count > 1;

    public async Task<IReadOnlyList<IActorRef>> StartAsync(ActorSystem home, SimulationModel localModel, RunBlueprint blueprint)
    {
        (_home, _localModel, _blueprint) = (home, localModel, blueprint);
        var count = blueprint.Kernel.Partitions;
        var byNode = Enumerable.Range(0, count).GroupBy(i => i % nodes.Count).ToList();
        var partitions = new IActorRef[count];
        _nodeOf = new Address[count];
        foreach (var group in byNode)
        {
            var node = nodes[group.Key];
            foreach (var i in group) _nodeOf[i] = node;
            if (group.Key == 0)
            {
                foreach (var i in group) partitions[i] = Simulation.StartPartition(home, i, blueprint.Kernel, localModel, localModel);
                continue;
            }
            var hosted = await HostAsync(node, group.ToArray(), Timeout);
            for (var i = 0; i < hosted.Length; i++) partitions[group.ElementAt(i)] = hosted[i];
        }
        return partitions;
    }

    public async Task<IActorRef> RehostAsync(int index)
    {
        if (_home is null || _localModel is null || _blueprint is null) throw new InvalidOperationException("the layout has not started a run");
        var lost = _nodeOf[index];
        var errors = new List<string>();
        foreach (var node in nodes.Where(n => n != lost).OrderBy(n => _nodeOf.Count(m => m == n)).ThenBy(n => nodes.ToList().IndexOf(n)))
        {
            try
            {
                var actor = node == nodes[0]
                    ? Simulation.StartPartition(_home, index, _blueprint.Kernel, _localModel, _localModel)
                    : (await HostAsync(node, [index], RehostTimeout))[0];
                _nodeOf[index] = node;
                return actor;
            }
            catch (Exception error) when (error is InvalidOperationException or AskTimeoutException or ActorNotFoundException or TaskCanceledException)
            {
                errors.Add($"{node}: {error.Message}"); // that node is going too: try the next
            }
        }
        throw new InvalidOperationException($"no node could host partition {index}: {string.Join("; ", errors)}");
    }

    private async Task<IActorRef[]> HostAsync(Address node, int[] indices, TimeSpan timeout)
    {
        var remote = _blueprint! with { Kernel = _blueprint.Kernel with { Trace = null } }; // the trace file is this node's
        var host = _home!.ActorSelection(new RootActorPath(node) / "user" / PartitionHost.Name);
        var answer = await host.Ask<object>(new PartitionHost.Host(remote, indices), timeout);
        if (answer is not PartitionHost.Hosted)
            throw new InvalidOperationException($"node {node} could not host partitions {string.Join(", ", indices)}: {answer}");
        var actors = new IActorRef[indices.Length];
        for (var i = 0; i < indices.Length; i++)
            actors[i] = await _home.ActorSelection(new RootActorPath(node) / "user" / Simulation.PartitionName("sim", indices[i])).ResolveOne(timeout);
        return actors;
    }
}

/// <summary>
/// The actor through which a cluster node hosts partitions of a run started elsewhere: it builds the
/// run's model from the blueprint (verifying the package as the head-end did) and starts the partitions.
/// </summary>
public sealed class PartitionHost : ReceiveActor
{
    public const string Name = "amisim-partitions";

    public PartitionHost()
    {
        Receive<Host>(host =>
        {
            try
            {
                var model = ScenarioAssembly.ModelFor(host.Blueprint);
                foreach (var index in host.Partitions) Simulation.StartPartition(Context.System, index, host.Blueprint.Kernel, model, model);
                Sender.Tell(new Hosted(host.Partitions));
            }
            catch (Exception error)
            {
                Sender.Tell(new Status.Failure(error));
            }
        });
    }

    public sealed record Host(RunBlueprint Blueprint, int[] Partitions);

    public sealed record Hosted(int[] Partitions);
}
