using System.ComponentModel;
using Akka.Actor;
using Akka.Configuration;
using AmiSim.HeadEnd.Persistence;
using AmiSim.Host.Clustering;
using AmiSim.Host.Console;
using AmiSim.Host.Run;
using AmiSim.Scenario;
using AmiSim.Kernel;
using AmiSim.Mesh.Topology;
using AmiSim.Protocol.Programs;
using Serilog;
using Spectre.Console;
using Spectre.Console.Cli;

namespace AmiSim.Host.Commands;

/// <summary>
/// <c>amisim run</c>: the whole use case, step 1.1 to 1.11, on a scenario (the embedded default
/// unless --scenario), writing the run folder: report.json, meters.csv, the CIM messages, the
/// program package, the head-end's SQLite database and the log.
/// </summary>
public sealed class RunCommand : AsyncCommand<RunCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--scenario <FILE>")]
        [Description("Scenario file (HOCON, keys in hocon/scenario-reference.conf); default: the embedded default scenario.")]
        public string? Scenario { get; init; }

        [CommandOption("--set <KEY=VALUE>")]
        [Description("Override a key, HOCON syntax (amisim.scenario.* or akka/amisim.kernel); repeatable.")]
        public string[] Set { get; init; } = [];

        [CommandOption("--seed <N>")]
        [Description("Seed of the run (overrides amisim.scenario.seed).")]
        public long? Seed { get; init; }

        [CommandOption("--out <DIR>")]
        [Description("Run folder to write (default: runs/<scenario>-<seed>-<UTC time>).")]
        public string? Out { get; init; }

        [CommandOption("--cluster")]
        [Description("Run as the first node of an Akka.Cluster and spread the kernel's partitions over --nodes nodes (the others: amisim node).")]
        public bool Cluster { get; init; }

        [CommandOption("--nodes <N>")]
        [Description("With --cluster: nodes to wait for, this one included (default 1).")]
        public int Nodes { get; init; } = 1;

        [CommandOption("--port <PORT>")]
        [Description("With --cluster: TCP port of this node, the one the others join (default 4051).")]
        public int Port { get; init; } = 4051;

        [CommandOption("--hostname <HOST>")]
        [Description("With --cluster: address the other nodes reach this one at (default 127.0.0.1).")]
        public string Hostname { get; init; } = "127.0.0.1";

        [CommandOption("--journal-postgres <CONNECTION>")]
        [Description("Keep the head-end's and the MDM's journals in this PostgreSQL database (a cluster's shared store) instead of headend.db.")]
        public string? JournalPostgres { get; init; }

        public override ValidationResult Validate() =>
            Nodes < 1 ? ValidationResult.Error($"--nodes {Nodes}: at least 1")
            : Nodes > 1 && !Cluster ? ValidationResult.Error("--nodes needs --cluster")
            : Port is < 0 or > 65535 ? ValidationResult.Error($"--port {Port}: expected 0 to 65535")
            : ValidationResult.Success();
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        ScenarioSettings scenario;
        Akka.Configuration.Config akka;
        string? heap;
        try
        {
            var (text, source) = settings.Scenario is { } path
                ? (File.Exists(path) ? File.ReadAllText(path) : throw new ScenarioException($"{path}: no such scenario file"), path)
                : (HoconLoader.Embedded("scenarios/default.conf"), "default scenario");
            var overrides = settings.Set.Concat(settings.Seed is { } seed ? [$"{ScenarioReader.Root}.seed={seed}"] : []).ToList();
            scenario = ScenarioSettings.Read(ScenarioReader.Load(text, source, overrides));
            akka = HoconLoader.Load(settings.Set.Where(s => !s.TrimStart().StartsWith(ScenarioReader.Root, StringComparison.Ordinal)));
            heap = HeapBudget.Apply(akka, scenario.Fleet.Meters);
        }
        catch (Exception error) when (error is ScenarioException or HoconInputException or Akka.Configuration.ConfigurationException)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {error.Message}");
            return 2;
        }

        var runDir = settings.Out ?? Path.Combine("runs", $"{scenario.Name}-{scenario.Seed}-{DateTime.UtcNow:yyyyMMdd-HHmmss}");
        Directory.CreateDirectory(runDir);
        Logging.Start(Path.Combine(runDir, "amisim.log"));
        Log.Information("Scenario {Name}, seed {Seed}: {Meters} meters, {Collectors} collectors, {Distribution} of {Program} {Version}",
            scenario.Name, scenario.Seed, scenario.Fleet.Meters, scenario.Fleet.Collectors, scenario.Campaign.Distribution, scenario.Program.Id, scenario.Program.Version);
        if (heap is not null) Log.Information("{Heap}", heap);
        AnsiConsole.MarkupLineInterpolated($"[bold]{scenario.Name}[/] (seed {scenario.Seed}): {scenario.Program.Kind} {scenario.Program.Id} {scenario.Program.Version} to {scenario.Fleet.Meters:N0} meters under {scenario.Fleet.Collectors} collectors, {scenario.Campaign.Distribution}");
        ActorSystem? node = null;
        var journal = settings.JournalPostgres is { } connection ? JournalConfig.PostgreSql(connection) : JournalConfig.Sqlite(Path.Combine(runDir, "headend.db"));
        try
        {
            (ActorSystem, IPartitionLayout)? cluster = null;
            if (settings.Cluster)
            {
                // One partition per node unless --set gives a count (auto is not one); the head-end's journal stays on this node.
                var partitionsSet = settings.Set.Any(s => s.TrimStart().StartsWith("amisim.kernel.partitions", StringComparison.Ordinal));
                if (!partitionsSet || !int.TryParse(akka.GetString("amisim.kernel.partitions", ""), out var partitions) || partitions <= 0)
                    akka = ConfigurationFactory.ParseString($"amisim.kernel.partitions = {settings.Nodes}").WithFallback(akka);
                node = ClusterNode.Start(settings.Hostname, settings.Port, [], akka.WithFallback(journal));
                AnsiConsole.MarkupLineInterpolated($"cluster node {Akka.Cluster.Cluster.Get(node).SelfAddress}: waiting for {settings.Nodes} nodes");
                var members = await ClusterNode.WaitForMembersAsync(node, settings.Nodes, TimeSpan.FromMinutes(2), cancellation);
                Log.Information("Cluster of {Count} nodes: {Nodes}", members.Count, string.Join(", ", members));
                cluster = (node, new ClusterLayout(members));
            }
            var result = await new ScenarioRun(scenario, runDir, cluster, journal).RunAsync(akka,
                (system, run, until, campaign) => new ProgressView(until, campaign).ShowAsync(system, () => run(until)), cancellation);
            var report = RunReport.Build(result);
            await File.WriteAllTextAsync(Path.Combine(runDir, "report.json"), RunReport.ToJson(report), cancellation);
            await File.WriteAllTextAsync(Path.Combine(runDir, "report.html"), ReportHtml.Render(report), cancellation);
            await using (var csv = File.CreateText(Path.Combine(runDir, "meters.csv"))) RunReport.WriteMetersCsv(result, csv);
            Log.Information("Run finished: {Outcomes}; digest {Digest}", report["outcomes"]!.ToJsonString(), report["resultDigest"]!.GetValue<string>());

            var table = new Table().AddColumns("final state", "meters");
            foreach (var (phase, count) in report["outcomes"]!.AsObject()) table.AddRow(phase, count!.ToJsonString());
            AnsiConsole.Write(table);
            AnsiConsole.MarkupLineInterpolated($"campaign {result.Summary.Status}{(result.Summary.PauseReason.Length > 0 ? $" ({result.Summary.PauseReason})" : "")}; last meter finished at virtual {result.End}");
            AnsiConsole.MarkupLineInterpolated($"MDM: {report["mdm"]!["metersOnProgramVersion"]} meters on {result.Manifest.Version}; {result.CimMessages} CIM messages");
            AnsiConsole.MarkupLineInterpolated($"{result.Events:N0} events in {result.Windows:N0} windows, {result.Wall.TotalSeconds:0.0} s wall; peak {result.PeakWorkingSetBytes / (1 << 20):N0} MiB");
            AnsiConsole.MarkupLineInterpolated($"result digest {report["resultDigest"]!.GetValue<string>()}");
            AnsiConsole.MarkupLineInterpolated($"run folder: {Path.GetFullPath(runDir)}");
            return 0;
        }
        catch (Exception error) when (error is PackageRejectedException or TopologyException or SimulationFailedException or ScenarioException or IOException or TimeoutException)
        {
            Log.Error("Run failed: {Reason}", error.Message);
            AnsiConsole.MarkupLineInterpolated($"[red]run failed:[/] {error.Message}");
            return 1;
        }
        finally
        {
            if (node is not null) await node.Terminate();
            await Logging.StopAsync();
        }
    }
}
