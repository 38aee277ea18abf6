using System.IO.Compression;
using Akka.Actor;
using Akka.Configuration;

namespace AmiSim.Host.Clustering;

/// <summary>A run's node left the cluster (or stopped answering) before the run came back: the run is to be given to another.</summary>
public sealed class NodeLostException(string message) : Exception(message);

/// <summary>
/// <c>amisim sweep --cluster</c>'s cluster: this process as the first node, and the sweep workers of the
/// other nodes (<c>amisim node</c>) with the runs each takes at once. <see cref="RunAsync"/> gives a run
/// to a node and writes the run folder it sends back.
/// </summary>
public sealed class SweepCluster : IAsyncDisposable
{
    private readonly ActorSystem _system;

    private SweepCluster(ActorSystem system, IReadOnlyList<(IActorRef Worker, Address Node, int Slots)> workers)
    {
        _system = system;
        Workers = workers;
    }

    /// <summary>The other nodes' workers, in address order.</summary>
    public IReadOnlyList<(IActorRef Worker, Address Node, int Slots)> Workers { get; }

    public Address Self => Akka.Cluster.Cluster.Get(_system).SelfAddress;

    /// <summary>Starts this node on <paramref name="hostname"/>:<paramref name="port"/>, waits until <paramref name="nodes"/> nodes (this one included) are up, and finds their workers.</summary>
    /// <exception cref="TimeoutException">the nodes were not all up, or a node's worker did not answer, in time.</exception>
    public static async Task<SweepCluster> StartAsync(string hostname, int port, int nodes, Config defaults, Action<string> say, CancellationToken cancellation, ClusterTls? tls = null)
    {
        var system = ClusterNode.Start(hostname, port, [], defaults, tls);
        try
        {
            var self = Akka.Cluster.Cluster.Get(system).SelfAddress;
            say($"cluster node {self}: waiting up to 2 minutes for {nodes} nodes (start the others with amisim node --seed-nodes {self})");
            var members = await ClusterNode.WaitForMembersAsync(system, nodes, TimeSpan.FromMinutes(2), cancellation);
            var workers = new List<(IActorRef, Address, int)>();
            foreach (var member in members.Skip(1))
            {
                var worker = await system.ActorSelection(new RootActorPath(member) / "user" / SweepWorker.Name).ResolveOne(TimeSpan.FromSeconds(20), cancellation);
                var ready = await worker.Ask<SweepWorkerReady>(new SweepWorkerQuery(1), TimeSpan.FromSeconds(20), cancellation);
                workers.Add((worker, member, ready.Slots));
            }
            return new SweepCluster(system, workers);
        }
        catch
        {
            system.EventStream.SetLogLevel(Akka.Event.LogLevel.ErrorLevel);
            await system.Terminate();
            throw;
        }
    }

    /// <summary>
    /// Has <paramref name="worker"/> run <paramref name="order"/>; its run folder lands in <paramref name="folder"/> whole
    /// (unpacked beside it, then moved in), its console in <paramref name="log"/>. Returns null when the run finished, else why not.
    /// </summary>
    /// <exception cref="NodeLostException">the node went away first.</exception>
    public async Task<string?> RunAsync(IActorRef worker, SweepRunOrder order, string folder, string log, CancellationToken cancellation)
    {
        var done = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var receiver = _system.ActorOf(Props.Create(() => new RunReceiver(worker, order, folder, log, done)));
        // Canceled, the receiver stops, which tells the node to kill the run and cancels the task.
        await using var stop = cancellation.Register(() => receiver.Tell(PoisonPill.Instance));
        return await done.Task;
    }

    /// <summary>Leaves the cluster and stops this node.</summary>
    public async ValueTask DisposeAsync()
    {
        // Akka's logger falls back to standard output as the system stops, at akka.loglevel: only errors may go there.
        _system.EventStream.SetLogLevel(Akka.Event.LogLevel.ErrorLevel);
        await _system.Terminate();
    }

    /// <summary>Receives one run's parts from a node and unpacks them; fails its task when the node goes away.</summary>
    private sealed class RunReceiver : ReceiveActor
    {
        private readonly IActorRef _worker;
        private readonly SweepRunOrder _order;
        private readonly TaskCompletionSource<string?> _done;
        private readonly string _zip;
        private FileStream? _parts;
        private int _next;

        public RunReceiver(IActorRef worker, SweepRunOrder order, string folder, string log, TaskCompletionSource<string?> done)
        {
            (_worker, _order, _done) = (worker, order, done);
            _zip = folder + ".zip.partial";
            Receive<SweepRunPart>(part =>
            {
                if (part.RunId != _order.RunId || part.Part != _next) return;
                try
                {
                    if (_parts is null)
                    {
                        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(folder))!);
                        _parts = new FileStream(_zip, FileMode.Create, FileAccess.Write);
                    }
                    _parts.Write(part.Bytes);
                }
                catch (Exception error) when (error is IOException or UnauthorizedAccessException)
                {
                    _done.TrySetResult($"its folder could not be written: {error.Message}");
                    Context.Stop(Self);
                    return;
                }
                _next++;
                Sender.Tell(new SweepRunPartReceived(part.RunId, part.Part));
            });
            Receive<SweepRunEnded>(ended =>
            {
                if (ended.RunId != _order.RunId) return;
                try
                {
                    Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(log))!);
                    File.WriteAllText(log, ended.Log);
                    if (ended.Why is not null) _done.TrySetResult(ended.Why);
                    else
                    {
                        _parts?.Dispose();
                        _parts = null;
                        var unpacked = folder + ".partial";
                        if (Directory.Exists(unpacked)) Directory.Delete(unpacked, recursive: true);
                        ZipFile.ExtractToDirectory(_zip, unpacked);
                        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
                        Directory.Move(unpacked, folder);
                        _done.TrySetResult(null);
                    }
                }
                catch (Exception error) when (error is IOException or UnauthorizedAccessException or InvalidDataException)
                {
                    _done.TrySetResult($"its folder could not be written: {error.Message}");
                }
                Context.Stop(Self);
            });
            Receive<Terminated>(_ =>
            {
                _done.TrySetException(new NodeLostException($"node {_worker.Path.Address} left before the run came back"));
                Context.Stop(Self);
            });
        }

        protected override void PreStart()
        {
            Context.Watch(_worker);
            _worker.Tell(_order);
        }

        protected override void PostStop()
        {
            _parts?.Dispose();
            if (File.Exists(_zip)) File.Delete(_zip);
            _done.TrySetCanceled();
        }
    }
}
