using Akka.Actor;
using AmiSim.Kernel;
using AmiSim.Mesh.Radio;
using AmiSim.Mesh.Topology;
using AmiSim.Protocol.Network;

namespace AmiSim.Mesh.Router;

/// <summary>
/// A collector (access point) and the RF mesh of its cell (steps 1.4-1.5, 1.9-1.10): the backhaul to
/// the head-end, and every hop below the collector on one shared channel. Frames move hop by hop:
/// at each hop the channel is taken when free (queueing otherwise) for the frame's airtime; each
/// block (or control frame) is lost with the link's loss; what arrives continues after airtime plus
/// the hop latency. Multicast chunks are transmitted once by the collector and once by every relay
/// that received blocks, to all its children. The formulas: docs/MESH-MODEL.md.
/// </summary>
public sealed class CollectorRouter : SimActor
{
    private readonly CollectorSetup _setup;
    private readonly CellTopology _cell;
    private readonly LinkCounters[] _down;
    private readonly LinkCounters[] _up;
    /// <summary>The outages of the link from each node to its parent, by node (null: none, as for most).</summary>
    private readonly List<Outage>?[] _linkOutages;
    private readonly List<Outage> _collectorOutages;
    private readonly Dictionary<long, bool[]> _groups = new();
    /// <summary>A flood's relay transmissions while they are gathered (sent as one array, then cleared).</summary>
    private readonly List<FloodHop> _relays = [];
    /// <summary>Survivor lists of <see cref="_oneLostOf"/> that lost one block, by the block (<see cref="Survivors"/>).</summary>
    private ImageBlock[]?[] _oneLost = [];
    private IReadOnlyList<ImageBlock>? _oneLostOf;
    /// <summary>Chunks made of the lists in <see cref="_oneLost"/>, with the chunk each was made from (<see cref="Deliverable"/>).</summary>
    private (ImageChunk? From, ImageChunk? Made)[] _oneLostChunks = [];
    private LinkLossProcess _losses = null!;
    private CellChannel _channel = null!;
    /// <summary>With the MAC: each link's loss in one attempt (<see cref="MacSettings.AttemptLoss"/>), by node.</summary>
    private readonly double[] _attemptLoss;
    private SimTime _backhaulDownFree;
    private SimTime _backhaulUpFree;
    private long _backhaulFramesDown;
    private long _backhaulFramesUp;
    private long _droppedAtCollector;
    /// <summary>With re-routing: each node's parent from the topology (the parent it returns to; empty without re-routing).</summary>
    private int[] _primary = [];
    private long _parentSwitches;

    public CollectorRouter(CollectorSetup setup)
    {
        _setup = setup;
        _cell = new CellTopology(setup.Cell, setup.Radio);
        var depths = Math.Max(1, _cell.MaxDepth);
        _down = Enumerable.Range(0, depths).Select(_ => new LinkCounters()).ToArray();
        _up = Enumerable.Range(0, depths).Select(_ => new LinkCounters()).ToArray();
        var own = setup.Outages.Where(o => o.Collector == setup.Collector.Id).ToList();
        _collectorOutages = own.Where(o => o.Link is null).ToList();
        var byLink = own.Where(o => o.Link is not null).GroupBy(o => o.Link!.Value).ToDictionary(g => g.Key, g => g.ToList());
        _linkOutages = _cell.Meters.Select(meter => byLink.GetValueOrDefault(meter)).ToArray();
        _attemptLoss = setup.Radio.Mac is { } mac ? _cell.Loss.Select(mac.AttemptLoss).ToArray() : _cell.Loss;
    }

    public static Props Props(CollectorSetup setup) => Akka.Actor.Props.Create(() => new CollectorRouter(setup));

    private RadioSettings Radio => _setup.Radio;

    protected override void OnStart()
    {
        if (Radio.HopLatency < Lookahead)
            throw new InvalidOperationException($"collector {_setup.Collector.Id}: hop latency {Radio.HopLatency.TotalMilliseconds} ms is shorter than the lookahead {Lookahead.TotalMilliseconds} ms");
        if (_setup.Collector.BackhaulLatency < Lookahead)
            throw new InvalidOperationException($"collector {_setup.Collector.Id}: backhaul latency {_setup.Collector.BackhaulLatency.TotalMilliseconds} ms is shorter than the lookahead {Lookahead.TotalMilliseconds} ms");
        _losses = new LinkLossProcess(RandomStreamFor("mesh-loss"), Radio.Burst, _cell.Meters.Length);
        _channel = new CellChannel(Radio, RandomStreamFor("mesh-mac"), _cell.Parent, _cell.Children);
        if (Radio.RerouteAfter is { } after) PlanReroutes(after);
    }

