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
    /// <summary>
    /// Computed with `amisim-bench fleet --scenario fleet-10k` (Release; Debug gives the same). History:
    /// e3d75fba... (session 1); ca28a256... (session 2) when downlink frames started reaching the router
    /// when they leave the backhaul instead of when they enter it: every frame's timing is the same, but
    /// frames of one collector at the same instant are numbered in another order, which moved the
    /// completion time of 4 of the default scenario's 10,000 meters by a few milliseconds; 519b0ff8...
    /// (session 3) when three campaign bugs were fixed that had sent most of the image by unicast:
    /// the repair was decided while the flood was still on the air, meters initiated early timed out
    /// waiting for their collector's flood, and a meter late again while queued was queued twice; a
    /// step asked during a flood now has its timeout counted from the flood's end. The report also
    /// gained the multicast rounds and the multicast and unicast block counts. f10ebfc6... (session 3)
    /// when floods were addressed to a multicast group (the meters still missing blocks; the others no
    /// longer take chunks they would have dropped) and the campaign stopped waiting for each journal
    /// write: a batch is confirmed four minutes after it is written, and only then are its confirmations
    /// acknowledged and its meters reported to the MDM. fcf3ae4e... (session 10) when the campaign's
    /// per-collector work moved to a station per collector on the collector's partition: stations report
    /// transitions to the campaign every flush interval, one station latency (1 s) late, and the campaign's
    /// orders (waves, status, durability, crashes) reach them as late; frames to a collector leave the
    /// station one backhaul latency before they reach it, without the kernel's lookahead on top.
    /// 8adffae8... (session 11) when the head-end started working to a clock: stations report, and the
    /// campaign dispatches its orders, only at whole multiples of the flush interval (5 s), where before
    /// each station reported a flush interval after its first news and the campaign sent each order at
    /// once. Reports and orders are as late as before at most; the kernel uses the clock to let the
    /// campaign's partition and the collectors' run up to its next tick apart.
    /// </summary>
    private const string PinnedDigest = "8adffae8ff5a2d171bc9e2943402d8b747164662a15272cf05e0fd9d46751adc";

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
