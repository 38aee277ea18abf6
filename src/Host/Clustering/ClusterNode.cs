using Akka.Actor;
using Akka.Cluster;
using Akka.Configuration;
using AmiSim.Kernel;
using AmiSim.Scenario;

namespace AmiSim.Host.Clustering;

/// <summary>
/// An AmiSim cluster node: an actor system named "amisim" with Akka.Cluster over TCP, kernel traffic
/// serialized by <see cref="KernelSerialization"/>, and the region of the cluster-sharded kernel
/// partitions (<see cref="PartitionShards"/>) through which the node that runs a scenario places them,
/// and a <see cref="SweepWorker"/> that takes whole runs of a sweep.
/// </summary>
public static class ClusterNode
{
    public const string SystemName = "amisim";

    /// <summary>Starts a node on <paramref name="hostname"/>:<paramref name="port"/> (0 = any free port) that joins <paramref name="seedNodes"/> (none: it is the first).</summary>
    /// <param name="defaults">the rest of the node's configuration (amisim.conf, --set, a journal).</param>
    /// <param name="tls">mutual TLS with the other nodes (null: plain TCP); a seed's scheme follows it (akka.ssl.tcp with TLS).</param>
    public static ActorSystem Start(string hostname, int port, IReadOnlyList<string> seedNodes, Config defaults, ClusterTls? tls = null)
    {
        var addresses = seedNodes.Select(Parse).Select(a => a.WithProtocol(tls is null ? PlainProtocol : TlsProtocol)).ToList();
        var config = ConfigurationFactory.ParseString($$"""
            akka.actor.provider = cluster
            akka.remote.dot-netty.tcp { hostname = "{{hostname}}", port = {{port}} }
            akka.cluster.log-info = off
            # A node busy simulating (both cores, large heaps) can be late with heartbeats for seconds.
            akka.cluster.failure-detector.acceptable-heartbeat-pause = 10s
            # The node that runs the scenario or sweep started the cluster, so it is the oldest member; a
            # node that stops answering is downed and the oldest carries on, alone if need be (under
            # keep-majority, two nodes split one against one and the lower address stays, which could
            # be the lost one). A node cut off from the oldest downs itself and joins the next cluster.
            akka.cluster.split-brain-resolver {
              active-strategy = keep-oldest
              keep-oldest.down-if-alone = off
            }
            """).WithFallback(ImageWire.Config).WithFallback(KernelSerialization.Config).WithFallback(defaults);
        if (tls is not null) config = ConfigurationFactory.ParseString(ClusterTls.Hocon).WithFallback(config);
        var setup = BootstrapSetup.Create().WithConfig(config);
        var system = tls is null ? ActorSystem.Create(SystemName, setup) : ActorSystem.Create(SystemName, setup.And(tls.Setup()));
        PartitionShards.StartRegion(system);
        system.ActorOf(SweepWorker.Props(), SweepWorker.Name);
        var cluster = Akka.Cluster.Cluster.Get(system);
        cluster.JoinSeedNodes(addresses.Count > 0 ? addresses : [cluster.SelfAddress]);
        return system;
    }

    /// <summary>Waits until <paramref name="count"/> members are up; returns their addresses, this node's first.</summary>
    /// <exception cref="TimeoutException">they were not all up in time (the message says how many were).</exception>
    public static async Task<IReadOnlyList<Address>> WaitForMembersAsync(ActorSystem system, int count, TimeSpan timeout, CancellationToken cancellation)
    {
        var cluster = Akka.Cluster.Cluster.Get(system);
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var up = cluster.State.Members.Where(m => m.Status == MemberStatus.Up).Select(m => m.Address).ToList();
            if (up.Count >= count)
                return [cluster.SelfAddress, .. up.Where(a => a != cluster.SelfAddress).OrderBy(a => a.ToString(), StringComparer.Ordinal).Take(count - 1)];
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"{up.Count} of {count} cluster nodes were up after {timeout.TotalSeconds:0} s: {string.Join(", ", up)}");
            await Task.Delay(200, cancellation);
        }
    }

    private const string PlainProtocol = "akka.tcp";
    private const string TlsProtocol = "akka.ssl.tcp";

    /// <summary>A node address such as akka.tcp://amisim@127.0.0.1:4051 (akka.ssl.tcp:// is the same node's address with TLS).</summary>
    /// <exception cref="ArgumentException">not an address of an AmiSim node.</exception>
    public static Address Parse(string address)
    {
        Address parsed;
        try
        {
            parsed = Address.Parse(address);
        }
        catch (Exception error) when (error is UriFormatException or ArgumentException or FormatException)
        {
            throw new ArgumentException($"--seed-nodes {address}: not a node address such as akka.tcp://{SystemName}@127.0.0.1:4051 ({error.Message})");
        }
        if (parsed.System != SystemName || parsed.Host is null || parsed.Port is null)
            throw new ArgumentException($"--seed-nodes {address}: expected akka.tcp://{SystemName}@HOST:PORT");
        return parsed;
    }
}
