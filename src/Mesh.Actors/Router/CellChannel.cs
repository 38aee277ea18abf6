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
    /// <summary>With reuse: each node's closed neighbourhood on the tree (itself, its parent, its children); null without.</summary>
    private readonly int[][]? _around;
    private readonly int[][] _children;

    /// <param name="parents">each node's parent on the routing tree (node 0, the collector, is its own); needed with spatial reuse or broadcasts to children.</param>
    public CellChannel(RadioSettings radio, RandomStream random, int[]? parents = null)
    {
        _radio = radio;
        _random = random;
        parents ??= [0];
        var children = Enumerable.Range(0, parents.Length).Select(_ => new List<int>()).ToArray();
        for (var node = 1; node < parents.Length; node++) children[parents[node]].Add(node);
        _children = children.Select(c => c.ToArray()).ToArray();
        if (radio.SpatialReuse)
            _around = Enumerable.Range(0, parents.Length).Select(n => (n == 0 ? [0] : new[] { n, parents[n] }).Concat(_children[n]).ToArray()).ToArray();
        _free = Enumerable.Range(0, Math.Max(1, radio.Channels)).Select(_ => new long[_around is null ? 1 : parents.Length]).ToArray();
    }

    /// <summary>The routing tree changed: <paramref name="node"/> now has <paramref name="parent"/> instead of <paramref name="old"/>.</summary>
    public void Reparent(int node, int old, int parent)
    {
        _children[old] = _children[old].Where(c => c != node).ToArray();
        _children[parent] = [.. _children[parent], node];
        if (_around is null) return;
        int[] Around(int n, int p) => (n == 0 ? [0] : new[] { n, p }).Concat(_children[n]).ToArray();
        _around[node] = Around(node, parent);
        _around[old] = Around(old, _around[old].Length > 1 && old != 0 ? _around[old][1] : 0);
        _around[parent] = Around(parent, _around[parent].Length > 1 && parent != 0 ? _around[parent][1] : 0);
    }

    /// <summary>When channel 0 is next free around <paramref name="node"/> (the whole cell without reuse).</summary>
    public SimTime FreeAround(int node = 0) => new(_free[0][_around is null ? 0 : node]);

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
        if (_around is null) return free[0];
        var busy = free[transmitter];
        if (receiver >= 0) return Math.Max(busy, free[receiver]);
        foreach (var child in _children[transmitter]) busy = Math.Max(busy, free[child]);
        return busy;
    }

    private void Book(long[] free, int transmitter, int receiver, long until)
    {
        if (_around is null)
        {
            free[0] = until;
            return;
        }
        void Around(int node)
        {
            foreach (var near in _around[node]) free[near] = Math.Max(free[near], until);
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
