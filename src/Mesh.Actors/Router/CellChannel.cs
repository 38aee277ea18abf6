using AmiSim.Kernel;
using AmiSim.Mesh.Radio;

namespace AmiSim.Mesh.Router;

/// <summary>
/// A cell's one shared channel, granted to frames in the order they become ready. Without a MAC a
/// frame takes it as soon as it is free. With one (<see cref="MacSettings"/>), unslotted CSMA/CA: a
/// random backoff of 0 to 2^BE - 1 unit periods, then a clear channel assessment; a busy channel (one
/// granted to an earlier frame until later) raises BE up to its maximum and backs off again; after
/// more than macMaxCSMABackoffs busy assessments the frame goes back to its node's queue, waits for the
/// channel to be free and starts over (a channel access failure, counted). An idle assessment is
/// followed by a turnaround, then the frame; an acknowledged frame holds the channel on for a
/// turnaround and the acknowledgement.
/// </summary>
public sealed class CellChannel(RadioSettings radio, RandomStream backoffs)
{
    private long _free;

    /// <summary>When the channel is next free (the end of the last transmission granted, its acknowledgement included).</summary>
    public SimTime Free => new(_free);

    /// <summary>
    /// A frame of <paramref name="bytes"/> ready at <paramref name="ready"/> is sent: returns when its
    /// transmission starts and ends (an acknowledgement, when <paramref name="acknowledged"/>, follows
    /// the end). Counts it, its airtime, and the wait before it (queueing and backoff) in <paramref name="counters"/>.
    /// </summary>
    public (SimTime Start, SimTime End) Transmit(SimTime ready, int bytes, LinkCounters counters, bool acknowledged)
    {
        var airtime = radio.AirtimeMicros(bytes);
        long start;
        if (radio.Mac is not { } mac)
        {
            start = Math.Max(_free, ready.Micros);
            _free = start + airtime;
        }
        else
        {
            start = Access(mac, ready.Micros, counters);
            var held = start + airtime;
            if (acknowledged)
            {
                var ack = radio.AirtimeMicros(mac.AckBytes);
                held += Micros(mac.Turnaround) + ack;
                counters.AirtimeMicros += ack;
            }
            _free = held;
        }
        counters.FramesSent++;
        counters.AirtimeMicros += airtime;
        counters.QueueingMicros += start - ready.Micros;
        return (new SimTime(start), new SimTime(start + airtime));
    }

    /// <summary>CSMA/CA from <paramref name="at"/>: when the frame's transmission starts.</summary>
    private long Access(MacSettings mac, long at, LinkCounters counters)
    {
        var unit = Micros(mac.UnitBackoff);
        while (true)
        {
            var exponent = mac.MinBackoffExponent;
            for (var busy = 0; ; )
            {
                var backoff = backoffs.NextInt(1 << exponent) * unit;
                at += backoff;
                counters.BackoffMicros += backoff;
                if (_free <= at) return at + Micros(mac.Cca) + Micros(mac.Turnaround);
                at += Micros(mac.Cca);
                exponent = Math.Min(exponent + 1, mac.MaxBackoffExponent);
                if (++busy > mac.MaxCsmaBackoffs) break;
            }
            counters.AccessFailures++;
            at = Math.Max(at, _free);
        }
    }

    private static long Micros(TimeSpan time) => time.Ticks / 10;
}
