using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using AmiSim.Host.Run;
using OpenQA.Selenium;
using Xunit;

namespace AmiSim.Host.Tests;

/// <summary><c>amisim sweep</c> over 2 keys × 3 values × 3 seeds of the small scenario, as a user runs it: its runs in processes of their own.</summary>
[Collection("runs")]
public sealed partial class SweepCommandTests : IDisposable
{
    private static readonly string Small = Path.Combine(AppContext.BaseDirectory, "scenarios", "small.conf");
    private readonly string _dir = Directory.CreateTempSubdirectory("amisim-sweep-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string[] Arguments(string folder) =>
    [
        "sweep", "--scenario", Small, "--vary", "campaign.distribution=unicast,multicast", "--vary", "campaign.sessions-per-collector=4,8,16",
        "--seeds", "3", "--parallel", "2", "--constraint", "failed<=0.5%", "--out", folder,
    ];

    private static string RunFolder(string sweep, string distribution, string sessions, long seed) =>
        Path.Combine(sweep, $"campaign.distribution={distribution}+campaign.sessions-per-collector={sessions}", $"seed-{seed}");

    private static List<string> AllRunFolders(string sweep) =>
        [.. from d in new[] { "unicast", "multicast" } from s in new[] { "4", "8", "16" } from seed in new long[] { 1, 2, 3 } select RunFolder(sweep, d, s, seed)];

    private static double Number(JsonNode? node) => double.Parse(node!.ToJsonString(), CultureInfo.InvariantCulture);

    [GeneratedRegex(@"best for least [^:]+: (.+) \(")]
    private static partial Regex BestLine();

    [Fact]
    public async Task Killed_midway_and_started_again_it_runs_only_the_missing_runs_then_its_csv_holds_the_run_folders_means_and_the_same_best_twice()
    {
        var folder = Path.Combine(_dir, "sweep");
        var runs = AllRunFolders(folder);

        // A sweep killed (SIGKILL, its runs with it) once a few runs have finished.
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "amisim.dll"), .. Arguments(folder)]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using (var first = Process.Start(start)!)
        {
            _ = first.StandardOutput.ReadToEndAsync();
            _ = first.StandardError.ReadToEndAsync();
            var waited = Stopwatch.StartNew();
            while (runs.Count(Sweep.Finished) < 4 && !first.HasExited && waited.Elapsed < TimeSpan.FromMinutes(4)) await Task.Delay(100);
            Assert.False(first.HasExited, "the sweep ended before it could be killed");
            first.Kill(entireProcessTree: true);
            await first.WaitForExitAsync();
        }
        var before = runs.Where(Sweep.Finished).ToDictionary(r => r, r => File.GetLastWriteTimeUtc(Path.Combine(r, "report.json")));
        Assert.InRange(before.Count, 4, 17);

        var (code, output, error) = await CommandLine.RunAsync(TimeSpan.FromMinutes(6), Arguments(folder));

        Assert.True(code == ExitCode.Completed, error + output);
        Assert.Contains($"18 runs into {folder}; {before.Count} already finished, {18 - before.Count} to run", output);
        Assert.All(runs, r => Assert.True(Sweep.Finished(r), $"{r} is not finished"));
        foreach (var (run, written) in before) Assert.Equal(written, File.GetLastWriteTimeUtc(Path.Combine(run, "report.json"))); // not run again

