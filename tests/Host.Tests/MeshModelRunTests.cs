using System.Text.Json.Nodes;
using Xunit;

namespace AmiSim.Host.Tests;

/// <summary>The mesh's MAC and bursty loss (issue 28) in whole runs: on, they change the run, the same way for the same seed.</summary>
[Collection("runs")]
public sealed class MeshModelRunTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("amisim-mesh-model-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private async Task<JsonNode> Run(string name, params string[] more)
    {
        var folder = Path.Combine(_dir, name);
        var run = await CommandLine.RunAsync(["run", "--out", folder, .. SmallFleet.Args(), .. more]);
        // A harsher network may leave the campaign paused by its error threshold (exit 3); the run itself is whole.
        Assert.True(run.Code is 0 or 3 && File.Exists(Path.Combine(folder, "report.json")), run.Error);
        return JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(folder, "report.json")))!;
    }

    [Fact]
    public async Task A_run_with_the_MAC_and_bursty_loss_differs_from_one_without_reports_the_MACs_work_and_is_the_same_again()
    {
        string[] on = ["--set", "amisim.scenario.network.mac.enabled=on", "--set", "amisim.scenario.network.burst.enabled=on", "--set", "amisim.scenario.network.mac.unit-backoff=1.5ms"];
        var plain = await Run("plain");
        var first = await Run("first", on);
        var second = await Run("second", on);

        Assert.Null(plain["collectors"]![0]!["mac"]);
        var mac = first["collectors"]!.AsArray().Select(c => c!["mac"]!).ToList();
        Assert.All(mac, m => Assert.True(m["retransmissions"]!.GetValue<long>() > 0 && m["backoffSeconds"]!.GetValue<double>() > 0, m.ToJsonString()));
        Assert.NotEqual(plain["resultDigest"]!.GetValue<string>(), first["resultDigest"]!.GetValue<string>());
        Assert.Equal(first["resultDigest"]!.GetValue<string>(), second["resultDigest"]!.GetValue<string>());
    }
}
