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
using AmiSim.Scenario;
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
    long Epochs,
    long EpochsSatOut,
    TimeSpan Wall,
    long PeakWorkingSetBytes,
    int CimMessages,
    IReadOnlyDictionary<string, long>? EventTypes = null,
    PackageIdentity? Package = null)
{
    /// <summary>The operator actions a supervisor (the console) took during the run, at their virtual times.</summary>
    public IReadOnlyList<TakenAction> OperatorActions { get; init; } = [];

    /// <summary>What became of the messages sent to an external MDM (<c>--mdm-endpoint</c>); null without one.</summary>
    public MdmDeliveryReport? MdmDelivery { get; init; }
}

/// <summary>
/// Which package a run rolled out: its file (null: the one the scenario's vendor tool built), the
/// SHA-256 of the file's text and the signer's key id. Outside the result digest: the same program
/// signed by another key, or built again with a new key, gives the same results.
/// </summary>
public sealed record PackageIdentity(string? File, string Sha256, string SignerKeyId);

/// <summary>
/// One run of the use case from step 1.1 to 1.11: the vendor tool builds and signs the program, the
/// head-end loads it, the campaign runs over the network to the meters, and confirmations reach the MDM.
/// </summary>
/// <param name="node">
/// The actor system to run in (a cluster node, its journal already configured) and where the kernel's
/// partitions go; by default the run makes its own system with a SQLite journal in the run folder and
/// keeps every partition in it.
/// </param>
/// <param name="journal">Journal configuration of the system the run makes (default: SQLite, headend.db in the run folder).</param>
/// <param name="topology">The scenario's network, if the caller has built it already (as <see cref="RunInput"/> does).</param>
/// <param name="program">The program to roll out (the user's package, read by <see cref="RunInput"/>); by default the scenario's vendor tool builds it.</param>
public sealed class ScenarioRun(ScenarioSettings scenario, string runDirectory, (ActorSystem System, IPartitionLayout Layout)? node = null,
    Akka.Configuration.Config? journal = null, NetworkTopology? topology = null, VendorProgram? program = null)
{
    /// <summary>Virtual time between checks of whether the campaign is over (the run stops at the first quiet check).</summary>
    private static readonly TimeSpan Step = TimeSpan.FromHours(1);

    /// <param name="showProgress">wraps the run to show progress: gets the actor system and the run.</param>
    /// <param name="step">told the campaign's summary after each step of virtual time, and once more at the end.</param>
    /// <param name="supervisor">watches and steers the run between its steps (the operator console).</param>
    /// <param name="whileLive">given the result while the simulation is still up (its meters readable through the supervisor's probe); the run ends when it returns.</param>
    public async Task<RunResult> RunAsync(Akka.Configuration.Config akka,
        Func<ActorSystem, Func<Task<RunCompleted>>, Task<RunCompleted>>? showProgress = null,
        Action<SimTime, CampaignSummary>? step = null,
        CancellationToken cancellation = default,
        IRunSupervisor? supervisor = null,
        Func<RunResult, Task>? whileLive = null)
    {
        var wall = Stopwatch.StartNew();
        var network = topology ?? scenario.BuildTopology();
        Log.Information("Network: {Meters} meters under {Collectors} collectors", network.Meters.Count, network.Collectors.Count);

        // Step 1.1: the vendor program tool builds and signs the update (or the user brought one); the run folder keeps both files.
        var vendor = program ?? VendorProgram.Build(scenario);
        var keyId = vendor.KeyId;
        var packageFile = vendor.PackageText;
        await File.WriteAllTextAsync(Path.Combine(runDirectory, "program.amipkg"), packageFile, cancellation);
        await File.WriteAllTextAsync(Path.Combine(runDirectory, "vendor.pub"), vendor.TrustPem, cancellation);

        // Step 1.2: the Metering Department loads it into the head-end, which checks it.
        var trusted = vendor.TrustedKey;
        var loaded = ScenarioAssembly.LoadPackage(packageFile, trusted, network);
        var manifest = loaded.Manifest;
        var built = vendor.PackagePath is null
            ? $"built {manifest.Kind} {manifest.ProgramId} {manifest.Version}, {manifest.Size} bytes in {manifest.BlockCount} blocks, signed by key {keyId}"
            : $"signed package {Path.GetFileName(vendor.PackagePath)}: {manifest.Kind} {manifest.ProgramId} {manifest.Version}, {manifest.Size} bytes in {manifest.BlockCount} blocks, signed by key {keyId}";
        Log.Information("Step 1.1: vendor tool {Built}", built);
        Log.Information("Step 1.2: head-end loaded {Program} {Version}: signature trusted, content matches", manifest.ProgramId, manifest.Version);

        await using var mdmClient = scenario.MdmEndpoint.Length == 0 ? null : new CimServiceClient(new Uri(scenario.MdmEndpoint), Path.Combine(runDirectory, RunFolder.MdmExchangesFile));
        var system = node?.System ?? ActorSystem.Create("amisim", akka.WithFallback(journal ?? JournalConfig.Sqlite(Path.Combine(runDirectory, "headend.db"))));
        Simulation? simulation = null;
        RunProbe? probe = null;
        try
        {
            var outbox = new RunFolderOutbox(Path.Combine(runDirectory, "cim"), mdmClient);
            var model = new SimulationModel(ScenarioAssembly.ModelSetup(scenario, network, loaded, trusted, outbox), scenario.Seed);
            var trace = new TraceFile(TraceFile.Choose(scenario.TracedMeters, network));
            var kernel = ScenarioAssembly.Kernel(scenario, network, KernelSettings.FromConfig(akka.GetConfig("amisim.kernel")), trace);
            var layout = node?.Layout ?? LocalLayout.Instance;
            // Across nodes, partitions keep what they send each other, so that one lost with its node can be rebuilt.
            if (layout.CanRehost) kernel = kernel with { HandOver = true };
            var partitions = await layout.StartAsync(system, model, new RunBlueprint(scenario, packageFile, trusted, kernel));
            simulation = Simulation.Across(system, kernel, partitions, model, rehost: layout.CanRehost ? layout.RehostAsync : null);
            probe = new RunProbe(simulation, network);
            supervisor?.Attach(probe);

            // Step 1.3: the head-end starts the campaign; operator actions are scripted at their times.
            var lastAction = ScenarioAssembly.ScheduleScript(simulation, scenario);
            var taken = new List<TakenAction>();
            var until = SimTime.From(scenario.Until);

            long events = 0;
            long windows = 0;
            long epochs = 0;
            long satOut = 0;
            async Task<RunCompleted> RunToEnd(SimTime limit)
            {
                RunCompleted last;
                do
                {
                    cancellation.ThrowIfCancellationRequested();
                    if (supervisor is not null)
                        foreach (var action in await supervisor.BetweenStepsAsync(simulation.Now, cancellation))
                        {
                            simulation.Schedule(CampaignSetup.Lp, simulation.Now, new OperatorCommand(action.Action, action.Meters, action.By));
                            taken.Add(action with { At = simulation.Now });
                            lastAction = simulation.Now;
                            Log.Information("Operator {Action:l} at virtual {At}, by {By:l}", action.Action.Name(), simulation.Now, action.By);
                        }
                    var length = supervisor?.NextStep(Step) ?? Step;
                    var next = SimTime.Min(limit, new SimTime(simulation.Now.Micros + SimTime.ToMicros(length)));
                    last = await probe.StepAsync(() => simulation.RunAsync(next, cancellation));
                    events += last.EventsHandled;
                    windows += last.Windows;
                    epochs += last.Epochs;
                    satOut += last.SatOut;
                    if (last.Reason != RunEnd.TimeLimit) break;
                    var summary = await AskCampaign<CampaignSummary>(simulation, GetCampaignSummary.Instance);
                    step?.Invoke(simulation.Now, summary);
                    if (supervisor is not null) await supervisor.ShowAsync(simulation.Now, summary, await AskCampaign<List<MeterOutcome>>(simulation, GetMeterOutcomes.Instance), ended: false);
                    // Scripted actions still to come keep the run going; so does a campaign paused or not yet started with an operator to act on it.
                    if (ScenarioAssembly.IsOver(summary, simulation.Now, lastAction) && !(supervisor is not null && summary.Status is CampaignStatus.Paused or CampaignStatus.Created)) break;
                } while (simulation.Now < limit);
                return last;
            }
            var completed = showProgress is null ? await RunToEnd(until) : await showProgress(system, async () =>
            {
                var last = await RunToEnd(until);
                step?.Invoke(simulation.Now, await AskCampaign<CampaignSummary>(simulation, GetCampaignSummary.Instance));
                return last;
            });
            var delivery = await outbox.FlushAsync(scenario.MdmEndpointPatience);

            var summary = await AskCampaign<CampaignSummary>(simulation, GetCampaignSummary.Instance);
            var outcomes = await AskCampaign<List<MeterOutcome>>(simulation, GetMeterOutcomes.Instance);
            if (supervisor is not null) await supervisor.ShowAsync(simulation.Now, summary, outcomes, ended: true);
            var mesh = new List<MeshMetrics>();
            foreach (var collector in network.Collectors)
                mesh.Add(await simulation.AskLpAsync<MeshMetrics>(CollectorSetup.LpOf(collector.Id), GetMeshMetrics.Instance, TimeSpan.FromSeconds(30)));
            var mdm = await simulation.AskLpAsync<List<MdmQueries.MeterView>>(MdmSetup.Lp, MdmQueries.GetAllMeters.Instance, TimeSpan.FromSeconds(60));
            var end = outcomes.Count == 0 ? SimTime.Zero : new SimTime(outcomes.Max(o => o.FinishedMicros));
            await using (var writer = File.CreateText(Path.Combine(runDirectory, "trace.txt")))
                trace.Write(writer, network, scenario.OriginUtc, [
                    $"{SimTime.Zero,-18} 1.1   [vendor tool] {built}",
                    $"{SimTime.Zero,-18} 1.2   [head-end] loaded the package: trusted signature, content matches the signed digests",
                ]);
            using var process = Process.GetCurrentProcess();
            var eventTypes = kernel.CountEventTypes ? await simulation.EventTypesAsync() : null;
            var identity = new PackageIdentity(vendor.PackagePath, Convert.ToHexString(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(packageFile))).ToLowerInvariant(), keyId);
            var result = new RunResult(scenario, network, loaded.Manifest, summary, outcomes, mesh, mdm, end, events, windows, epochs, satOut, wall.Elapsed, process.PeakWorkingSet64, outbox.Written, eventTypes, identity)
            {
                OperatorActions = taken,
                MdmDelivery = delivery,
            };
            if (whileLive is not null) await whileLive(result);
            return result;
        }
        finally
        {
            if (probe is not null) await probe.StopAsync();
            if (node is null) await system.Terminate();
            else
            {
                // The kernel stops before the hosted partitions do, so their end is not taken for a lost node.
                if (simulation is not null) await simulation.StopAsync();
                node.Value.Layout.Release();
            }
        }
    }

    private static async Task<T> AskCampaign<T>(Simulation simulation, object query) =>
        await simulation.AskLpAsync<T>(CampaignSetup.Lp, query, TimeSpan.FromSeconds(60));
}
