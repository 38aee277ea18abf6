using System.Security.Cryptography;
using AmiSim.HeadEnd.Campaign;
using AmiSim.HeadEnd.Programs;
using AmiSim.Kernel;
using AmiSim.Mesh.Topology;
using AmiSim.Protocol.C1219;
using AmiSim.Protocol.Programs;

namespace AmiSim.Scenario;

/// <summary>
/// How a scenario becomes a running simulation: the vendor's program, the model's setup, the kernel's
/// settings and the scripted campaign. `amisim run` and the scenario test kit (AmiSim.Testing) both
/// assemble their runs with it, so a test runs exactly what the command line runs.
/// </summary>
public static class ScenarioAssembly
{
    /// <summary>Step 1.1: the vendor program tool builds the scenario's program and signs it with <paramref name="vendor"/>.</summary>
    public static ProgramPackage BuildPackage(ScenarioSettings scenario, ECDsa vendor)
    {
        var spec = scenario.Program;
        if (spec.Kind == ProgramKind.Configuration)
        {
            var manifest = new ProgramManifest
            {
                ProgramId = spec.Id, Kind = ProgramKind.Configuration, Version = spec.Version, TargetModels = spec.TargetModels, AllowedSourceVersions = spec.AllowedFrom,
                ConfigurationWrites = [new TableWrite(Tables.LoadProfileControl, (LoadProfileControlTable.Default with { IntervalMinutes = (byte)spec.IntervalMinutes }).Encode(DataOrder.BigEndian))],
            };
            return ProgramPackage.Sign(manifest, ReadOnlyMemory<byte>.Empty, vendor);
        }
        // The image's bytes come from the seed, so one scenario and seed always ship the same image.
        var image = new byte[spec.Size];
        var random = RandomStream.For(scenario.Seed, 0, "firmware-image");
        for (var i = 0; i < image.Length; i += 8)
        {
            var value = random.NextUInt64();
            for (var j = 0; j < 8 && i + j < image.Length; j++) image[i + j] = (byte)(value >> (8 * j));
        }
        return ProgramPackage.Sign(ProgramManifest.ForFirmware(spec.Id, spec.Version, image, spec.BlockSize, spec.TargetModels, spec.AllowedFrom), image, vendor);
    }

    /// <summary>
    /// What the scenario's program is, without building it: its identity, kind, size and targets (no
    /// digests, no table writes), for what is shown before a run.
    /// </summary>
    public static ProgramManifest Describe(ScenarioSettings scenario)
    {
        var spec = scenario.Program;
        return new ProgramManifest
        {
            ProgramId = spec.Id, Kind = spec.Kind, Version = spec.Version, TargetModels = spec.TargetModels, AllowedSourceVersions = spec.AllowedFrom,
            Size = spec.Kind == ProgramKind.Firmware ? spec.Size : 0, BlockSize = spec.Kind == ProgramKind.Firmware ? spec.BlockSize : 0,
        };
    }

    /// <summary>
    /// Step 1.2: the head-end's program library checks a package file against the trusted vendor key
    /// the firmware the targeted meters run (the downgrade rule) and the fleet's models (a package for
    /// none of them is refused as incompatible, before anything runs), and loads it.
    /// </summary>
    /// <exception cref="PackageRejectedException">which rule the package breaks.</exception>
    public static ProgramPackage LoadPackage(string packageFile, byte[] trustedKey, NetworkTopology topology)
    {
        var targets = PackageFile.Read(packageFile).Package.Manifest.TargetModels; // malformed files are refused here, as by the library
        var loaded = new ProgramLibrary([trustedKey]).Load(packageFile,
            topology.Meters.Where(m => targets.Count == 0 || targets.Contains(m.Model)).Select(m => m.Firmware).Distinct(),
            fleetModels: topology.Meters.Select(m => m.Model).ToHashSet());
        ImageWire.Register(loaded); // chunks of it cross nodes as references into it
        return loaded;
    }

    /// <summary>What the model is made of, for the program the head-end loaded and the vendor key the meters trust.</summary>
    public static ModelSetup ModelSetup(ScenarioSettings scenario, NetworkTopology topology, ProgramPackage loaded, byte[] trustedKey, ICimOutbox? outbox) => new()
    {
        Topology = topology,
        Radio = scenario.Radio,
        Package = loaded,
        Verifier = new SignatureVerifier([trustedKey]),
        Campaign = scenario.Campaign,
        Targets = scenario.Targets,
        Faults = scenario.Faults,
        RebootDelay = scenario.RebootDelay,
        Outages = scenario.OutageLists(),
        Outbox = outbox,
        AccessDelay = Lookahead(scenario, topology),
    };

