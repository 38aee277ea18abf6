using System.Diagnostics;
using System.Text.Json.Nodes;
using AmiSim.HeadEnd.Tests;
using Xunit;

namespace AmiSim.Host.Tests;

/// <summary>`amisim node` and `amisim run --cluster` as three real processes on loopback.</summary>
[Collection("runs")]
public sealed class ClusterProcessTests : IDisposable
{
    private const string ScenarioText = """
        amisim.scenario {
          name = "cluster-small"
          fleet.meters = 240
          fleet.collectors = 3
          program.size = 16384
          campaign.canary-meters = 6
        }
        """;

    private readonly string _dir = Directory.CreateTempSubdirectory("amisim-nodes-").FullName;
    private readonly AmisimProcesses _processes = new();

    public void Dispose()
    {
        _processes.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private Process Start(params string[] arguments) => _processes.Start(arguments);

    [Fact]
    public async Task Three_amisim_processes_give_the_result_digest_of_one()
    {
        var scenario = Path.Combine(_dir, "cluster-small.conf");
        await File.WriteAllTextAsync(scenario, ScenarioText);
        Assert.Equal(0, await AmiSimApp.Create().RunAsync(["run", "--scenario", scenario, "--out", Path.Combine(_dir, "single")]));

        var port = LoopbackPort.Free();
        var seed = $"akka.tcp://amisim@127.0.0.1:{port}";
        for (var i = 0; i < 2; i++)
        {
            var node = Start("node", "--port", "0", "--seed-nodes", seed);
            _ = node.StandardOutput.ReadToEndAsync();
            _ = node.StandardError.ReadToEndAsync();
        }
        var run = Start("run", "--cluster", "--port", port.ToString(), "--nodes", "3", "--scenario", scenario, "--out", Path.Combine(_dir, "cluster"));
        var output = run.StandardOutput.ReadToEndAsync();
        var errors = run.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5)); // wall clock: waiting for another process
        await run.WaitForExitAsync(timeout.Token);

        Assert.True(run.ExitCode == 0, $"amisim run --cluster exited {run.ExitCode}: {await output} {await errors}");
        Assert.Contains("waiting for 3 nodes", await output);
        Assert.DoesNotContain("Remoting", await output); // nothing from Akka on standard output, even as the node shuts down
        Assert.Equal(Digest("single"), Digest("cluster"));
    }

    /// <summary>
    /// A node that leaves mid-run (SIGTERM, as from `kill PID`: it leaves the cluster gracefully) or is killed (the cluster
    /// downs it once it stops answering): its partition is rebuilt on another node from the events it
    /// was sent, and the run ends with the result of one process.
    /// </summary>
    [Theory]
    [InlineData("leaves")]
    [InlineData("killed")]
    public async Task A_node_lost_mid_run_has_its_partition_rebuilt_and_the_run_gets_the_result_of_one_process(string how)
    {
        var scenario = Path.Combine(_dir, "cluster-longer.conf");
        await File.WriteAllTextAsync(scenario, ScenarioText.Replace("fleet.meters = 240", "fleet.meters = 3000").Replace("program.size = 16384", "program.size = 65536"));
        Assert.Equal(0, await AmiSimApp.Create().RunAsync(["run", "--scenario", scenario, "--out", Path.Combine(_dir, "single")]));
        var port = LoopbackPort.Free();
        var seed = $"akka.tcp://amisim@127.0.0.1:{port}";
        var victim = Start("node", "--port", LoopbackPort.Free().ToString(), "--seed-nodes", seed);
        var victimAddress = (await victim.StandardOutput.ReadLineAsync())!.Split(' ')[1];
        _ = victim.StandardOutput.ReadToEndAsync();
        var victimLog = victim.StandardError.ReadToEndAsync();
        var other = Start("node", "--port", "0", "--seed-nodes", seed);
        _ = other.StandardOutput.ReadToEndAsync();
        _ = other.StandardError.ReadToEndAsync();
        var run = Start("run", "--cluster", "--port", port.ToString(), "--nodes", "3", "--scenario", scenario, "--out", Path.Combine(_dir, how));
        var errors = run.StandardError.ReadToEndAsync();

        // Wait (wall clock: another process) for the run's first progress line, then lose a node.
        var output = new System.Text.StringBuilder();
        while (await run.StandardOutput.ReadLineAsync() is { } line)
        {
            output.AppendLine(line);
            if (line.StartsWith('[')) break;
        }
        if (how == "killed") victim.Kill();
        // Not SIGINT (Ctrl+C): a test host started in the background (as CI may be) has it ignored, and
        // the node inherits that.
        else Process.Start("kill", ["-TERM", victim.Id.ToString()])!.WaitForExit();
        output.Append(await run.StandardOutput.ReadToEndAsync());
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        await run.WaitForExitAsync(timeout.Token);

        Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}: {output} {await errors}");
        Assert.True(victim.HasExited, "the lost node's process should have ended");
        if (how == "leaves") Assert.Contains("Stopping: leaving the cluster", await victimLog); // the node's own handler, not the runtime's exit
        // The console wraps long lines; the log keeps them whole.
        var log = await File.ReadAllTextAsync(Path.Combine(_dir, how, "amisim.log"));
        Assert.Contains($"on node {victimAddress} is gone", log);
        Assert.Contains("was rebuilt on", log);
        Assert.Equal(Digest("single"), Digest(how));
    }

    [Theory]
    [InlineData("node")]                                                  // no node to join
    [InlineData("node", "--seed-nodes", "amisim@127.0.0.1:4051")]         // not an address
    [InlineData("node", "--seed-nodes", "akka.tcp://other@127.0.0.1:4051")] // another system's node
    [InlineData("run", "--nodes", "3")]                                   // nodes without --cluster
    public async Task Bad_cluster_arguments_are_refused_before_anything_starts(params string[] arguments) =>
        Assert.NotEqual(0, await AmiSimApp.Create().RunAsync(arguments));

    private string Digest(string run) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(_dir, run, "report.json")))!["resultDigest"]!.GetValue<string>();
}
