using System.Diagnostics;
using System.Security.Cryptography;
using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using AmiSim.HeadEnd.Campaign;
using AmiSim.HeadEnd.Mdm;
using AmiSim.HeadEnd.Persistence;
using AmiSim.HeadEnd.Programs;
using AmiSim.Host.Cim;
using AmiSim.Host.Scenario;
using AmiSim.Kernel;
using AmiSim.Mesh.Router;
using AmiSim.Mesh.Topology;
using AmiSim.Protocol.C1219;
using AmiSim.Protocol.Programs;
using Serilog;

namespace AmiSim.Host.Run;

/// <summary>What a finished run knows, for the report.</summary>
public sealed record RunResult(
    ScenarioSettings Scenario,
    NetworkTopology Topology,
    ProgramManifest Manifest,
    CampaignSummary Summary,
    IReadOnlyList<MeterOutcome> Outcomes,
    IReadOnlyList<MeshMetrics> Mesh,
    IReadOnlyList<MdmQueries.MeterView> Mdm,
    SimTime End,
    long Events,
    long Windows,
    TimeSpan Wall,
    long PeakWorkingSetBytes,
    int CimMessages);

/// <summary>
/// One run of the use case from step 1.1 to 1.11: the vendor tool builds and signs the program, the
/// head-end loads it, the campaign runs over the network to the meters, and confirmations reach the MDM.
/// </summary>
public sealed class ScenarioRun(ScenarioSettings scenario, string runDirectory)
{
    /// <summary>Virtual time between checks of whether the campaign is over (the run stops at the first quiet check).</summary>
    private static readonly TimeSpan Step = TimeSpan.FromHours(1);