    protected override void OnEvent(object payload)
    {
        switch (payload)
        {
            case MeshDownlink downlink:
                FromHeadEnd(downlink);
                break;
            case DownHop hop:
                Down(hop);
                break;
            case FloodHop[] transmissions:
                foreach (var transmission in transmissions) Flood(transmission);
                break;
            case UpHop hop:
                Up(hop);
                break;
            case AtCollector arrived:
                ToHeadEnd(arrived.Frame);
                break;
            case SwitchParent change:
                Switch(change.Node, change.Parent);
                break;
            case IUplinkFrame frame:
                Up(new UpHop(NodeOf(frame.Meter), frame));
                break;
            default:
                throw new InvalidOperationException($"collector {_setup.Collector.Id}: unexpected {payload}");
        }
    }

    protected override void OnOtherMessage(object message)
    {
        if (message is GetMeshMetrics)
            Sender.Tell(new MeshMetrics(_setup.Collector.Id, _down.Select(c => c.Copy()).ToList(), _up.Select(c => c.Copy()).ToList(),
                _backhaulFramesDown, _backhaulFramesUp, _droppedAtCollector, _parentSwitches));
        else
            Unhandled(message);
    }

    private int NodeOf(MeterId meter) =>
        _cell.TryIndex(meter, out var node) ? node : throw new InvalidOperationException($"meter {meter.Value} is not in the mesh of collector {_setup.Collector.Id}");

    /// <summary>
    /// A frame from the head-end. It comes one backhaul latency after the head-end put it on the
    /// backhaul (the head-end sends it that much later), so the link's bandwidth is booked as of then.
    /// </summary>
    private void FromHeadEnd(MeshDownlink downlink)
    {
        var arrival = Backhaul(ref _backhaulDownFree, Now - _setup.Collector.BackhaulLatency, downlink.Frame.WireBytes);
        _backhaulFramesDown++;
        if (_collectorOutages.AnyContains(arrival))
        {
            _droppedAtCollector++;
            return;
        }
        object next = downlink switch
        {
            { Meter: null, Frame: ImageChunk chunk } => new[] { new FloodHop(0, chunk, chunk.Blocks, MembersOf(downlink.Group)) },
            { Meter: null } => throw new InvalidOperationException($"collector {_setup.Collector.Id}: only image chunks can be multicast, not {downlink.Frame.GetType().Name}"),
            { Meter: { } meter, Frame: ImageChunk chunk } => new DownHop(_cell.PathTo(NodeOf(meter)), chunk, chunk.Blocks, Now - _setup.Collector.BackhaulLatency),
            { Meter: { } meter } => new DownHop(_cell.PathTo(NodeOf(meter)), downlink.Frame, null, Now - _setup.Collector.BackhaulLatency),
        };
        Send(Id, arrival - Now, next);
    }

    /// <summary>Which of the cell's nodes belong to <paramref name="group"/> (null: the whole cell), worked out once per group.</summary>
    private bool[]? MembersOf(MulticastGroup? group)
    {
        if (group is null) return null;
        if (_groups.TryGetValue(group.Id, out var members)) return members;
        members = new bool[_cell.Meters.Length];
        foreach (var meter in group.Members)
            if (_cell.TryIndex(meter, out var node)) members[node] = true;
        _groups[group.Id] = members;
        return members;
    }

    /// <summary>Takes the backhaul for a frame that entered it at <paramref name="entered"/>, once free, for its transmission time; returns when it is at the far end.</summary>
    private SimTime Backhaul(ref SimTime free, SimTime entered, int bytes)
    {
        var start = free > entered ? free : entered;
        free = start + TimeSpan.FromTicks(Airtime.Micros(bytes, _setup.Collector.BackhaulBitsPerSecond) * 10);
        return free + _setup.Collector.BackhaulLatency;
    }

