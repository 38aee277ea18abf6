using Akka.TestKit.Xunit2;
using AmiSim.Kernel;
using AmiSim.Mesh.Radio;
using AmiSim.Mesh.Router;
using AmiSim.Protocol.Network;
using Xunit;

namespace AmiSim.Mesh.Tests;

/// <summary>The MAC (CSMA/CA, acknowledgements, retransmissions) and bursty loss, checked against figures worked out by hand.</summary>
public sealed class MacTests : TestKit
{
    private static readonly MacSettings Mac = new();
    private static readonly RadioSettings Radio = new() { PhyBitsPerSecond = 100_000, HopLatency = TimeSpan.FromMilliseconds(100), Mac = Mac };

    private static long Micros(TimeSpan time) => time.Ticks / 10;

    [Fact]
    public async Task The_mean_time_of_an_acknowledged_hop_is_the_backoffs_assessments_airtimes_and_acknowledgement_waits_of_its_attempts()
    {
        // One hop, frames far apart (an idle channel). One attempt is lost with q; the hop tries at most R + 1 times.
        const int frames = 20_000;
        const double q = 0.3;
        var retries = Mac.MaxFrameRetries;
        var bed = new MeshTestBed(Sys, MeshTestBed.Chain(1, Math.Pow(q, retries + 1)), Radio);
        var bytes = MeshTestBed.Control(1, 1).WireBytes;
        for (var i = 0; i < frames; i++) bed.Downlink(1, SimTime.FromSeconds(i), new MeterId(1), MeshTestBed.Control(1, i));

        await bed.Simulation.RunAsync();

        // Per attempt: a backoff uniform over 0 .. 2^minBE - 1 units, the CCA, the turnaround and the frame's airtime;
        // between attempts the acknowledgement wait. Given delivery at attempt k (0-based, chance (1-q) q^k / (1 - q^(R+1))):
        // L = (k + 1)(B + c) + k w, its backoffs' variance (k + 1) var(B).
        var unit = Micros(Mac.UnitBackoff);
        var slots = 1 << Mac.MinBackoffExponent;
        var meanBackoff = unit * (slots - 1) / 2.0;
        var varBackoff = unit * (double)unit * (slots * (double)slots - 1) / 12;
        var c = Micros(Mac.Cca) + Micros(Mac.Turnaround) + Radio.AirtimeMicros(bytes);
        var w = Micros(Mac.AckWait);
        double mean = 0, square = 0, delivered = 1 - Math.Pow(q, retries + 1);
        for (var k = 0; k <= retries; k++)
        {
            var chance = (1 - q) * Math.Pow(q, k) / delivered;
            var m = (k + 1) * (meanBackoff + c) + k * w;
            mean += chance * m;
            square += chance * ((k + 1) * varBackoff + m * m);
        }
        var sigma = Math.Sqrt(square - mean * mean);

        var fixedPart = Airtime.Micros(bytes, 40_000) + 150_000 + 100_000; // the backhaul and the hop latency
        var latencies = bed.AtMeters.Select(a => a.Time.Micros - ((ConfirmationAck)a.Frame).ConfirmationId * 1_000_000 - fixedPart).ToList();
        Assert.InRange(latencies.Count, frames * 0.98, frames);
        var bound = 2.576 * sigma / Math.Sqrt(latencies.Count); // 99 % two-sided
        Assert.InRange(latencies.Average(), mean - bound, mean + bound);
        var metrics = await bed.MetricsAsync(1);
        Assert.Equal(metrics.Down[0].FramesSent - frames, metrics.Down[0].Retransmissions);
        Assert.Equal(frames - latencies.Count, metrics.Down[0].FramesLost);
    }

    [Fact]
    public async Task With_the_MAC_a_block_still_gets_through_a_hop_with_one_minus_the_links_loss()
    {
        const int trials = 50_000;
        const double p = 0.05;
        var bed = new MeshTestBed(Sys, MeshTestBed.Chain(2, p), Radio);
        bed.Downlink(1, SimTime.Zero, new MeterId(2), new ImageChunk("FW", 1, Enumerable.Range(0, trials).Select(b => new ImageBlock(b, new byte[1])).ToList()));

        await bed.Simulation.RunAsync();

        var delivered = bed.AtMeters.Sum(a => ((ImageChunk)a.Frame).Blocks.Count);
        var expected = Math.Pow(1 - p, 2);
        var bound = 2.576 * Math.Sqrt(expected * (1 - expected) / trials);
        Assert.InRange((double)delivered / trials, expected - bound, expected + bound);
        var blocks = ((ImageChunk)bed.AtMeters.Single().Frame).Blocks.Select(b => b.Number).ToList();
        Assert.Equal(blocks.Order(), blocks); // the blocks sent again are put back in their places
    }

