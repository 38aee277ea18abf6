using System.Collections.Concurrent;
using Akka.Actor;
using Akka.TestKit.Xunit2;
using AmiSim.Kernel;
using AmiSim.Mesh.Router;
using AmiSim.Mesh.Topology;
using AmiSim.Protocol.C1219;
using AmiSim.Protocol.Network;
using AmiSim.Scenario;
using Xunit;
using Xunit.Abstractions;

namespace AmiSim.Host.Tests;

/// <summary>
/// The mesh model against a published field table (issue 28): hocon/scenarios/ti-wisun-calibration.conf's
/// network pinged as TI pinged its 100-node, 5-hop Wi-SUN network (SWRA714A, Table 8): one node after
/// another, every 5 s for 24 h, 50-byte pings. Each ping and its answer are frames of 127 bytes on the
/// air (the 50 bytes, ICMPv6 and compressed IPv6 headers, Wi-SUN's MAC header and information elements,
/// the PHY's preamble and header).
/// </summary>
public sealed class CalibrationTests(ITestOutputHelper output) : TestKit
{
    private const int FrameBytes = 127;
    private static readonly double[] Published = [373, 471, 574, 760, 899];

    [Fact]
    public async Task The_calibration_scenario_gives_TIs_mean_round_trip_at_each_hop_depth_within_ten_percent()
    {
        var scenario = ScenarioSettings.Read(ScenarioReader.Load(HoconLoader.Embedded("scenarios/ti-wisun-calibration.conf"), "ti-wisun-calibration.conf", []));
        var topology = scenario.BuildTopology();
        var access = ScenarioAssembly.Lookahead(scenario, topology);
        var bed = new PingBed(scenario, topology, access);
        var simulation = Simulation.Create(Sys, new KernelSettings { Lookahead = access, Seed = scenario.Seed, Partitions = 1 }, bed);
        var meters = topology.Meters.OrderBy(m => m.Meter.Value).ToList();
        var collector = topology.Collectors.Single();
        var pings = (int)(TimeSpan.FromHours(24) / TimeSpan.FromSeconds(5));
        for (var i = 0; i < pings; i++)
        {
            var ping = new ImageChunk("PING", FrameBytes - ImageChunk.HeaderBytes - ImageChunk.BlockOverheadBytes,
                [new ImageBlock(i, new byte[FrameBytes - ImageChunk.HeaderBytes - ImageChunk.BlockOverheadBytes])]);
            // The border router sends it at i x 5 s; like the head-end's station, the bed hands it to the router one backhaul latency later.
            simulation.Schedule(CollectorSetup.LpOf(collector.Id), SimTime.FromSeconds(i * 5) + collector.BackhaulLatency, new MeshDownlink(meters[i % meters.Count].Meter, ping));
        }

        await simulation.RunAsync();

        var depth = meters.ToDictionary(m => m.Meter, m => m.Depth);
        var rtt = bed.Answers.GroupBy(a => depth[a.Meter]).ToDictionary(g => g.Key, g => g.Average(a => (a.At.Micros - a.Ping * 5_000_000L) / 1000.0));
        Assert.True(bed.Answers.Count > pings * 0.99, $"{bed.Answers.Count} of {pings} pings answered");
        Assert.Equal([1, 2, 3, 4, 5], rtt.Keys.Order());
        for (var d = 1; d <= 5; d++) output.WriteLine($"hop {d}: {rtt[d]:0.0} ms (published {Published[d - 1]} ms, {100 * (rtt[d] / Published[d - 1] - 1):+0.0;-0.0} %)");
        for (var d = 1; d <= 5; d++)
            Assert.True(Math.Abs(rtt[d] - Published[d - 1]) <= 0.1 * Published[d - 1], $"hop {d}: {rtt[d]:0} ms, published {Published[d - 1]} ms");
    }

    /// <summary>The collector's router, meters that answer each ping at once (after the NICs' access delay), and a border router that notes the answers.</summary>
    private sealed class PingBed(ScenarioSettings scenario, NetworkTopology topology, TimeSpan access) : ILpFactory
    {
        private static readonly LpId BorderRouter = new(AmiLps.HeadEnd, 0);

        public ConcurrentBag<(MeterId Meter, long Ping, SimTime At)> Answers { get; } = [];

        public Props PropsFor(LpId id) => id.Kind switch
        {
            AmiLps.Collector => CollectorRouter.Props(new CollectorSetup(topology.Collector((int)id.Number), topology.Cell((int)id.Number), scenario.Radio, BorderRouter, [])),
            AmiLps.Meter => Props.Create(() => new Node(access)),
            AmiLps.HeadEnd => Props.Create(() => new Border(this)),
            _ => throw new ArgumentOutOfRangeException(nameof(id)),
        };

        private sealed class Node(TimeSpan access) : SimActor
        {
            protected override void OnEvent(object payload)
            {
                var ping = ((ImageChunk)payload).Blocks[0].Number;
                var answer = new ProgramConfirmation(new MeterId(Id.Number), ping, "PING", ConfirmationOutcome.Activated, new FirmwareVersion(1, 0), new string('.', FrameBytes - 64 - 4), 0);
                Send(CollectorSetup.LpOf(1), access, answer);
            }
        }

        private sealed class Border(PingBed bed) : SimActor
        {
            protected override void OnEvent(object payload)
            {
                var answer = (ProgramConfirmation)payload;
                bed.Answers.Add((answer.Meter, answer.ConfirmationId, Now));
            }
        }
    }
}
