using System.Diagnostics;
using Xunit;

namespace AmiSim.Host.Tests;

/// <summary><c>amisim sweep --cluster</c> with an <c>amisim node</c>, real processes on loopback, against the same sweep on one machine.</summary>
[Collection("runs")]
public sealed class ClusterSweepTests : IDisposable
{
    private static readonly string Small = Path.Combine(AppContext.BaseDirectory, "scenarios", "small.conf");
    private readonly string _dir = Directory.CreateTempSubdirectory("amisim-cluster-sweep-").FullName;
    private readonly AmisimProcesses _processes = new();

    public void Dispose()
    {
        _processes.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private Process Start(params string[] arguments) => _processes.Start(arguments);

    private string[] Sweep(string folder) =>
    [
        "sweep", "--scenario", Small, "--set", "amisim.scenario.fleet.meters=200", "--vary", "campaign.distribution=unicast,multicast",
        "--vary", "campaign.sessions-per-collector=4,16", "--seeds", "2", "--parallel", "1", "--out", folder,
    ];

    private async Task<(Process Sweep, Task<string> Output, Task<string> Errors, Process Node)> StartCluster(string folder)
    {
        var port = HeadEnd.Tests.LoopbackPort.Free();
        var node = Start("node", "--port", "0", "--seed-nodes", $"akka.tcp://amisim@127.0.0.1:{port}");
        _ = node.StandardOutput.ReadToEndAsync();
        _ = node.StandardError.ReadToEndAsync();
        var sweep = Start([.. Sweep(folder), "--cluster", "--nodes", "2", "--port", port.ToString()]);
        await Task.Yield();
        return (sweep, sweep.StandardOutput.ReadToEndAsync(), sweep.StandardError.ReadToEndAsync(), node);
    }

    [Fact]
    public async Task A_sweep_spread_over_two_nodes_writes_the_sweep_csv_of_one_machine()
    {
        var (local, _, localError) = await CommandLine.RunAsync(TimeSpan.FromMinutes(5), Sweep(Path.Combine(_dir, "here")));
        Assert.True(local == ExitCode.Completed, localError);

        var (sweep, output, errors, _) = await StartCluster(Path.Combine(_dir, "cluster"));
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5)); // wall clock: waiting for other processes
        await sweep.WaitForExitAsync(timeout.Token);