    [Fact]
    public void A_frame_that_finds_the_channel_busy_backs_off_exponentially_and_after_too_many_busy_assessments_waits_for_the_channel()
    {
        var counters = new LinkCounters();
        var channel = new CellChannel(Radio, new RandomStream(7));
        // A long frame takes the channel for about 0.9 s, far longer than all of a second frame's backoffs (at most 115 units).
        var (_, firstEnd) = channel.Transmit(SimTime.Zero, 11_000, counters, acknowledged: true);
        var (secondStart, _) = channel.Transmit(SimTime.Zero, 50, counters, acknowledged: true);

        var held = firstEnd.Micros + Micros(Mac.Turnaround) + Radio.AirtimeMicros(Mac.AckBytes);
        Assert.Equal(1, counters.AccessFailures);
        Assert.InRange(secondStart.Micros, held + Micros(Mac.Cca) + Micros(Mac.Turnaround),
            held + (1 << Mac.MinBackoffExponent) * Micros(Mac.UnitBackoff) + Micros(Mac.Cca) + Micros(Mac.Turnaround));
        // The first frame's backoff (at most 7 units), the second's five busy assessments with BE 3, 4, 5, 5, 5
        // (at most 7 + 15 + 31 + 31 + 31 units), and its backoff once the channel is free (at most 7).
        Assert.InRange(counters.BackoffMicros, 0, (7 + 115 + 7) * Micros(Mac.UnitBackoff));
        Assert.Equal(2, counters.FramesSent);
    }

    [Fact]
    public void Without_the_MAC_a_frame_takes_the_channel_as_soon_as_it_is_free()
    {
        var counters = new LinkCounters();
        var channel = new CellChannel(new RadioSettings(), new RandomStream(7));
        var (_, firstEnd) = channel.Transmit(SimTime.Zero, 1_000, counters, acknowledged: true);
        var (secondStart, _) = channel.Transmit(SimTime.FromSeconds(0.01), 50, counters, acknowledged: true);
        Assert.Equal(firstEnd, secondStart);
        Assert.Equal((0, 0), (counters.BackoffMicros, counters.AccessFailures));
        Assert.Equal(firstEnd.Micros - 10_000, counters.QueueingMicros);
    }

    [Theory]
    [InlineData(0.02, 40)]
    [InlineData(0.1, 100)]
    public void Bursty_loss_keeps_the_links_mean_loss_and_its_bursts_follow_the_two_state_chain_in_time(double loss, int burstMs)
    {
        // A draw every 10 ms. With the bad state's share pi = loss (bad-loss 1) and its mean duration D, the chain's
        // rate is nu = 1 / (D (1 - pi)); a draw 10 ms after a lost one is lost with q = pi + (1 - pi) e^(-nu 10 ms),
        // so runs of losses have the mean length 1 / (1 - q).
        const int draws = 400_000;
        var process = new LinkLossProcess(new RandomStream(3), new BurstSettings { MeanBurstDuration = TimeSpan.FromMilliseconds(burstMs), BadLoss = 1 }, links: 2);
        var lost = Enumerable.Range(0, draws).Select(i => process.Lost(1, LinkDirection.Down, loss, SimTime.FromSeconds(i * 0.01))).ToList();

        var bursts = new List<int>();
        for (int i = 0, run = 0; i <= draws; i++)
        {
            if (i < draws && lost[i]) run++;
            else if (run > 0)
            {
                bursts.Add(run);
                run = 0;
            }
        }
        var q = loss + (1 - loss) * Math.Exp(-0.01 / (burstMs / 1000.0 * (1 - loss)));
        var meanLength = 1 / (1 - q);
        // The share lost sums bursts of geometric length: about draws * loss / L of them, each of L^2 (2 - 1/L) in square.
        var share = lost.Count(l => l) / (double)draws;
        var shareBound = 2.576 * Math.Sqrt(draws * loss / meanLength * meanLength * meanLength * (2 - 1 / meanLength)) / draws;
        Assert.InRange(share, loss - shareBound, loss + shareBound);
        var lengthBound = 2.576 * Math.Sqrt(meanLength * (meanLength - 1) / bursts.Count);
        Assert.InRange(bursts.Average(), meanLength - lengthBound, meanLength + lengthBound);
    }

    [Fact]
    public void Bursty_draws_far_apart_in_time_are_nearly_independent_and_draws_at_one_instant_share_the_state()
    {
        const int draws = 200_000;
        const double loss = 0.05;
        var process = new LinkLossProcess(new RandomStream(4), new BurstSettings { MeanBurstDuration = TimeSpan.FromMilliseconds(50), BadLoss = 1 }, links: 2);
        var apart = Enumerable.Range(0, draws).Select(i => process.Lost(1, LinkDirection.Up, loss, SimTime.FromSeconds(i * 10.0))).ToList();
        var afterLoss = Enumerable.Range(1, draws - 1).Where(i => apart[i - 1]).Select(i => apart[i]).ToList();
        var bound = 2.576 * Math.Sqrt(loss * (1 - loss) / afterLoss.Count);
        Assert.InRange(afterLoss.Count(l => l) / (double)afterLoss.Count, loss - bound, loss + bound);

        var together = new LinkLossProcess(new RandomStream(5), new BurstSettings { MeanBurstDuration = TimeSpan.FromMilliseconds(50), BadLoss = 1 }, links: 2);
        for (var frame = 0; frame < 1000; frame++)
        {
            var blocks = Enumerable.Range(0, 8).Select(_ => together.Lost(1, LinkDirection.Down, loss, SimTime.FromSeconds(frame))).Distinct().Count();
            Assert.Equal(1, blocks); // all lost or none
        }
    }

    [Fact]
    public void Without_bursts_a_draw_is_the_streams_own_chance()
    {
        var process = new LinkLossProcess(new RandomStream(5), burst: null, links: 2);
        var stream = new RandomStream(5);
        Assert.Equal(Enumerable.Range(0, 1000).Select(_ => stream.Chance(0.2)), Enumerable.Range(0, 1000).Select(i => process.Lost(1, LinkDirection.Down, 0.2, SimTime.FromSeconds(i))));
    }
}