    /// <summary>Whether an outage takes the hop between <paramref name="node"/> and its parent during [start, end) (a link outage is of the link to its own parent from the topology).</summary>
    private bool Blocked(int node, SimTime start, SimTime end) =>
        (_linkOutages[node] is { } outages && !(_primary.Length > 0 && _cell.Parent[node] != _primary[node]) && outages.AnyOverlaps(start, end)) ||
        (_cell.Parent[node] == 0 && _collectorOutages.AnyOverlaps(start, end));

    /// <summary>
    /// The blocks that survive a hop, one loss draw per block. Most frames lose nothing; they keep
    /// their (immutable) block list instead of a copy. When
    /// <paramref name="share"/> and exactly one block is lost, the most common loss, the list is shared
    /// by every hop that loses that block of <paramref name="blocks"/> (<paramref name="oneLostAt"/>
    /// says which; -1 otherwise).
    /// </summary>
    private IReadOnlyList<ImageBlock> Survivors(IReadOnlyList<ImageBlock> blocks, int node, double loss, SimTime at, bool share, out int oneLostAt)
    {
        const int OnStack = 256;
        Span<bool> lost = blocks.Count <= OnStack ? stackalloc bool[blocks.Count] : new bool[blocks.Count];
        var kept = 0;
        for (var i = 0; i < blocks.Count; i++)
        {
            lost[i] = _losses.Lost(node, LinkDirection.Down, loss, at);
            if (!lost[i]) kept++;
        }
        oneLostAt = -1;
        if (kept == blocks.Count) return blocks;
        if (share && kept == blocks.Count - 1)
        {
            oneLostAt = lost.IndexOf(true);
            if (!ReferenceEquals(blocks, _oneLostOf))
            {
                _oneLostOf = blocks;
                if (_oneLost.Length < blocks.Count) _oneLost = new ImageBlock[]?[blocks.Count];
                else Array.Clear(_oneLost);
            }
            if (_oneLost[oneLostAt] is { } shared) return shared;
        }
        var survivors = new ImageBlock[kept];
        for (int i = 0, k = 0; i < blocks.Count; i++)
            if (!lost[i]) survivors[k++] = blocks[i];
        if (oneLostAt >= 0) _oneLost[oneLostAt] = survivors;
        return survivors;
    }

    /// <summary>The chunk a meter is handed: the transmitted one if nothing was lost, else one of the surviving blocks (shared when the survivors are).</summary>
    private ImageChunk Deliverable(ImageChunk chunk, IReadOnlyList<ImageBlock> survivors, int oneLostAt)
    {
        if (ReferenceEquals(survivors, chunk.Blocks)) return chunk;
        if (oneLostAt < 0) return chunk with { Blocks = survivors };
        if (_oneLostChunks.Length < _oneLost.Length) Array.Resize(ref _oneLostChunks, _oneLost.Length);
        ref var shared = ref _oneLostChunks[oneLostAt];
        // Made from this very chunk for these very survivors, or made again.
        if (!ReferenceEquals(shared.From, chunk) || !ReferenceEquals(shared.Made?.Blocks, survivors))
            shared = (chunk, chunk with { Blocks = survivors });
        return shared.Made!;
    }

    private void Down(DownHop hop)
    {
        var node = hop.Path[hop.Hop];
        var counters = _down[_cell.Depth[node] - 1];
        var blocks = hop.Blocks;
        if (Radio.Mac is not null)
        {
            if (AcknowledgedHop(node, LinkDirection.Down, hop.Frame.WireBytes, ref blocks, counters) is { } delivered) Delivered(hop, node, counters, blocks, delivered);
            return;
        }
        var bytes = blocks is null ? hop.Frame.WireBytes : ImageChunk.WireBytesOf(blocks);
        var (start, end) = _channel.Transmit(Now, bytes, counters, acknowledged: false, _cell.Parent[node], node, _cell.Rate[node]);
        counters.BlocksSent += blocks?.Count ?? 0;
        if (Blocked(node, start, end))
        {
            counters.FramesLost++;
            counters.FramesLostToOutage++;
            counters.BlocksLost += blocks?.Count ?? 0;
            return;
        }
        var loss = _cell.Loss[node];
        IReadOnlyList<ImageBlock>? survivors = null;
        if (blocks is not null)
        {
            survivors = Survivors(blocks, node, loss, start, share: false, out _); // a unicast frame reaches one meter: nothing to share
            counters.BlocksLost += blocks.Count - survivors.Count;
            if (survivors.Count == 0)
            {
                counters.FramesLost++;
                return;
            }
        }
        else if (_losses.Lost(node, LinkDirection.Down, loss, start))
        {
            counters.FramesLost++;
            return;
        }
        Delivered(hop, node, counters, survivors, end);
    }

