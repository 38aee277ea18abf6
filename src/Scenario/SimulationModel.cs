using Akka.Actor;
using AmiSim.HeadEnd.Campaign;
using AmiSim.HeadEnd.Mdm;
using AmiSim.Kernel;
using AmiSim.Meter;
using AmiSim.Meter.Nic;
using AmiSim.Mesh.Radio;
using AmiSim.Mesh.Router;
using AmiSim.Mesh.Topology;
using AmiSim.Protocol.Network;
using AmiSim.Protocol.Programs;

namespace AmiSim.Scenario;

/// <summary>What a simulated AMI system is made of: the network, the meters' make-up, the campaign and the MDM.</summary>
public sealed record ModelSetup
{
    public required NetworkTopology Topology { get; init; }

    public required RadioSettings Radio { get; init; }

    public required ProgramPackage Package { get; init; }

    public required SignatureVerifier Verifier { get; init; }

    public CampaignSettings Campaign { get; init; } = new();

    public TargetSelection Targets { get; init; } = new();

    public MeterFaultProfile Faults { get; init; } = MeterFaultProfile.None;

    public TimeSpan RebootDelay { get; init; } = TimeSpan.FromSeconds(20);

    public IReadOnlyList<Outage> Outages { get; init; } = [];

    public string CampaignId { get; init; } = "C1";

    public ICimOutbox? Outbox { get; init; }

    /// <summary>Delay of a NIC handing a frame to its mesh: the kernel's lookahead (at most a hop's latency).</summary>
    public TimeSpan AccessDelay { get; init; } = TimeSpan.FromMilliseconds(20);

    /// <summary>Periods in which the MDM is unreachable.</summary>
    public IReadOnlyList<(SimTime Start, SimTime End)> MdmOutages { get; init; } = [];
}

/// <summary>
/// The composition root of a simulation: which actor each LP is (meters, collector routers, the
/// campaign, the MDM) and where it lives (a collector's meters on the collector's partition, so a
/// mesh never crosses partitions).
/// </summary>
public sealed class SimulationModel : ILpFactory, IPlacement
{
    private readonly ModelSetup _setup;
    private readonly long _seed;
    /// <summary>Each reachable meter's collector, by meter number: an array when the numbers are dense, as they are in generated fleets.</summary>
    private readonly int[]? _collectorByNumber;
    private readonly Dictionary<long, int>? _collectorOf;
    private readonly Dictionary<int, StationSetup> _stations;
    private readonly Props _campaign;
    private readonly Props _mdm;

    public SimulationModel(ModelSetup setup, long seed)
    {
        AmiLps.NameKinds();
        _setup = setup;
        _seed = seed;
        var topology = setup.Topology;
        var highest = topology.Meters.Count == 0 ? 0 : topology.Meters.Max(m => m.Meter.Value);
        if (highest < 2L * topology.Meters.Count + 1024 && topology.Meters.All(m => m.Meter.Value >= 0))
        {
            _collectorByNumber = new int[highest + 1];
            Array.Fill(_collectorByNumber, -1);
            foreach (var m in topology.Meters) _collectorByNumber[m.Meter.Value] = m.Collector;
        }
        else _collectorOf = topology.Meters.ToDictionary(m => m.Meter.Value, m => m.Collector);
        var fleet = topology.Meters.Select(m => new FleetMeter(m.Meter, m.Collector, m.Model, m.Firmware, Credentials.For(seed, m.Meter))).ToList();
        // Meters no route reaches belong to the fleet (the head-end and the MDM know them) under no collector, and are skipped.
        var unreachable = topology.Unreachable.ToDictionary(m => m.Meter, m => m.Reason);
        fleet.AddRange(topology.Unreachable.Select(m => new FleetMeter(m.Meter, 0, m.Model, m.Firmware, Credentials.For(seed, m.Meter))));
        var profiles = topology.Collectors.Select(c =>
        {
            var cell = topology.Cell(c.Id);
            var relays = cell.Select(m => m.Parent).Where(p => p is not null).Distinct().Count();
            return new CollectorProfile(c.Id, relays, cell.Count == 0 ? 1 : cell.Max(m => m.Depth), c.BackhaulLatency);
        }).ToList();
        var plan = CampaignPlan.Make(fleet, setup.Targets, setup.Package.Manifest, setup.Campaign, unreachable);
        _campaign = CampaignActor.Props(new CampaignSetup(setup.CampaignId, setup.Package, plan, setup.Campaign, MdmSetup.Lp, setup.Outbox));
        var plannedAt = plan.Meters.ToLookup(m => m.Meter.Collector);
        // The station estimates how long frames take at the slowest of its cell's links.
        _stations = profiles.ToDictionary(p => p.Collector, p => new StationSetup(setup.CampaignId, setup.Package, p, plannedAt[p.Collector].ToList(), setup.Campaign,
            setup.Radio with { PhyBitsPerSecond = topology.Cell(p.Collector).Select(m => setup.Radio.LinkBitsPerSecond(m.Depth, m.PhyBitsPerSecond)).DefaultIfEmpty(setup.Radio.PhyBitsPerSecond).Min() }));
        _mdm = MdmActor.Props(new MdmSetup(topology.Meters.Select(m => (m.Meter.Identification, m.Firmware.ToString()))
            .Concat(topology.Unreachable.Select(m => (m.Meter.Identification, m.Firmware.ToString()))).ToList(), setup.MdmOutages));
    }

