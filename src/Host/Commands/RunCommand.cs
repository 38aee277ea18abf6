using System.ComponentModel;
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
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        ScenarioSettings scenario;
        Akka.Configuration.Config akka;
        try
        {
            var (text, source) = settings.Scenario is { } path
                ? (File.Exists(path) ? File.ReadAllText(path) : throw new ScenarioException($"{path}: no such scenario file"), path)
                : (HoconLoader.Embedded("scenarios/default.conf"), "default scenario");
            var overrides = settings.Set.Concat(settings.Seed is { } seed ? [$"{ScenarioReader.Root}.seed={seed}"] : []).ToList();
            scenario = ScenarioSettings.Read(ScenarioReader.Load(text, source, overrides));
            akka = HoconLoader.Load(settings.Set.Where(s => !s.TrimStart().StartsWith(ScenarioReader.Root, StringComparison.Ordinal)));
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
        AnsiConsole.MarkupLineInterpolated($"[bold]{scenario.Name}[/] (seed {scenario.Seed}): {scenario.Program.Kind} {scenario.Program.Id} {scenario.Program.Version} to {scenario.Fleet.Meters:N0} meters under {scenario.Fleet.Collectors} collectors, {scenario.Campaign.Distribution}");
        try
        {
            var result = await new ScenarioRun(scenario, runDir).RunAsync(akka,
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
        catch (Exception error) when (error is PackageRejectedException or TopologyException or SimulationFailedException or ScenarioException or IOException)
        {
            Log.Error("Run failed: {Reason}", error.Message);
            AnsiConsole.MarkupLineInterpolated($"[red]run failed:[/] {error.Message}");
            return 1;
        }
        finally
        {
            await Logging.StopAsync();
        }
    }
}