    /// <param name="showProgress">wraps the run to show progress: gets the actor system, the run, its limit and a way to ask the campaign's counts.</param>
    public async Task<RunResult> RunAsync(Akka.Configuration.Config akka,
        Func<ActorSystem, Func<SimTime, Task<RunCompleted>>, SimTime, Func<Task<CampaignSummary>>, Task<RunCompleted>>? showProgress = null,
        CancellationToken cancellation = default)
    {
        var wall = Stopwatch.StartNew();
        var topology = scenario.BuildTopology();
        Log.Information("Network: {Meters} meters under {Collectors} collectors", topology.Meters.Count, topology.Collectors.Count);

        // Step 1.1: the vendor program tool builds and signs the update.
        using var vendor = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var package = BuildPackage(vendor);
        var keyId = PackageFile.KeyId(vendor.ExportSubjectPublicKeyInfo());
        var packageFile = PackageFile.Write(package, keyId);
        await File.WriteAllTextAsync(Path.Combine(runDirectory, "program.amipkg"), packageFile, cancellation);
        await File.WriteAllTextAsync(Path.Combine(runDirectory, "vendor.pub"), vendor.ExportSubjectPublicKeyInfoPem(), cancellation);
        Log.Information("Step 1.1: vendor tool built {Program} {Version} ({Size} bytes, {Blocks} blocks), signed by {Key}",
            package.Manifest.ProgramId, package.Manifest.Version, package.Manifest.Size, package.Manifest.BlockCount, keyId);

        // Step 1.2: the Metering Department loads it into the head-end, which checks it.
        var trusted = vendor.ExportSubjectPublicKeyInfo();
        var library = new ProgramLibrary([trusted]);
        var targetModels = package.Manifest.TargetModels;
        var loaded = library.Load(packageFile, topology.Meters.Where(m => targetModels.Count == 0 || targetModels.Contains(m.Model)).Select(m => m.Firmware).Distinct());
        Log.Information("Step 1.2: head-end loaded {Program} {Version}: signature trusted, content matches", loaded.Manifest.ProgramId, loaded.Manifest.Version);

        var http = scenario.MdmEndpoint.Length == 0 ? null : new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var system = ActorSystem.Create("amisim", akka.WithFallback(JournalConfig.Sqlite(Path.Combine(runDirectory, "headend.db"))));
        try
        {
            var outbox = new RunFolderOutbox(Path.Combine(runDirectory, "cim"),
                http is null ? null : new HttpCimSink(new Uri(scenario.MdmEndpoint), http, Akka.Event.Logging.GetLogger(system, "mdm-http")));
            var model = new SimulationModel(new ModelSetup
            {
                Topology = topology,
                Radio = scenario.Radio,
                Package = loaded,
                Verifier = new SignatureVerifier([trusted]),
                Campaign = scenario.Campaign,
                Targets = scenario.Targets,
                Faults = scenario.Faults,
                RebootDelay = scenario.RebootDelay,
                Outages = scenario.OutageWindows(),
                Outbox = outbox,
                AccessDelay = new[] { scenario.Radio.HopLatency, topology.Collectors.Min(c => c.BackhaulLatency) }.Min(),
            }, scenario.Seed);
            // The smallest delay between LPs: a mesh hop or the backhaul (NICs and the head-end hand frames over with this delay).
            var lookahead = new[] { scenario.Radio.HopLatency, topology.Collectors.Min(c => c.BackhaulLatency) }.Min();
            var trace = new TraceFile(TraceFile.Choose(scenario.TracedMeters, topology));
            var kernel = KernelSettings.FromConfig(akka.GetConfig("amisim.kernel")) with
            {
                Lookahead = lookahead, Seed = scenario.Seed, EpochUtc = scenario.EpochUtc, Trace = trace,
                // Partitions hold whole collectors with their meters, and the head-end and MDM share one:
                // only the backhaul crosses partitions.
                PartitionLookahead = topology.Collectors.Min(c => c.BackhaulLatency),
            };
            var simulation = Simulation.Create(system, kernel, model, model);

            // Step 1.3: the head-end starts the campaign; operator actions are scripted at their times.
            simulation.Schedule(CampaignSetup.Lp, SimTime.Zero, StartCampaign.Instance);
            foreach (var action in scenario.OperatorActions) simulation.Schedule(CampaignSetup.Lp, SimTime.From(action.At), new OperatorCommand(action.Action));
            foreach (var crash in scenario.HeadEndCrashes) simulation.Schedule(CampaignSetup.Lp, SimTime.From(crash.At), new HeadEndCrash(crash.Downtime));
            var scripted = scenario.OperatorActions.Select(a => a.At).Concat(scenario.HeadEndCrashes.Select(c => c.At + c.Downtime)).ToList();
            var lastAction = scripted.Count == 0 ? SimTime.Zero : SimTime.From(scripted.Max());
            var until = SimTime.From(scenario.Until);

            long events = 0;
            long windows = 0;
            async Task<RunCompleted> RunToEnd(SimTime limit)
            {
                RunCompleted last;
                do
                {
                    var next = SimTime.Min(limit, new SimTime(simulation.Now.Micros + SimTime.ToMicros(Step)));
                    last = await simulation.RunAsync(next, cancellation);
                    events += last.EventsHandled;
                    windows += last.Windows;
                    if (last.Reason != "time limit") break;
                    var summary = await AskCampaign<CampaignSummary>(simulation, GetCampaignSummary.Instance);
                    if (summary.Quiet && summary.Status != "running" && simulation.Now > lastAction) break; // scripted actions still to come keep the run going
                } while (simulation.Now < limit);
                return last;
            }
            var completed = showProgress is null ? await RunToEnd(until) : await showProgress(system, RunToEnd, until, () => AskCampaign<CampaignSummary>(simulation, GetCampaignSummary.Instance));
            await outbox.FlushAsync();

            var summary = await AskCampaign<CampaignSummary>(simulation, GetCampaignSummary.Instance);
            var outcomes = await AskCampaign<List<MeterOutcome>>(simulation, GetMeterOutcomes.Instance);
            var mesh = new List<MeshMetrics>();
            foreach (var collector in topology.Collectors)
                mesh.Add(await (await simulation.LpActorAsync(CollectorSetup.LpOf(collector.Id))).Ask<MeshMetrics>(GetMeshMetrics.Instance, TimeSpan.FromSeconds(30)));
            var mdm = await (await simulation.LpActorAsync(MdmSetup.Lp)).Ask<List<MdmQueries.MeterView>>(MdmQueries.GetAllMeters.Instance, TimeSpan.FromSeconds(60));
            var end = outcomes.Count == 0 ? SimTime.Zero : new SimTime(outcomes.Max(o => o.FinishedMicros));
            await using (var writer = File.CreateText(Path.Combine(runDirectory, "trace.txt")))
                trace.Write(writer, topology, scenario.EpochUtc, [
                    $"{SimTime.Zero,-18} 1.1   [vendor tool] built {package.Manifest.Kind} {package.Manifest.ProgramId} {package.Manifest.Version}, {package.Manifest.Size} bytes in {package.Manifest.BlockCount} blocks, signed by key {keyId}",
                    $"{SimTime.Zero,-18} 1.2   [head-end] loaded the package: trusted signature, content matches the signed digests",
                ]);
            using var process = Process.GetCurrentProcess();
            return new RunResult(scenario, topology, loaded.Manifest, summary, outcomes, mesh, mdm, end, events, windows, wall.Elapsed, process.PeakWorkingSet64, outbox.Written);
        }
        finally
        {
            await system.Terminate();
            http?.Dispose();
        }
    }

    private static async Task<T> AskCampaign<T>(Simulation simulation, object query) =>
        await (await simulation.LpActorAsync(CampaignSetup.Lp)).Ask<T>(query, TimeSpan.FromSeconds(60));

    private ProgramPackage BuildPackage(ECDsa vendor)
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
        var image = new byte[spec.Size];
        var random = RandomStream.For(scenario.Seed, 0, "firmware-image");
        for (var i = 0; i < image.Length; i += 8)
        {
            var value = random.NextUInt64();
            for (var j = 0; j < 8 && i + j < image.Length; j++) image[i + j] = (byte)(value >> (8 * j));
        }
        return ProgramPackage.Sign(ProgramManifest.ForFirmware(spec.Id, spec.Version, image, spec.BlockSize, spec.TargetModels, spec.AllowedFrom), image, vendor);
    }
}
