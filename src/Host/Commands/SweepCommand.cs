using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using AmiSim.Host.Cli;
using AmiSim.Host.Console;
using AmiSim.Host.Run;
using AmiSim.Scenario;
using Spectre.Console;
using Spectre.Console.Cli;

namespace AmiSim.Host.Commands;

/// <summary>
/// <c>amisim sweep</c>: runs a grid of scenario variants, each with several seeds, every run in a process
/// of its own (so that one crash is reported and the rest go on), then writes sweep.csv and names the
/// best combination. Started again with the same arguments, it runs only what is not finished.
/// </summary>
public sealed class SweepCommand : AsyncCommand<SweepCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--scenario <FILE>")]
        [Description("The scenario to vary (default: the embedded one).")]
        public string? Scenario { get; init; }

        [CommandOption("--vary <KEY=V1,V2>")]
        [Description("A scenario key and its values (repeatable: every combination runs), such as campaign.distribution=unicast,multicast.")]
        public string[] Vary { get; init; } = [];

        [CommandOption("--set <KEY=VALUE>")]
        [Description("A scenario key every run gets (repeatable).")]
        public string[] Set { get; init; } = [];

        [CommandOption("--seeds <N>")]
        [Description("Seeds per combination (default 3): the base seed, base+1, ...")]
        public int Seeds { get; init; } = 3;

        [CommandOption("--seed <N>")]
        [Description("The base seed (default: the scenario's).")]
        public long? Seed { get; init; }

        [CommandOption("--parallel <N>")]
        [Description("Runs at once, each a process (default: the core count).")]
        public int Parallel { get; init; } = Environment.ProcessorCount;

        [CommandOption("--objective <METRIC>")]
        [Description("What the best combination has least of: duration, p95, failed or airtime (default p95).")]
        public string Objective { get; init; } = "p95";

        [CommandOption("--constraint <EXPR>")]
        [Description("A bound the best combination's mean must meet (repeatable), such as failed<=0.5%.")]
        public string[] Constraint { get; init; } = [];

        [CommandOption("--out <DIR>")]
        [Description("The sweep folder (default sweeps/<scenario>); a second sweep into it with the same arguments finishes what is missing.")]
        public string? Out { get; init; }

        public override ValidationResult Validate() =>
            Vary.Length == 0 ? ValidationResult.Error("--vary: give at least one, such as --vary campaign.distribution=unicast,multicast")
            : Seeds is < 1 or > 1000 ? ValidationResult.Error($"--seeds {Seeds}: expected 1 to 1000")
            : Parallel is < 1 or > 256 ? ValidationResult.Error($"--parallel {Parallel}: expected 1 to 256")
            : !Sweep.TryMetric(Objective, out _) ? ValidationResult.Error($"--objective {Objective}: expected one of {Sweep.MetricNames}")
            : ValidationResult.Success();
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        List<SweepKey> keys;
        List<SweepConstraint> constraints;
        IReadOnlyList<Combination> grid;
        IReadOnlyList<long> seeds;
        string folder;
        string scenarioName;
        try
        {
            keys = settings.Vary.Select(SweepKey.Parse).ToList();
            if (keys.GroupBy(k => k.Key).FirstOrDefault(g => g.Count() > 1) is { } twice) throw new InputException($"--vary {twice.Key}: given twice; list its values in one --vary");
            constraints = settings.Constraint.Select(SweepConstraint.Parse).ToList();
            grid = Sweep.Grid(keys);
            if (grid.Count * settings.Seeds > 10_000) throw new InputException($"{grid.Count:N0} combinations × {settings.Seeds} seeds: more than the 10,000 runs a sweep may have");
            // Every combination is read and checked as its runs will be, before any runs.
            var first = grid.Select(c => ReadCombination(settings, c)).ToList()[0];
            seeds = Sweep.Seeds(settings.Seed ?? first.Scenario.Seed, settings.Seeds);
            scenarioName = first.Scenario.Name;
            folder = settings.Out ?? Path.Combine("sweeps", first.Scenario.Name);
            if (File.Exists(folder)) throw new InputException($"--out {folder}: is a file, not a folder");
            var manifest = SweepManifest.Of(settings.Scenario, settings.Set, seeds[0]);
            var earlier = Path.Combine(folder, SweepManifest.FileName);
            if (File.Exists(earlier) && SweepManifest.Read(earlier).Difference(manifest) is { } difference)
                throw new InputException($"--out {folder}: holds a sweep {difference}; its finished runs would be taken for this one's. Give another --out");
            if (!File.Exists(earlier) && Directory.Exists(folder) && Directory.EnumerateFileSystemEntries(folder).Any())
                throw new InputException($"--out {folder}: a folder that holds other things and no {SweepManifest.FileName}; give a new or empty folder");
            Directory.CreateDirectory(Path.Combine(folder, "logs"));
            manifest.Write(earlier);
        }
        catch (Exception error) when (error is FormatException or InputException)
        {
            return ErrorLine.Exit(ExitCode.BadInput, error.Message);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return ErrorLine.Exit(ExitCode.BadInput, $"--out {settings.Out}: cannot be made: {error.Message}");
        }

        // Ctrl+C or SIGTERM: stop the runs under way (their folders are finished by the next sweep); a second one ends the process at once.
        using var interrupt = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        Action<System.Runtime.InteropServices.PosixSignalContext> stop = signal =>
        {
            if (interrupt.IsCancellationRequested) return;
            signal.Cancel = true;
            interrupt.Cancel();
        };
        using var sigint = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, stop);
        using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, stop);
        cancellation = interrupt.Token;

        var output = ConsoleOutput.Create();
        var runs = grid.SelectMany(c => seeds.Select(s => (Combination: c, Seed: s, Folder: Path.Combine(folder, c.Folder, $"seed-{s}")))).ToList();
        var todo = runs.Where(r => !Sweep.Finished(r.Folder)).ToList();
        output.MarkupLineInterpolated($"sweep of {grid.Count} combinations × {seeds.Count} seeds = {runs.Count} runs into {folder}; {runs.Count - todo.Count} already finished, {todo.Count} to run, {settings.Parallel} at a time");

        var failures = new Dictionary<string, string>();
        var progress = new SweepProgress(output, todo.Count);
        using var gate = new SemaphoreSlim(settings.Parallel);
        async Task RunLimited((Combination Combination, long Seed, string Folder) run)
        {
            await gate.WaitAsync(cancellation);
            try
            {
                progress.Started();
                var started = Stopwatch.StartNew();
                var why = await RunOne(settings, run.Combination, run.Seed, run.Folder, Path.Combine(folder, "logs", $"{run.Combination.Folder}-seed-{run.Seed}.log"), cancellation);
                if (why is not null) lock (failures) failures[run.Folder] = why;
                progress.Finished($"{run.Combination.Label}, seed {run.Seed}", why, started.Elapsed);
            }
            finally
            {
                gate.Release();
            }
        }
        try
        {
            await progress.ShowAsync(() => Task.WhenAll(todo.Select(RunLimited)));
        }
        catch (OperationCanceledException)
        {
            var finished = runs.Count(r => Sweep.Finished(r.Folder));
            return ErrorLine.Exit(ExitCode.Interrupted, $"interrupted: {finished} of {runs.Count} runs finished; the same command again runs the rest");
        }

        var results = grid.Select(c =>
        {
            var reports = seeds.Select(s => Path.Combine(folder, c.Folder, $"seed-{s}")).Where(Sweep.Finished)
                .Select(f => (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(f, "report.json")))!).ToList();
            return Sweep.Summarize(c, reports, seeds.Count - reports.Count);
        }).ToList();
        Sweep.TryMetric(settings.Objective, out var objective);
        var best = Sweep.Best(results, objective, constraints);
        await File.WriteAllTextAsync(Path.Combine(folder, "sweep.csv"), Sweep.Csv(keys, results), cancellation);
        await File.WriteAllTextAsync(Path.Combine(folder, "sweep.html"),
            SweepHtml.Render(new SweepPage(scenarioName, keys, seeds, results, objective, constraints, best)), cancellation);

        var table = new Table().AddColumns([.. keys.Select(k => k.Key), "runs", .. Enum.GetValues<SweepMetric>().Select(Sweep.Describe)]);
        foreach (var r in results)
            table.AddRow([.. r.Combination.Values.Select(v => Markup.Escape(v.Value)), $"{r.Runs}", .. Enum.GetValues<SweepMetric>().Select(m => SweepHtml.Cell(r.Metrics[m]))]);
        output.Write(table);
        var under = constraints.Count == 0 ? "" : $" under {string.Join(", ", constraints)}";
        if (best is null) output.MarkupLineInterpolated($"[yellow]no combination meets{under}[/]");
        else output.MarkupLineInterpolated($"best for least {Sweep.Describe(objective)}{under}: [bold]{best.Combination.Label}[/] ({SweepHtml.Cell(best.Metrics[objective])})");
        output.MarkupLineInterpolated($"wrote {Path.Combine(folder, "sweep.csv")} and {Path.Combine(folder, "sweep.html")}");
        if (failures.Count == 0) return ExitCode.Completed;
        foreach (var (run, why) in failures.OrderBy(f => f.Key, StringComparer.Ordinal)) output.MarkupLineInterpolated($"[red]failed:[/] {run}: {why}");
        return ErrorLine.Exit(ExitCode.RunFailed, $"{failures.Count} of {todo.Count} runs failed (their logs are in {Path.Combine(folder, "logs")}); the same command again retries them");
    }

    /// <summary>Reads a combination's input as its run will; an error names the --vary that made the bad value.</summary>
    private static RunInput ReadCombination(Settings settings, Combination combination)
    {
        try
        {
            return RunInput.Read(settings.Scenario, [.. settings.Set, .. combination.Sets], settings.Seed);
        }
        catch (InputException error)
        {
            var message = combination.Values.Aggregate(error.Message, (m, v) => m.Replace($"--set {ScenarioReader.Root}.{v.Key}={v.Value}", $"--vary {v.Key}={v.Value}", StringComparison.Ordinal));
            throw new InputException(message);
        }
    }

    /// <summary>One run in a process of its own: amisim run with the combination's keys and the seed. Exit 0 or 3 (its report written) is a finished run: null; else why not.</summary>
    private static async Task<string?> RunOne(Settings settings, Combination combination, long seed, string folder, string log, CancellationToken cancellation)
    {
        var dll = typeof(SweepCommand).Assembly.Location;
        var host = Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";
        var args = new List<string> { dll, "run", "--seed", seed.ToString(CultureInfo.InvariantCulture), "--out", folder };
        if (Directory.Exists(folder)) args.Add("--force"); // an unfinished run's folder, from an interrupted sweep
        if (settings.Scenario is { } scenario) args.AddRange(["--scenario", Path.GetFullPath(scenario)]);
        foreach (var set in settings.Set.Concat(combination.Sets)) args.AddRange(["--set", set]);
        var start = new ProcessStartInfo(host, args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.Environment["NO_COLOR"] = "1";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(cancellation);
        var stderr = process.StandardError.ReadToEndAsync(cancellation);
        try
        {
            await process.WaitForExitAsync(cancellation);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        var error = await stderr;
        await File.WriteAllTextAsync(log, await stdout + error, CancellationToken.None);
        var code = process.ExitCode;
        if (code is ExitCode.Completed or ExitCode.CampaignNotCompleted && Sweep.Finished(folder)) return null;
        var last = error.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault()?.Trim() ?? "";
        return $"exit {code}{(last.Length > 0 ? ": " + last : "")}";
    }
}
