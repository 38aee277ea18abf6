using System.Collections.Concurrent;
using Akka.Actor;
using AmiSim.Kernel;
using AmiSim.Mesh.Radio;
using AmiSim.Mesh.Router;
using AmiSim.Mesh.Topology;
using AmiSim.Protocol.C1219;
using AmiSim.Protocol.Network;

namespace AmiSim.Mesh.Tests;

/// <summary>Collector routers of a topology, with stand-ins for the meters and the head-end that record what reaches them.</summary>
public sealed class MeshTestBed : ILpFactory
{
    public static readonly TimeSpan Lookahead = TimeSpan.FromMilliseconds(20);
    public static readonly LpId HeadEnd = new(AmiLps.HeadEnd, 0);

    private readonly NetworkTopology _topology;
    private readonly RadioSettings _radio;
    private readonly IReadOnlyList<Outage> _outages;

    public MeshTestBed(ActorSystem system, NetworkTopology topology, RadioSettings? radio = null, IReadOnlyList<Outage>? outages = null,
        long seed = 1, string name = "sim")
    {
        _topology = topology;
        _radio = radio ?? new RadioSettings();
        _outages = outages ?? [];
        Simulation = Simulation.Create(system, new KernelSettings { Lookahead = Lookahead, Seed = seed, Partitions = 2 }, this, name: name);
    }

    public Simulation Simulation { get; }

    public ConcurrentQueue<(SimTime Time, MeterId Meter, object Frame)> AtMeters { get; } = new();

    public ConcurrentQueue<(SimTime Time, object Frame)> AtHeadEnd { get; } = new();

    public Props PropsFor(LpId id) => id.Kind switch
    {
        AmiLps.Collector => CollectorRouter.Props(new CollectorSetup(_topology.Collector((int)id.Number), _topology.Cell((int)id.Number), _radio, HeadEnd, _outages)),
        AmiLps.Meter => Props.Create(() => new Recorder(this)),
        AmiLps.HeadEnd => Props.Create(() => new Recorder(this)),
        _ => throw new ArgumentOutOfRangeException(nameof(id)),
    };

    /// <summary>
    /// The head-end puts a frame on the collector's backhaul at <paramref name="at"/>: like the campaign,
    /// the bed delivers it to the router one backhaul latency later.
    /// </summary>
    public void Downlink(int collector, SimTime at, MeterId? meter, IDownlinkFrame frame, MulticastGroup? group = null) =>
        Simulation.Schedule(CollectorSetup.LpOf(collector), at + _topology.Collector(collector).BackhaulLatency, new MeshDownlink(meter, frame, group));

    /// <summary>A meter's uplink frame reaches its collector's router at <paramref name="at"/> (the first hop starts there).</summary>
    public void Uplink(int collector, SimTime at, IUplinkFrame frame) => Simulation.Schedule(CollectorSetup.LpOf(collector), at, frame);

    public async Task<MeshMetrics> MetricsAsync(int collector)
    {
        var router = await Simulation.LpActorAsync(CollectorSetup.LpOf(collector));
        return await router.Ask<MeshMetrics>(GetMeshMetrics.Instance, TimeSpan.FromSeconds(5));
    }

    /// <summary>A chain of <paramref name="depth"/> meters (1 under the collector, 2 under 1, ...), with the same link loss.</summary>
    public static NetworkTopology Chain(int depth, double loss = 0, TimeSpan? backhaulLatency = null, int backhaulBitsPerSecond = 40_000) =>
        new([new CollectorNode(1, backhaulLatency ?? TimeSpan.FromMilliseconds(150), backhaulBitsPerSecond)],
            Enumerable.Range(1, depth).Select(n => new MeterNode(new MeterId(n), 1, n == 1 ? null : new MeterId(n - 1), n, loss, "AM-100", new FirmwareVersion(1, 0))));

    public static ConfirmationAck Control(long meter, long id) => new(new MeterId(meter), id);

    private sealed class Recorder(MeshTestBed bed) : SimActor
    {
        protected override void OnEvent(object payload)
        {
            if (Id.Kind == AmiLps.Meter) bed.AtMeters.Enqueue((Now, new MeterId(Id.Number), payload));
            else bed.AtHeadEnd.Enqueue((Now, payload));
        }
    }
}