        Assert.True(sweep.ExitCode == ExitCode.Completed, $"amisim sweep --cluster exited {sweep.ExitCode}: {await output} {await errors}");
        Assert.Contains("for 2 nodes", await output);
        Assert.Matches(@"seed \d on akka\.tcp://amisim@127\.0\.0\.1:\d+: done", await output); // the node ran runs
        Assert.DoesNotContain("Remoting", await output);
        Assert.Equal(await File.ReadAllTextAsync(Path.Combine(_dir, "here", "sweep.csv")), await File.ReadAllTextAsync(Path.Combine(_dir, "cluster", "sweep.csv")));
        // A run that came from the node is a whole run folder, as one run here writes it.
        var remote = System.Text.RegularExpressions.Regex.Match(await output, @"\] (campaign\.distribution=(\w+), campaign\.sessions-per-collector=(\d+), seed (\d)) on ");
        var folder = Path.Combine(_dir, "cluster", $"campaign.distribution={remote.Groups[2].Value}+campaign.sessions-per-collector={remote.Groups[3].Value}", $"seed-{remote.Groups[4].Value}");
        foreach (var file in new[] { "report.json", "report.html", "meters.csv", "amisim.log", "headend.db" }) Assert.True(File.Exists(Path.Combine(folder, file)), $"{folder} has no {file}");
        Assert.False(Directory.EnumerateFiles(Path.Combine(_dir, "cluster"), "*.partial", SearchOption.AllDirectories).Any());
    }

    [Fact]
    public async Task A_node_serves_one_cluster_sweep_after_another()
    {
        var port = HeadEnd.Tests.LoopbackPort.Free();
        var node = Start("node", "--port", "0", "--seed-nodes", $"akka.tcp://amisim@127.0.0.1:{port}");
        _ = node.StandardOutput.ReadToEndAsync();
        _ = node.StandardError.ReadToEndAsync();
        foreach (var name in new[] { "first", "second" })
        {
            var sweep = Start(["sweep", "--scenario", Small, "--set", "amisim.scenario.fleet.meters=200", "--vary", "campaign.distribution=unicast,multicast",
                "--seeds", "1", "--parallel", "1", "--out", Path.Combine(_dir, name), "--cluster", "--nodes", "2", "--port", port.ToString()]);
            var output = sweep.StandardOutput.ReadToEndAsync();
            var errors = sweep.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
            await sweep.WaitForExitAsync(timeout.Token);

            Assert.True(sweep.ExitCode == ExitCode.Completed, $"the {name} sweep exited {sweep.ExitCode}: {await output} {await errors}");
            Assert.Matches(@"seed \d on akka\.tcp://amisim@127\.0\.0\.1:\d+: done", await output);
        }
        Assert.False(node.HasExited);
    }

    [Fact]
    public async Task A_node_killed_mid_sweep_has_its_runs_taken_by_another_and_the_sweep_ends_with_the_same_means()
    {
        var (local, _, localError) = await CommandLine.RunAsync(TimeSpan.FromMinutes(5), Sweep(Path.Combine(_dir, "here")));
        Assert.True(local == ExitCode.Completed, localError);

        // The node's address sorts before the sweep's: the side a keep-majority resolver would keep when one of two goes.
        var (nodePort, port) = (HeadEnd.Tests.LoopbackPort.Free(), HeadEnd.Tests.LoopbackPort.Free());
        if (nodePort > port) (nodePort, port) = (port, nodePort);
        var node = Start("node", "--port", nodePort.ToString(), "--seed-nodes", $"akka.tcp://amisim@127.0.0.1:{port}");
        _ = node.StandardOutput.ReadToEndAsync();
        _ = node.StandardError.ReadToEndAsync();
        var sweep = Start([.. Sweep(Path.Combine(_dir, "cluster")), "--cluster", "--nodes", "2", "--port", port.ToString()]);
        var output = new System.Text.StringBuilder();
        sweep.OutputDataReceived += (_, line) => { lock (output) output.AppendLine(line.Data); };
        sweep.BeginOutputReadLine();
        var errors = sweep.StandardError.ReadToEndAsync();
        string Output() { lock (output) return output.ToString(); }
        // Kill the node (and the runs it started) once it has sent back a run: with two runs at once there and eight in all, it is running more.
        var waited = Stopwatch.StartNew();
        while (!System.Text.RegularExpressions.Regex.IsMatch(Output(), @" on akka\.tcp://[^:]+:\d+: done") && waited.Elapsed < TimeSpan.FromMinutes(2) && !sweep.HasExited) await Task.Delay(50);
        Assert.False(sweep.HasExited, $"the sweep ended before the node sent a run back: {Output()}");
        node.Kill(entireProcessTree: true);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await sweep.WaitForExitAsync(timeout.Token);

        Assert.True(sweep.ExitCode == ExitCode.Completed, $"amisim sweep --cluster exited {sweep.ExitCode}: {Output()} {await errors}");
        Assert.Contains("): its run is queued again", Output());
        Assert.DoesNotContain("   at ", await errors); // the node's loss in the sweep's words, Akka's in logs/sweep.log
        Assert.Equal(await File.ReadAllTextAsync(Path.Combine(_dir, "here", "sweep.csv")), await File.ReadAllTextAsync(Path.Combine(_dir, "cluster", "sweep.csv")));
        var left = Path.Combine(Path.GetTempPath(), $"amisim-node-{node.Id}"); // a killed node cannot clear its own
        if (Directory.Exists(left)) Directory.Delete(left, recursive: true);
    }
}