    /// <summary>A unicast frame got through the hop to <paramref name="node"/>, ending at <paramref name="end"/>, with <paramref name="survivors"/> of its blocks: on to the next hop, or to the meter.</summary>
    private void Delivered(DownHop hop, int node, LinkCounters counters, IReadOnlyList<ImageBlock>? survivors, SimTime end)
    {
        var arrival = end + Radio.HopLatency;
        if (hop.Hop < hop.Path.Length - 1)
        {
            Send(Id, arrival - Now, hop.Next(survivors));
            return;
        }
        counters.FramesDelivered++;
        counters.BlocksDelivered += survivors?.Count ?? 0;
        counters.UnicastDelivered++;
        counters.DelayMicros += arrival.Micros - hop.Entered.Micros;
        if (hop.Frame is PsemCommand command)
            Trace(_cell.Meters[node].Value, "1.5", $"collector {_setup.Collector.Id} carried PSEM command {command.CommandId} over the backhaul and {hop.Path.Length} mesh hop(s), arriving {(arrival - Now).TotalMilliseconds:0} ms from now");
        var frame = hop.Frame is ImageChunk chunk && survivors is not null ? Deliverable(chunk, survivors, oneLostAt: -1) : hop.Frame;
        Send(MeterLp(node), arrival - Now, frame);
    }

    private void Flood(in FloodHop hop)
    {
        var children = _cell.Children[hop.Transmitter];
        if (children.Length == 0) return;
        var counters = _down[_cell.Depth[hop.Transmitter]]; // links one level below the transmitter
        var (start, end) = _channel.Transmit(Now, ImageChunk.WireBytesOf(hop.Blocks), counters, acknowledged: false, hop.Transmitter, receiver: -1, _cell.BroadcastRate[hop.Transmitter]); // broadcast: no acknowledgement, sent once
        counters.BlocksSent += hop.Blocks.Count;
        var arrival = end + Radio.HopLatency;
        foreach (var child in children)
        {
            if (Blocked(child, start, end))
            {
                counters.FramesLostToOutage++;
                counters.BlocksLost += hop.Blocks.Count;
                continue;
            }
            var survivors = Survivors(hop.Blocks, child, _attemptLoss[child], start, share: true, out var oneLostAt);
            counters.BlocksLost += hop.Blocks.Count - survivors.Count;
            if (survivors.Count == 0) continue;
            counters.FramesDelivered++;
            counters.BlocksDelivered += survivors.Count;
            // A meter outside the round's group drops the chunk on receipt: it is not handed to it at all.
            if (hop.Members?[child] != false)
            {
                if (survivors[0].Number == 0)
                    Trace(_cell.Meters[child].Value, "1.5", $"multicast from {(hop.Transmitter == 0 ? $"collector {_setup.Collector.Id}" : $"relay {_cell.Meters[hop.Transmitter].Value}")} delivered {survivors.Count} of {hop.Blocks.Count} blocks of the first chunk");
                // Most meters lose nothing on the way: they share the head-end's chunk (immutable) instead of a copy each.
                Send(MeterLp(child), arrival - Now, Deliverable(hop.Chunk, survivors, oneLostAt));
            }
            if (_cell.Children[child].Length > 0) _relays.Add(hop with { Transmitter = child, Blocks = survivors });
        }
        // The relays that heard it all have it at the same instant: one event for them, handled in the
        // order the children were served, which is where their separate events would have come (nothing
        // else this router sends itself can fall between them).
        if (_relays.Count == 0) return;
        Send(Id, arrival - Now, _relays.ToArray());
        _relays.Clear();
    }

