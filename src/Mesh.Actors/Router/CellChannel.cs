using AmiSim.Kernel;
using AmiSim.Mesh.Radio;

namespace AmiSim.Mesh.Router;

/// <summary>
/// A cell's radio channels, granted to transmissions in the order they are decided. With one channel
/// and no spatial reuse (the defaults) every transmission of the cell takes turns on it. With
/// <see cref="RadioSettings.Channels"/> K above 1 each transmission goes out on one of K drawn at
/// random and waits only for those on the same one. With spatial reuse (<see cref="RadioSettings.SpatialReuse"/>)
/// a transmission waits only for those near it on the routing tree: it may not start while a node within
/// one hop of its transmitter or of a receiver (the node itself, its parent, its children) transmits or
/// receives on its channel (docs/MESH-MODEL.md, "Spatial reuse and channels").
/// <para>
/// Without a MAC a transmission takes its channel as soon as it is free. With one (<see cref="MacSettings"/>),
/// unslotted CSMA/CA: a random backoff of 0 to 2^BE - 1 unit periods, then a clear channel assessment; a
/// busy channel raises BE up to its maximum and backs off again; after more than macMaxCSMABackoffs busy
/// assessments the frame goes back to its node's queue, waits for the channel to be free and starts over
/// (a channel access failure, counted). An idle assessment is followed by a turnaround, then the frame; an
/// acknowledged frame holds the channel on for a turnaround and the acknowledgement.
/// </para>
/// </summary>
public sealed class CellChannel
{
    private readonly RadioSettings _radio;
    private readonly RandomStream _random;
    /// <summary>By channel: when it is next free (without reuse, one entry), or when it is next free around each node (with reuse).</summary>
    private readonly long[][] _free;
    /// <summary>The routing tree, read as it is at each transmission (the router's own arrays: re-routing changes them).</summary>
    private readonly int[] _parents;
    private readonly int[][] _children;

    /// <param name="parents">each node's parent on the routing tree (node 0, the collector, is its own).</param>
    /// <param name="children">each node's children; null: worked out from <paramref name="parents"/> (a tree that never changes).</param>
    public CellChannel(RadioSettings radio, RandomStream random, int[]? parents = null, int[][]? children = null)
    {
        _radio = radio;
        _random = random;
        _parents = parents ?? [0];
        _children = children ?? Enumerable.Range(0, _parents.Length).Select(n => Enumerable.Range(1, _parents.Length - 1).Where(c => _parents[c] == n).ToArray()).ToArray();
        _free = Enumerable.Range(0, Math.Max(1, radio.Channels)).Select(_ => new long[radio.SpatialReuse ? _parents.Length : 1]).ToArray();
    }

    /// <summary>
    /// <paramref name="transmitter"/> sends a frame of <paramref name="bytes"/>, ready at <paramref name="ready"/>,
    /// to <paramref name="receiver"/> (-1: a broadcast to all its children): returns when its transmission
    /// starts and ends (an acknowledgement, when <paramref name="acknowledged"/>, follows the end). Counts it,
    /// its airtime (at <paramref name="bitsPerSecond"/>; 0: the cell's rate), and the wait before it (queueing and backoff) in <paramref name="counters"/>.
    /// </summary>
    public (SimTime Start, SimTime End) Transmit(SimTime ready, int bytes, LinkCounters counters, bool acknowledged, int transmitter = 0, int receiver = 0, int bitsPerSecond = 0)
    {
        var free = _free[_free.Length == 1 ? 0 : _random.NextInt(_free.Length)];
        var rate = bitsPerSecond > 0 ? bitsPerSecond : _radio.PhyBitsPerSecond;
        var airtime = Airtime.Micros(bytes, rate);
        long start, held;
        if (_radio.Mac is not { } mac)
        {
            start = Math.Max(Busy(free, transmitter, receiver), ready.Micros);
            held = start + airtime;
        }
        else
        {
            start = Access(mac, free, transmitter, receiver, ready.Micros, counters);
            held = start + airtime;
            if (acknowledged)
            {
                var ack = Airtime.Micros(mac.AckBytes, rate);
                held += Micros(mac.Turnaround) + ack;
                counters.AirtimeMicros += ack;
            }
        }
        Book(free, transmitter, receiver, held);
        counters.FramesSent++;
        counters.AirtimeMicros += airtime;
        counters.QueueingMicros += start - ready.Micros;
        return (new SimTime(start), new SimTime(start + airtime));
    }

    /// <summary>Until when the channel is in use where the transmission would be heard or disturb.</summary>
    private long Busy(long[] free, int transmitter, int receiver)
    {
        if (!_radio.SpatialReuse) return free[0];
        var busy = free[transmitter];
        if (receiver >= 0) return Math.Max(busy, free[receiver]);
        foreach (var child in _children[transmitter]) busy = Math.Max(busy, free[child]);
        return busy;
    }

    private void Book(long[] free, int transmitter, int receiver, long until)
    {
        if (!_radio.SpatialReuse)
        {
            free[0] = until;
            return;
        }
        // The node's closed neighbourhood on the tree: itself, its parent, its children.
        void Around(int node)
        {
            free[node] = Math.Max(free[node], until);
            if (node != 0) free[_parents[node]] = Math.Max(free[_parents[node]], until);
            foreach (var child in _children[node]) free[child] = Math.Max(free[child], until);
        }
        Around(transmitter);
        if (receiver >= 0) Around(receiver);
        else foreach (var child in _children[transmitter]) Around(child);
    }

    /// <summary>CSMA/CA from <paramref name="at"/>: when the frame's transmission starts.</summary>
    private long Access(MacSettings mac, long[] free, int transmitter, int receiver, long at, LinkCounters counters)
    {
        var unit = Micros(mac.UnitBackoff);
        var busyUntil = Busy(free, transmitter, receiver);
        while (true)
        {
            var exponent = mac.MinBackoffExponent;
            for (var busy = 0; ; )
            {
                var backoff = _random.NextInt(1 << exponent) * unit;
                at += backoff;
                counters.BackoffMicros += backoff;
                if (busyUntil <= at) return at + Micros(mac.Cca) + Micros(mac.Turnaround);
                at += Micros(mac.Cca);
                exponent = Math.Min(exponent + 1, mac.MaxBackoffExponent);
                if (++busy > mac.MaxCsmaBackoffs) break;
            }
            counters.AccessFailures++;
            at = Math.Max(at, busyUntil);
        }
    }

    private static long Micros(TimeSpan time) => time.Ticks / 10;
}