    public Props PropsFor(LpId id) => id.Kind switch
    {
        AmiLps.Meter => NicActor.Props(MeterSetupOf(_setup.Topology.Meter(new MeterId(id.Number)))),
        AmiLps.Collector => CollectorRouter.Props(new CollectorSetup(_setup.Topology.Collector((int)id.Number), _setup.Topology.Cell((int)id.Number),
            _setup.Radio, StationSetup.LpOf((int)id.Number), _setup.Outages)),
        AmiLps.Station when _stations.TryGetValue((int)id.Number, out var station) => CollectorStation.Props(station),
        AmiLps.HeadEnd when id == CampaignSetup.Lp => _campaign,
        AmiLps.Mdm when id == MdmSetup.Lp => _mdm,
        _ => throw new ArgumentOutOfRangeException(nameof(id), id, "the model has no such LP"),
    };

    /// <summary>
    /// With one partition, everything is on it. With more, partition 0 holds the campaign and the MDM
    /// alone, and the collectors, each with its meters and its station, are spread over the others. Only
    /// the stations' reports and the campaign's orders then cross partitions (docs/PERFORMANCE.md).
    /// </summary>
    public int PartitionOf(LpId id, int partitionCount) => id.Kind switch
    {
        AmiLps.Meter => CollectorPartition(CollectorOf(id.Number), partitionCount),
        AmiLps.Collector or AmiLps.Station => CollectorPartition(id.Number, partitionCount),
        _ => 0,
    };

    /// <summary>
    /// Only the head-end's link between the campaign and its stations crosses partitions, one station
    /// latency each way; the collectors' partitions never talk to each other directly.
    /// </summary>
    public TimeSpan? DirectLookahead(int from, int to, int partitionCount) =>
        from == 0 || to == 0 ? _setup.Campaign.StationLatency : TimeSpan.MaxValue;

    /// <summary>
    /// Only the campaign and its stations speak across partitions, each on the head-end's clock, which
    /// they promise the kernel (<see cref="CampaignActor"/>, <see cref="CollectorStation"/>).
    /// </summary>
    public IReadOnlyList<LpId>? SendersAcross(int partition, int partitionCount) =>
        partition == 0 ? [CampaignSetup.Lp] : _stations.Keys.Where(c => CollectorPartition(c, partitionCount) == partition).Order().Select(StationSetup.LpOf).ToList();

    private int CollectorOf(long meter) =>
        _collectorByNumber is { } dense
            ? meter < dense.Length && dense[meter] >= 0 ? dense[meter] : throw new KeyNotFoundException($"meter {meter} is in no collector's cell")
            : _collectorOf![meter];

    private static int CollectorPartition(long collector, int partitionCount) =>
        partitionCount == 1 ? 0 : 1 + (int)(collector % (partitionCount - 1));

    private MeterSetup MeterSetupOf(MeterNode node) => new()
    {
        Meter = node.Meter,
        Model = node.Model,
        Firmware = node.Firmware,
        Credential = Credentials.For(_seed, node.Meter),
        Verifier = _setup.Verifier,
        Faults = _setup.Faults,
        RebootDelay = _setup.RebootDelay,
        Uplink = CollectorSetup.LpOf(node.Collector),
        UplinkDelay = _setup.AccessDelay,
    };
}

/// <summary>Each meter's PSEM credential, provisioned from the run's seed (the head-end's key store holds the same).</summary>
public static class Credentials
{
    public static byte[] For(long seed, MeterId meter)
    {
        var random = RandomStream.For(seed, new LpId(AmiLps.Meter, meter.Value), "credential");
        var credential = new byte[20];
        for (var i = 0; i < credential.Length; i++) credential[i] = (byte)random.NextInt(256);
        return credential;
    }
}
