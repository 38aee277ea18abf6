using System.Diagnostics;
using System.Text.Json.Nodes;
using Xunit;

namespace AmiSim.Host.Tests;

/// <summary>
/// amisim as a user installs it: packed as a dotnet tool, installed into a tool path of its own, and
/// run as its own process (issue 23, case 15), where what reaches standard output and standard error,
/// and the exit codes, are those a shell sees.
/// </summary>
[Collection("runs")]
public sealed class DotnetToolTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("amisim-tool-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Repository()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "AmiSim.sln"))) return dir.FullName;
        throw new InvalidOperationException("AmiSim.sln not found above the test's folder");
    }

    private static async Task<(int Code, string Out, string Error)> Run(string file, IEnumerable<string> arguments, string workingDirectory,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(8));
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', arguments)} did not end");
        }
        return (process.ExitCode, await output, await error);
    }

    [Fact]
    public async Task The_installed_tool_prints_its_version_runs_a_campaign_and_refuses_bad_input_in_one_line()
    {
        var version = $"0.0.1-test{DateTime.UtcNow:yyyyMMddHHmmss}";
        var feed = Path.Combine(_dir, "feed");
        var tools = Path.Combine(_dir, "tools");
        var packages = new Dictionary<string, string> { ["NUGET_PACKAGES"] = Path.Combine(_dir, "packages") }; // never the machine's cache
        var pack = await Run("dotnet", ["pack", Path.Combine(Repository(), "src", "Host"), "-c", "Release", "-o", feed, $"-p:Version={version}"], _dir);
        Assert.True(pack.Code == 0, pack.Out + pack.Error);
        var install = await Run("dotnet", ["tool", "install", "--tool-path", tools, "--add-source", feed, "AmiSim", "--version", version], _dir, packages);
        Assert.True(install.Code == 0, install.Out + install.Error);
        var amisim = Path.Combine(tools, "amisim");

        var shown = await Run(amisim, ["--version"], _dir);
        Assert.Equal(0, shown.Code);
        Assert.StartsWith(version, shown.Out.Trim());

        var scenario = Path.Combine(_dir, "small.conf");
        await File.WriteAllTextAsync(scenario, "amisim.scenario {\n  name = \"tool\"\n  fleet.meters = 120\n  fleet.collectors = 2\n  program.size = 8192\n}\n");
        var run = await Run(amisim, ["run", "--scenario", scenario, "--out", "run"], _dir);
        Assert.True(run.Code == 0, run.Out + run.Error);
        Assert.Equal("", run.Error);
        Assert.DoesNotContain("[INFO]", run.Out); // nothing from Akka's own logger
        Assert.DoesNotContain("Akka", run.Out);
        var report = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(_dir, "run", "report.json")))!;
        Assert.StartsWith(version, report["amisim"]!["version"]!.GetValue<string>());
        Assert.Equal(120, report["outcomes"]!.AsObject().Sum(o => o.Value!.GetValue<int>()));

        var again = await Run(amisim, ["run", "--scenario", scenario, "--out", "run"], _dir);
        Assert.Equal(2, again.Code);
        Assert.Equal("", again.Out);
        Assert.Single(again.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));

        var typo = await Run(amisim, ["run", "--scenaro", scenario], _dir);
        Assert.Equal(2, typo.Code);
        Assert.Contains("--scenario", typo.Error);
        Assert.False(Directory.Exists(Path.Combine(_dir, "runs")), "a refused run made a run folder");
    }

    [Fact]
    public async Task SIGTERM_stops_a_run_between_its_steps_with_exit_130_and_one_line()
    {
        // The default scenario takes several seconds: long enough to be stopped mid-run.
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "amisim.dll"), "run", "--out", "run"])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = _dir,
        };
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        while (await process.StandardOutput.ReadLineAsync(limit.Token) is { } line && !line.Contains("targeted meters final")) { } // the first progress line: the run is going
        var output = process.StandardOutput.ReadToEndAsync();
        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString()])!) await kill.WaitForExitAsync(limit.Token);
        await process.WaitForExitAsync(limit.Token);

        Assert.Equal(ExitCode.Interrupted, process.ExitCode);
        var lines = (await error).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("error: interrupted", Assert.Single(lines));
        Assert.DoesNotContain("campaign completed", await output);
        Assert.False(File.Exists(Path.Combine(_dir, "run", "report.json")));
        Assert.Contains("Interrupted", await File.ReadAllTextAsync(Path.Combine(_dir, "run", "amisim.log")));
    }

    [Fact]
    public async Task A_scenario_with_100000_outages_runs_within_the_heap_the_run_sizes()
    {
        var outages = string.Join(",\n", Enumerable.Range(0, 100_000).Select(i => $"    {{ collector = {1 + i % 2}, meter = 0, start = {600_000 + 2 * i}m, end = {600_001 + 2 * i}m }}"));
        var scenario = Path.Combine(_dir, "outages.conf");
        await File.WriteAllTextAsync(scenario, $"amisim.scenario {{\n  fleet.meters = 100\n  fleet.collectors = 2\n  program.size = 8192\n  network.outages = [\n{outages}\n  ]\n}}\n");
        // The test's own build of amisim, as its own process: the heap limit applies only to a process that is amisim itself.
        var run = await Run("dotnet", [Path.Combine(AppContext.BaseDirectory, "amisim.dll"), "run", "--scenario", scenario, "--out", "run"], _dir);
        Assert.True(run.Code == 0, run.Out + run.Error);
        Assert.Contains("heap limit", await File.ReadAllTextAsync(Path.Combine(_dir, "run", "amisim.log")));
    }
}
