using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Akka.Actor;
using AmiSim.Host.Cli;
using AmiSim.Host.Clustering;
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
    public sealed class Settings : TlsSettings
    {
        [CommandOption("--scenario <FILE>")]
        [Description("The scenario to vary (default: the embedded one).")]
        public string? Scenario { get; init; }

        [CommandOption("--vary <KEY=V1,V2>")]
        [Description("A scenario key (amisim.scenario. may be left out) and its values, repeatable: every combination runs, such as campaign.distribution=unicast,multicast.")]
        public string[] Vary { get; init; } = [];

        [CommandOption("--set <KEY=VALUE>")]
        [Description("A scenario key every run gets (repeatable).")]
        public string[] Set { get; init; } = [];

        [CommandOption("--seeds <N>")]
        [Description("Seeds per combination (default 3): the base seed, then base+1 and so on.")]
        public int Seeds { get; init; } = 3;

        [CommandOption("--seed <N>")]
        [Description("The base seed (default: the scenario's).")]
        public long? Seed { get; init; }

        [CommandOption("--parallel <N>")]
        [Description("Runs at once, each a process (default: the core count).")]
        public int Parallel { get; init; } = Environment.ProcessorCount;

        [CommandOption("--objective <METRIC>")]
        [Description("What the best combination has least of: duration (virtual hours to the last meter), p95 (virtual hours to 95 % of the targeted meters; the default), failed (% failed or timed out) or airtime (downlink hours).")]
        public string Objective { get; init; } = "p95";

        [CommandOption("--constraint <EXPR>")]
        [Description("A bound the best combination's mean must meet (repeatable), in the metric's unit: failed<=0.5% (percent), duration<48h (hours).")]
        public string[] Constraint { get; init; } = [];

        [CommandOption("--cluster")]
        [Description("Be the first node of an Akka.Cluster and spread whole runs over --nodes nodes (the others: amisim node --seed-nodes akka.tcp://amisim@HOST:PORT).")]
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

        [CommandOption("--out <DIR>")]
        [Description("The sweep folder (default sweeps/<scenario>); a second sweep into it with the same arguments finishes what is missing.")]
        public string? Out { get; init; }

        public override ValidationResult Validate() =>
            Vary.Length == 0 ? ValidationResult.Error("--vary: give at least one, such as --vary campaign.distribution=unicast,multicast")
            : Seeds is < 1 or > 1000 ? ValidationResult.Error($"--seeds {Seeds}: expected 1 to 1000")
            : Parallel is < 1 or > 256 ? ValidationResult.Error($"--parallel {Parallel}: expected 1 to 256")
            : !Sweep.TryMetric(Objective, out _) ? ValidationResult.Error($"--objective {Objective}: expected one of {Sweep.MetricNames}")
            : Nodes is < 1 or > 1000 ? ValidationResult.Error($"--nodes {Nodes}: expected 1 to 1000")
            : Nodes > 1 && !Cluster ? ValidationResult.Error("--nodes needs --cluster")
            : Port is < 0 or > 65535 ? ValidationResult.Error($"--port {Port}: expected 0 to 65535")
            : !Cluster && Port != 4051 ? ValidationResult.Error("--port needs --cluster")
            : !Cluster && Hostname != "127.0.0.1" ? ValidationResult.Error("--hostname needs --cluster")
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
        ClusterTls? tls;
        try
        {
            tls = ClusterTls.For(settings.Cluster, settings.Hostname, settings.Tls);
            keys = settings.Vary.Select(SweepKey.Parse).ToList();
            if (keys.GroupBy(k => k.Key).FirstOrDefault(g => g.Count() > 1) is { } twice) throw new InputException($"--vary {twice.Key}: given twice; list its values in one --vary");
            if (keys.FirstOrDefault(k => settings.Set.Any(set => set.Split('=')[0].Trim() == $"{ScenarioReader.Root}.{k.Key}")) is { } both)
                throw new InputException($"--vary {both.Key} and --set {ScenarioReader.Root}.{both.Key}: a key is either varied or set, not both");
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
        using var signals = new SignalCancellation(cancellation);
        cancellation = signals.Token;

        var output = ConsoleOutput.Create();
        var runs = grid.SelectMany(c => seeds.Select(s => new SweepRun(c, s, Sweep.RunFolder(folder, c, s)))).ToList();
        var todo = runs.Where(r => !Sweep.Finished(r.Folder)).ToList();
        SweepCluster? cluster = null;
        try
        {
            if (settings.Cluster)
            {
                Logging.StartFileOnly(Path.Combine(folder, "logs", "sweep.log"));
                try
                {
                    cluster = await SweepCluster.StartAsync(settings.Hostname, settings.Port, settings.Nodes, HoconLoader.Load([]),
                        line => output.MarkupLineInterpolated($"{line}"), cancellation, tls);
                }
                catch (Exception error) when (error is TimeoutException or AskTimeoutException or ActorNotFoundException)
                {
                    return ErrorLine.Exit(ExitCode.RunFailed, $"--cluster: {error.Message}");
                }
            }
            var where = cluster is null ? $"{settings.Parallel} at a time"
                : $"{settings.Parallel} at a time here and {string.Join(", ", cluster.Workers.Select(w => $"{w.Slots} on {w.Node}"))}";
            static string Of(int count, string what) => $"{count:N0} {what}{(count == 1 ? "" : "s")}";
            output.MarkupLineInterpolated($"sweep of {Of(grid.Count, "combination")} × {Of(seeds.Count, "seed")} = {Of(runs.Count, "run")} into {folder}; {runs.Count - todo.Count} already finished, {todo.Count} to run, {where}");
            var failures = await RunAll(settings, todo, folder, cluster, new SweepProgress(output, todo.Count), cancellation);
            if (cancellation.IsCancellationRequested) throw new OperationCanceledException();
            return Summarize(settings, keys, constraints, grid, seeds, folder, scenarioName, failures, todo.Count, output);
        }
        catch (OperationCanceledException)
        {
            var finished = runs.Count(r => Sweep.Finished(r.Folder));
            return ErrorLine.Exit(ExitCode.Interrupted, $"interrupted: {finished} of {runs.Count} runs finished; the same command again runs the rest");
        }
        finally
        {
            if (cluster is not null)
            {
                await cluster.DisposeAsync();
                await Logging.StopAsync();
            }
        }
    }

    /// <summary>One run of the sweep: a combination, a seed, and the run folder it fills.</summary>
    private sealed record SweepRun(Combination Combination, long Seed, string Folder)
    {
        public string Label => $"{Combination.Label}, seed {Seed}";

        public string Log(string sweep) => Path.Combine(sweep, "logs", $"{Combination.Folder}-seed-{Seed}.log");
    }

    /// <summary>
    /// Runs <paramref name="todo"/>: --parallel at a time in processes here, and as many as each of the
    /// cluster's other nodes takes there. A run whose node leaves goes back to the queue. Returns the
    /// runs that failed, with why.
    /// </summary>
    private static async Task<Dictionary<string, string>> RunAll(Settings settings, IReadOnlyList<SweepRun> todo, string folder, SweepCluster? cluster,
        SweepProgress progress, CancellationToken cancellation)
    {
        var queue = new System.Collections.Concurrent.ConcurrentQueue<SweepRun>(todo);
        var failures = new Dictionary<string, string>();
        void Ended(SweepRun run, string? why, TimeSpan took, string? node)
        {
            if (why is not null) lock (failures) failures[run.Folder] = why;
            progress.Finished(node is null ? run.Label : $"{run.Label} on {node}", why, took);
        }
        async Task Here()
        {
            while (!cancellation.IsCancellationRequested && queue.TryDequeue(out var run))
            {
                progress.Started();
                var started = Stopwatch.StartNew();
                var why = await RunProcess.RunAsync(RunProcess.Arguments(settings.Scenario, [.. settings.Set, .. run.Combination.Sets], run.Seed, run.Folder), run.Folder,
                    run.Log(folder), cancellation);
                Ended(run, why, started.Elapsed, null);
            }
        }
        var scenarioText = settings.Scenario is null || cluster is null ? null : await File.ReadAllTextAsync(settings.Scenario, cancellation);
        async Task There(IActorRef worker, Address node)
        {
            while (!cancellation.IsCancellationRequested && queue.TryDequeue(out var run))
            {
                progress.Started();
                var started = Stopwatch.StartNew();
                var order = new SweepRunOrder(Guid.NewGuid().ToString("N"), settings.Scenario is null ? null : Path.GetFileName(settings.Scenario),
                    settings.Scenario is null ? null : Path.GetFullPath(settings.Scenario), scenarioText, [.. settings.Set, .. run.Combination.Sets], run.Seed);
                try
                {
                    Ended(run, await cluster!.RunAsync(worker, order, run.Folder, run.Log(folder), cancellation), started.Elapsed, node.ToString());
                }
                catch (NodeLostException)
                {
                    progress.Requeued(node.ToString());
                    queue.Enqueue(run);
                    return; // this node is gone: its other slots end at their next run
                }
            }
        }
        try
        {
            // A run given back by a node that left is taken by the next free slot; when every slot has
            // ended with runs still queued (their node left last), this node runs them.
            do
            {
                var slots = Enumerable.Range(0, settings.Parallel).Select(_ => Here()).ToList();
                if (cluster is not null)
                    slots.AddRange(cluster.Workers.Where(w => !w.Worker.IsNobody()).SelectMany(w => Enumerable.Range(0, w.Slots).Select(_ => There(w.Worker, w.Node))));
                await progress.ShowAsync(() => Task.WhenAll(slots));
            }
            while (!queue.IsEmpty && !cancellation.IsCancellationRequested);
        }
        catch (OperationCanceledException)
        {
            // The caller says so.
        }
        return failures;
    }

    private static int Summarize(Settings settings, IReadOnlyList<SweepKey> keys, IReadOnlyList<SweepConstraint> constraints, IReadOnlyList<Combination> grid,
        IReadOnlyList<long> seeds, string folder, string scenarioName, Dictionary<string, string> failures, int ran, IAnsiConsole output)
    {
        var results = grid.Select(c =>
        {
            var reports = seeds.Select(s => Sweep.FinishedReport(Sweep.RunFolder(folder, c, s))).OfType<JsonObject>().ToList();
            return Sweep.Summarize(c, reports, seeds.Count - reports.Count);
        }).ToList();
        Sweep.TryMetric(settings.Objective, out var objective);
        var best = Sweep.Best(results, objective, constraints);
        File.WriteAllText(Path.Combine(folder, "sweep.csv"), Sweep.Csv(keys, results, constraints, best));
        File.WriteAllText(Path.Combine(folder, "sweep.html"), SweepHtml.Render(new SweepPage(scenarioName, keys, seeds, results, objective, constraints, best)));

        var table = new Table().AddColumns([.. keys.Select(k => k.Key), "runs", .. Enum.GetValues<SweepMetric>().Select(Sweep.Describe)]);
        foreach (var r in results)
            table.AddRow([.. r.Combination.Values.Select(v => Markup.Escape(v.Value)), $"{r.Runs}", .. Enum.GetValues<SweepMetric>().Select(m => SweepHtml.Cell(r.Metrics[m]))]);
        output.Write(table);
        var under = constraints.Count == 0 ? "" : $" under {string.Join(", ", constraints)}";
        if (best is null) output.MarkupLineInterpolated($"[yellow]no combination {(constraints.Count == 0 ? "finished a run" : $"meets {string.Join(", ", constraints)}")}[/]");
        else output.MarkupLineInterpolated($"best for least {Sweep.Describe(objective)}{under}: [bold]{best.Combination.Label}[/] ({SweepHtml.Cell(best.Metrics[objective])})");
        output.MarkupLineInterpolated($"wrote {Path.Combine(folder, "sweep.csv")} and {Path.Combine(folder, "sweep.html")}");
        if (failures.Count == 0) return ExitCode.Completed;
        foreach (var (run, why) in failures.OrderBy(f => f.Key, StringComparer.Ordinal)) output.MarkupLineInterpolated($"[red]failed:[/] {run}: {why}");
        return ErrorLine.Exit(ExitCode.RunFailed, $"{failures.Count} of {ran} runs failed (their logs are in {Path.Combine(folder, "logs")}); the same command again retries them");
    }

    /// <summary>Reads a combination's input as its run will; an error names the --vary that made the bad value.</summary>
    private static RunInput ReadCombination(Settings settings, Combination combination)
    {
        try
        {
            var input = RunInput.Read(settings.Scenario, [.. settings.Set, .. combination.Sets], settings.Seed);
            // A sweep's runs have no console: a campaign only the operator can start would never start.
            return input.Scenario.WaitsForOperator ? throw new InputException(RunCommand.WaitsForOperator) : input;
        }
        catch (InputException error)
        {
            var message = combination.Values.Aggregate(error.Message, (m, v) => m.Replace($"--set {ScenarioReader.Root}.{v.Key}={v.Value}", $"--vary {v.Key}={v.Value}", StringComparison.Ordinal));
            throw new InputException(message);
        }
    }
}