        // sweep.csv: one row per combination, its means those of its three run folders' report.json.
        var lines = (await File.ReadAllTextAsync(Path.Combine(folder, "sweep.csv"))).TrimEnd('\n').Split('\n');
        var header = lines[0].Split(',');
        double Cell(string[] row, string column) => double.Parse(row[Array.IndexOf(header, column)], CultureInfo.InvariantCulture);
        Assert.Equal(7, lines.Length);
        var means = new Dictionary<string, (double P95, double Failed)>();
        foreach (var row in lines.Skip(1).Select(l => l.Split(',')))
        {
            var (distribution, sessions) = (row[0], row[1]);
            var reports = new long[] { 1, 2, 3 }.Select(s => JsonNode.Parse(File.ReadAllText(Path.Combine(RunFolder(folder, distribution, sessions, s), "report.json")))!).ToList();
            Assert.Equal(3, Cell(row, "runs"));
            var durations = reports.Select(r => Number(r["virtualTime"]!["durationHours"])).ToList();
            Assert.Equal(durations.Average(), Cell(row, "duration_h_mean"), tolerance: 1e-6);
            var sd = Math.Sqrt(durations.Sum(d => (d - durations.Average()) * (d - durations.Average())) / 2);
            Assert.Equal(durations.Average() - 4.302653 * sd / Math.Sqrt(3), Cell(row, "duration_h_ci95_low"), tolerance: 1e-5);
            var p95 = reports.Select(r => r["timeToShare"]!["all"]!["p95"] is { } p ? Number(p) : Number(r["virtualTime"]!["durationHours"])).Average();
            Assert.Equal(p95, Cell(row, "p95_h_mean"), tolerance: 1e-6);
            var failed = reports.Select(r =>
            {
                var outcomes = r["outcomes"]!.AsObject();
                var errors = (outcomes["Failed"] is { } f ? Number(f) : 0) + (outcomes["TimedOut"] is { } t ? Number(t) : 0);
                return 100 * errors / r["waves"]!.AsArray().Sum(w => Number(w!["meters"]));
            }).Average();
            Assert.Equal(failed, Cell(row, "failed_pct_mean"), tolerance: 1e-6);
            Assert.Equal(reports.Average(r => Number(r["airtimeSeconds"]!["down"]) / 3600), Cell(row, "airtime_h_mean"), tolerance: 1e-6);
            means[$"campaign.distribution={distribution}, campaign.sessions-per-collector={sessions}"] = (p95, failed);
        }

        // The best: least mean time to 95 % among those at most 0.5 % failed; the same on a second sweep, which runs nothing.
        var best = BestLine().Match(output).Groups[1].Value;
        Assert.Equal(means.Where(m => m.Value.Failed <= 0.5).MinBy(m => m.Value.P95).Key, best);
        var csv = await File.ReadAllTextAsync(Path.Combine(folder, "sweep.csv"));
        var (again, secondOutput, _) = await CommandLine.RunAsync(Arguments(folder));
        Assert.Equal(ExitCode.Completed, again);
        Assert.Contains("18 already finished, 0 to run", secondOutput);
        Assert.Equal(best, BestLine().Match(secondOutput).Groups[1].Value);
        Assert.Equal(csv, await File.ReadAllTextAsync(Path.Combine(folder, "sweep.csv")));