    private void Up(UpHop hop)
    {
        var node = hop.Node;
        var counters = _up[_cell.Depth[node] - 1];
        SimTime end;
        if (Radio.Mac is not null)
        {
            IReadOnlyList<ImageBlock>? none = null;
            if (AcknowledgedHop(node, LinkDirection.Up, hop.Frame.WireBytes, ref none, counters) is not { } delivered) return;
            end = delivered;
        }
        else
        {
            (var start, end) = _channel.Transmit(Now, hop.Frame.WireBytes, counters, acknowledged: false, node, _cell.Parent[node], _cell.Rate[node]);
            if (Blocked(node, start, end))
            {
                counters.FramesLost++;
                counters.FramesLostToOutage++;
                return;
            }
            if (_losses.Lost(node, LinkDirection.Up, _cell.Loss[node], start))
            {
                counters.FramesLost++;
                return;
            }
        }
        var arrival = end + Radio.HopLatency;
        var parent = _cell.Parent[node];
        if (parent != 0)
        {
            Send(Id, arrival - Now, hop.To(parent));
            return;
        }
        counters.FramesDelivered++;
        Send(Id, arrival - Now, new AtCollector(hop.Frame));
    }

    /// <summary>
    /// One hop of the link between <paramref name="node"/> and its parent with the MAC: the frame (a
    /// control frame of <paramref name="frameBytes"/>, or the chunk of <paramref name="blocks"/>) is sent
    /// and acknowledged; what one attempt lost (each block, or the control frame, with the link's attempt
    /// loss; everything under an outage) is sent again one acknowledgement wait after it, up to the
    /// retries. Returns when the last attempt ended, with <paramref name="blocks"/> cut to those that got
    /// through; null when nothing did (counted as lost).
    /// </summary>
    private SimTime? AcknowledgedHop(int node, LinkDirection direction, int frameBytes, ref IReadOnlyList<ImageBlock>? blocks, LinkCounters counters)
    {
        var mac = Radio.Mac!;
        var loss = _attemptLoss[node];
        var original = blocks;
        var left = original is null ? null : Enumerable.Range(0, original.Count).ToList(); // indices of blocks not yet through
        var through = original is null ? null : new bool[original.Count];
        var ready = Now;
        var controlThrough = false;
        var blockedLast = false;
        SimTime end;
        for (var attempt = 0; ; attempt++)
        {
            var bytes = original is null ? frameBytes : ImageChunk.WireBytesOf(left!.Select(i => original[i]).ToList());
            var (transmitter, receiver) = direction == LinkDirection.Down ? (_cell.Parent[node], node) : (node, _cell.Parent[node]);
            (var start, end) = _channel.Transmit(ready, bytes, counters, acknowledged: true, transmitter, receiver, _cell.Rate[node]);
            counters.BlocksSent += left?.Count ?? 0;
            blockedLast = Blocked(node, start, end);
            if (original is null)
                controlThrough = !blockedLast && !_losses.Lost(node, direction, loss, start);
            else if (!blockedLast)
                left!.RemoveAll(i => through![i] = !_losses.Lost(node, direction, loss, start));
            var done = original is null ? controlThrough : left!.Count == 0;
            if (done || attempt == mac.MaxFrameRetries) break;
            counters.Retransmissions++;
            ready = end + mac.AckWait;
        }
        if (original is null)
        {
            if (controlThrough) return end;
        }
        else
        {
            counters.BlocksLost += left!.Count;
            if (left.Count < original.Count)
            {
                if (left.Count > 0) blocks = original.Where((_, i) => through![i]).ToArray();
                return end;
            }
        }
        counters.FramesLost++;
        if (blockedLast) counters.FramesLostToOutage++;
        return null;
    }

    private void ToHeadEnd(IUplinkFrame frame)
    {
        if (_collectorOutages.AnyContains(Now))
        {
            _droppedAtCollector++;
            return;
        }
        var arrival = Backhaul(ref _backhaulUpFree, Now, frame.WireBytes);
        _backhaulFramesUp++;
        if (frame is ProgramConfirmation confirmation)
            Trace(confirmation.Meter.Value, "1.10", $"collector {_setup.Collector.Id} carries confirmation {confirmation.ConfirmationId} over the backhaul to the head-end");
        Send(_setup.HeadEnd, arrival - Now, frame);
    }