    /// <summary>
    /// <paramref name="defaults"/> with the scenario's seed and epoch, and the lookaheads its network allows:
    /// the smallest delay between LPs (a mesh hop or the backhaul) and, since partitions hold whole
    /// collectors with their meters and stations while the campaign and the MDM share one, the station
    /// latency between partitions.
    /// </summary>
    /// <exception cref="ScenarioException">the campaign's station latency is shorter than the smallest delay between LPs.</exception>
    public static KernelSettings Kernel(ScenarioSettings scenario, NetworkTopology topology, KernelSettings defaults, ITraceSink? trace)
    {
        var lookahead = Lookahead(scenario, topology);
        var stations = scenario.Campaign.StationLatency;
        if (stations < lookahead)
            throw new ScenarioException($"{ScenarioReader.Root}.campaign.station-latency ({stations.TotalMilliseconds} ms) must be at least "
                                        + $"the network's shortest hop or backhaul latency ({lookahead.TotalMilliseconds} ms), the kernel's lookahead");
        return defaults with
        {
            Lookahead = lookahead, PartitionLookahead = stations, Seed = scenario.Seed, OriginUtc = scenario.OriginUtc, Trace = trace,
            Partitions = defaults.AutoPartitions ? PartitionsFor(topology.Meters.Count, topology.Collectors.Count, Environment.ProcessorCount) : defaults.Partitions,
            AutoPartitions = false,
        };
    }

    /// <summary>Fleets from this size on run faster on several partitions (docs/PERFORMANCE.md).</summary>
    public const int PartitionedFrom = 50_000;

    /// <summary>
    /// `amisim.kernel.partitions = auto`: one partition for a fleet under <see cref="PartitionedFrom"/>
    /// meters; a larger one gets the campaign's partition and two collector partitions a core (at most
    /// one a collector): what runs fastest on this machine (docs/PERFORMANCE.md).
    /// </summary>
    public static int PartitionsFor(int meters, int collectors, int cores) =>
        meters < PartitionedFrom ? 1 : 1 + Math.Max(1, Math.Min(collectors, 2 * cores));

    /// <summary>Step 1.3 and the script: starts the campaign at zero (unless it waits for the operator's start), schedules the operator's actions and the head-end's crashes; returns when the last of them is over.</summary>
    public static SimTime ScheduleScript(Simulation simulation, ScenarioSettings scenario)
    {
        if (!scenario.StartByOperator) simulation.Schedule(CampaignSetup.Lp, SimTime.Zero, StartCampaign.Instance);
        foreach (var action in scenario.OperatorActions)
            simulation.Schedule(CampaignSetup.Lp, SimTime.From(action.At), new OperatorCommand(action.Action, action.Meters, action.Meters is null ? null : "the scenario's operator-actions"));
        foreach (var crash in scenario.HeadEndCrashes) simulation.Schedule(CampaignSetup.Lp, SimTime.From(crash.At), new HeadEndCrash(crash.Downtime));
        var scripted = scenario.OperatorActions.Select(a => a.At).Concat(scenario.HeadEndCrashes.Select(c => c.At + c.Downtime)).ToList();
        return scripted.Count == 0 ? SimTime.Zero : SimTime.From(scripted.Max());
    }

    /// <summary>
    /// The model a node builds from a run's blueprint: the same network and program as the node that
    /// started the run, with no CIM outbox (the head-end, which has it, is on the first node).
    /// </summary>
    /// <exception cref="PackageRejectedException">the package does not verify against the trusted key.</exception>
    public static SimulationModel ModelFor(RunBlueprint blueprint)
    {
        var scenario = blueprint.Scenario;
        var topology = scenario.BuildTopology();
        var loaded = LoadPackage(blueprint.PackageFile, blueprint.TrustedKey, topology);
        return new SimulationModel(ModelSetup(scenario, topology, loaded, blueprint.TrustedKey, outbox: null), scenario.Seed);
    }

    /// <summary>
    /// Whether a run is over: the campaign has nothing left in flight and is not running, and every
    /// scripted action (see <see cref="ScheduleScript"/>) is behind <paramref name="now"/>.
    /// </summary>
    public static bool IsOver(CampaignSummary summary, SimTime now, SimTime lastScripted) =>
        summary.Quiet && summary.Status != CampaignStatus.Running && now > lastScripted;

    /// <summary>
    /// The kernel's lookahead between the model's LPs, and the NICs' access delay (docs/MESH-MODEL.md,
    /// "Timing"): the lesser of the hop latency and the smallest backhaul latency.
    /// </summary>
    public static TimeSpan Lookahead(ScenarioSettings scenario, NetworkTopology topology) =>
        new[] { scenario.Radio.HopLatency, topology.Collectors.Min(c => c.BackhaulLatency) }.Min();
}
