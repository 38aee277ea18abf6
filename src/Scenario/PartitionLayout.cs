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
/// <see cref="PartitionHost"/> each runs; the kernel then talks to them over Akka.Remote.
/// </summary>
public sealed class ClusterLayout(IReadOnlyList<Address> nodes) : IPartitionLayout
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public async Task<IReadOnlyList<IActorRef>> StartAsync(ActorSystem home, SimulationModel localModel, RunBlueprint blueprint)
    {
        var count = blueprint.Kernel.Partitions;
        var remote = blueprint with { Kernel = blueprint.Kernel with { Trace = null } }; // the trace file is this node's
        var byNode = Enumerable.Range(0, count).GroupBy(i => i % nodes.Count).ToList();
        var partitions = new IActorRef[count];
        foreach (var group in byNode)
        {
            var node = nodes[group.Key];
            if (group.Key == 0)
            {
                foreach (var i in group) partitions[i] = Simulation.StartPartition(home, i, blueprint.Kernel, localModel, localModel);
                continue;
            }
            var host = home.ActorSelection(new RootActorPath(node) / "user" / PartitionHost.Name);
            var answer = await host.Ask<object>(new PartitionHost.Host(remote, group.ToArray()), Timeout);
            if (answer is not PartitionHost.Hosted)
                throw new InvalidOperationException($"node {node} could not host partitions {string.Join(", ", group)}: {answer}");
            foreach (var i in group)
                partitions[i] = await home.ActorSelection(new RootActorPath(node) / "user" / Simulation.PartitionName("sim", i)).ResolveOne(Timeout);
        }
        return partitions;
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