    /// <summary>
    /// Re-routing: every meter whose link to its parent has an outage gets another parent, drawn (from the
    /// run's seed) among the cell's meters one hop shallower than it; it switches to it <paramref name="after"/>
    /// the outage starts and back <paramref name="after"/> it ends. A meter of depth 1 (only the collector
    /// above it), or with no other meter one hop shallower, keeps its parent.
    /// </summary>
    private void PlanReroutes(TimeSpan after)
    {
        _primary = (int[])_cell.Parent.Clone();
        var draw = RandomStreamFor("mesh-reroute");
        for (var node = 1; node < _cell.Parent.Length; node++)
        {
            if (_linkOutages[node] is not { } outages || _cell.Depth[node] < 2) continue;
            var others = Enumerable.Range(1, _cell.Parent.Length - 1).Where(n => _cell.Depth[n] == _cell.Depth[node] - 1 && n != _cell.Parent[node]).ToList();
            if (others.Count == 0) continue;
            var alternate = others[draw.NextInt(others.Count)];
            foreach (var outage in outages.OrderBy(o => o.Start))
            {
                Send(Id, outage.Start + after - Now, new SwitchParent(node, alternate));
                Send(Id, outage.End + after - Now, new SwitchParent(node, _primary[node]));
            }
        }
    }

    private void Switch(int node, int parent)
    {
        if (_cell.Parent[node] == parent) return;
        _cell.Reparent(node, parent); // the channel reads the same arrays
        _parentSwitches++;
        Trace(_cell.Meters[node].Value, "1.5", $"collector {_setup.Collector.Id}: meter {_cell.Meters[node].Value} switches to {(parent == 0 ? "the collector" : $"meter {_cell.Meters[parent].Value}")} as its parent");
    }

    private LpId MeterLp(int node) => new(AmiLps.Meter, _cell.Meters[node].Value);

    /// <summary>Re-routing: <see cref="Node"/> takes <see cref="Parent"/> as its parent from now on.</summary>
    private sealed record SwitchParent(int Node, int Parent);

    /// <summary>A unicast frame at hop <see cref="Hop"/> of its path; <see cref="Blocks"/> the chunk's blocks still alive (null for control frames).</summary>
    /// <remarks>The router's own event, moved on from hop to hop: one object per frame, not one per hop.</remarks>
    private sealed class DownHop(int[] path, IDownlinkFrame frame, IReadOnlyList<ImageBlock>? blocks, SimTime entered)
    {
        public int[] Path { get; } = path;

        /// <summary>When the head-end put the frame on the collector's backhaul.</summary>
        public SimTime Entered { get; } = entered;

        public int Hop { get; private set; }

        public IDownlinkFrame Frame { get; } = frame;

        public IReadOnlyList<ImageBlock>? Blocks { get; private set; } = blocks;

        /// <summary>The frame at the next hop, with the blocks that survived this one.</summary>
        public DownHop Next(IReadOnlyList<ImageBlock>? survivors)
        {
            Hop++;
            Blocks = survivors;
            return this;
        }

        /// <summary>As a stall report names a pending event.</summary>
        public override string ToString() => $"DownHop {{ hop {Hop + 1} of {Path.Length}, {Frame} }}";
    }

    /// <summary>
    /// A multicast transmission by <paramref name="Transmitter"/> (0 = the collector) of the blocks of
    /// <paramref name="Chunk"/> it holds (<paramref name="Blocks"/>); <paramref name="Members"/> marks the
    /// cell's nodes in the round's group (null: all of them).
    /// </summary>
    /// <remarks>A struct: a flood event carries its transmissions in one array, not an object each.</remarks>
    private readonly record struct FloodHop(int Transmitter, ImageChunk Chunk, IReadOnlyList<ImageBlock> Blocks, bool[]? Members);

    /// <summary>An uplink frame about to be sent by <see cref="Node"/> to its parent.</summary>
    /// <remarks>The router's own event, moved on from hop to hop like <see cref="DownHop"/>.</remarks>
    private sealed class UpHop(int node, IUplinkFrame frame)
    {
        public int Node { get; private set; } = node;

        public IUplinkFrame Frame { get; } = frame;

        /// <summary>The frame about to be sent by <paramref name="parent"/>.</summary>
        public UpHop To(int parent)
        {
            Node = parent;
            return this;
        }

        /// <summary>As a stall report names a pending event.</summary>
        public override string ToString() => $"UpHop {{ node {Node}, {Frame} }}";
    }

    private sealed record AtCollector(IUplinkFrame Frame);
}
