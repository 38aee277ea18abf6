using System.Text.Json.Nodes;
using Xunit;

namespace AmiSim.Host.Tests;

/// <summary>
/// The fleet-10k benchmark's result digest, pinned: an optimisation must not change any result. An
/// intended change of behaviour updates the digest in the same commit and says why in its message.
/// </summary>
[Collection("runs")]
public sealed class Fleet10kDigestTests : IDisposable
{
    /// <summary>Computed 2026-11-26 (bench: `amisim-bench fleet --scenario fleet-10k`, Release; Debug gives the same).</summary>
    private const string PinnedDigest = "e3d75fba3dc5b7741e04cf23a670a5c0463a63e2d808c2d649845bb23f68e602";

    private readonly string _dir = Directory.CreateTempSubdirectory("amisim-fleet10k-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task The_fleet_10k_run_keeps_its_result_digest()
    {
        var scenario = Path.Combine(AppContext.BaseDirectory, "scenarios", "fleet-10k.conf");
        Assert.Equal(0, await AmiSimApp.Create().RunAsync(["run", "--scenario", scenario, "--out", _dir]));

        var report = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(_dir, "report.json")))!;
        Assert.Equal(PinnedDigest, report["resultDigest"]!.GetValue<string>());
    }
}