        // sweep.html in a real browser: each chart draws its lines, the best row is marked, every run's report is linked.
        using var browser = ReportBrowserTests.Browser();
        browser.Navigate().GoToUrl(new Uri(Path.Combine(folder, "sweep.html")).AbsoluteUri);
        Assert.Contains(best, browser.FindElement(By.Id("best")).Text);
        Assert.True(ReportBrowserTests.Coloured(browser.FindElement(By.Id("chart1"))) > 500, "the chart by distribution draws no lines");
        Assert.True(ReportBrowserTests.Coloured(browser.FindElement(By.Id("chart2"))) > 500, "the chart by sessions draws no lines");
        Assert.Equal(3, browser.FindElements(By.CssSelector("#chart1 .legend span")).Count);
        var bestRow = browser.FindElement(By.CssSelector("tr.best"));
        Assert.Equal(best.Split(", ").Select(kv => kv.Split('=')[1]), bestRow.FindElements(By.CssSelector("td.key")).Take(2).Select(td => td.Text));
        var links = browser.FindElements(By.CssSelector("tr a")).Select(a => new Uri(a.GetAttribute("href")!).LocalPath).ToList();
        Assert.Equal(18, links.Count);
        Assert.All(links, link => Assert.True(File.Exists(link), $"{link} is linked but missing"));
    }

    [Fact]
    public async Task A_run_that_fails_is_reported_and_the_others_go_on()
    {
        var folder = Path.Combine(_dir, "failing");
        string[] Sweep(int seeds) => ["sweep", "--scenario", Small, "--set", "amisim.scenario.fleet.meters=200", "--vary", "campaign.distribution=unicast,multicast",
            "--seeds", seeds.ToString(CultureInfo.InvariantCulture), "--out", folder];
        Assert.Equal(ExitCode.Completed, (await CommandLine.RunAsync(Sweep(1))).Code);
        // The multicast run of seed 2 cannot write its folder: a file is in its way.
        var blocked = Path.Combine(folder, "campaign.distribution=multicast", "seed-2");
        await File.WriteAllTextAsync(blocked, "in the way");

        var (code, output, error) = await CommandLine.RunAsync(Sweep(2));

        Assert.Equal(ExitCode.RunFailed, code);
        Assert.Contains("2 already finished, 2 to run", output);
        Assert.Contains($"failed: {blocked}: exit 2", output);
        Assert.Contains("1 of 2 runs failed", error);
        Assert.True(AmiSim.Host.Run.Sweep.Finished(Path.Combine(folder, "campaign.distribution=unicast", "seed-2")));
        var rows = (await File.ReadAllTextAsync(Path.Combine(folder, "sweep.csv"))).TrimEnd('\n').Split('\n');
        Assert.StartsWith("unicast,2,0,", rows[1]);
        Assert.StartsWith("multicast,1,1,", rows[2]);
    }

    [Theory]
    [InlineData("--vary campaign.distributon=unicast,multicast", "--vary campaign.distributon=unicast: unknown key amisim.scenario.campaign.distributon (did you mean amisim.scenario.campaign.distribution?)")]
    [InlineData("--vary campaign.distribution=unicast,multicat", "--vary campaign.distribution=multicat: amisim.scenario.campaign.distribution: expected multicast or unicast, got 'multicat'")]
    [InlineData("--vary campaign.distribution=unicast --vary campaign.distribution=multicast", "--vary campaign.distribution: given twice")]
    [InlineData("--vary campaign.distribution=unicast --objective speed", "--objective speed: expected one of duration, p95, failed, airtime")]
    [InlineData("--vary campaign.distribution=unicast --constraint failed=1", "--constraint failed=1: expected METRIC<=NUMBER")]
    [InlineData("--vary campaign.distribution=unicast --seeds 0", "--seeds 0: expected 1 to 1000")]
    [InlineData("--vary campaign.distribution=unicast --parallel 0", "--parallel 0: expected 1 to 256")]
    [InlineData("--scenario nofile.conf --vary campaign.distribution=unicast", "--scenario nofile.conf: no such scenario file")]
    [InlineData("--set amisim.scenario.fleet.meters=-1 --vary campaign.distribution=unicast", "amisim.scenario.fleet.meters")]
    [InlineData("", "--vary: give at least one")]
    [InlineData("--vary campaign.distribution=unicast --set amisim.scenario.campaign.distribution=multicast", "a key is either varied or set, not both")]
    [InlineData("--vary campaign.distribution=unicast --port 4060", "--port needs --cluster")]
    [InlineData("--vary campaign.distribution=unicast --nodes 2", "--nodes needs --cluster")]
    [InlineData("--vary campaign.distribution=unicast --constraint p95<=5%", "p95 is in hours")]
    public async Task Bad_arguments_are_refused_with_one_line_naming_them_before_anything_runs(string arguments, string message)
    {
        var folder = Path.Combine(_dir, "bad");

        var (code, output, error) = await CommandLine.RunAsync(["sweep", .. arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries), "--out", folder]);

        Assert.Equal(ExitCode.BadInput, code);
        Assert.Contains(message, error);
        Assert.Single(error.Trim().Split('\n'));
        Assert.DoesNotContain("   at ", error + output);
        Assert.False(Directory.Exists(folder), "a refused sweep made its folder");
    }

    [Fact]
    public async Task A_folder_of_another_sweep_or_of_other_things_is_refused_and_left_as_it_was()
    {
        var folder = Path.Combine(_dir, "other");
        string[] Sweep(params string[] more) => ["sweep", "--scenario", Small, "--set", "amisim.scenario.fleet.meters=200", "--vary", "campaign.distribution=unicast", "--seeds", "1", "--out", folder, .. more];
        Assert.Equal(ExitCode.Completed, (await CommandLine.RunAsync(Sweep())).Code);
        var csv = await File.ReadAllTextAsync(Path.Combine(folder, "sweep.csv"));

        var (code, _, error) = await CommandLine.RunAsync(Sweep("--seed", "9"));

        Assert.Equal(ExitCode.BadInput, code);
        Assert.Contains($"--out {folder}: holds a sweep made with base seed 1, this sweep has 9", error);
        Assert.Equal(csv, await File.ReadAllTextAsync(Path.Combine(folder, "sweep.csv")));

        var elsewhere = Path.Combine(_dir, "elsewhere");
        Directory.CreateDirectory(elsewhere);
        await File.WriteAllTextAsync(Path.Combine(elsewhere, "notes.txt"), "mine");
        var (refused, _, why) = await CommandLine.RunAsync(["sweep", "--vary", "campaign.distribution=unicast", "--out", elsewhere]);
        Assert.Equal(ExitCode.BadInput, refused);
        Assert.Contains("a folder that holds other things and no sweep.json", why);
        Assert.Equal(["notes.txt"], Directory.EnumerateFileSystemEntries(elsewhere).Select(Path.GetFileName));
    }
}
