using AmiSim.Kernel;

namespace AmiSim.Mesh.Radio;

public enum LinkDirection
{
    Down,
    Up,
}

/// <summary>
/// Whether a draw on a link is lost: independent draws with the given chance (the default), or the
/// two-state process of <see cref="BurstSettings"/> per link and direction, whose mean loss is the
/// given chance. The draws come from one stream in the order they are asked for, so the same calls
/// give the same losses.
/// </summary>
public sealed class LinkLossProcess
{
    private readonly RandomStream _random;
    private readonly BurstSettings? _burst;
    /// <summary>Per direction and link: 0 not yet drawn, 1 good, 2 bad.</summary>
    private readonly byte[][] _state;

    /// <param name="links">the links' count (nodes; index 0, the collector, has none).</param>
    public LinkLossProcess(RandomStream random, BurstSettings? burst, int links)
    {
        _random = random;
        _burst = burst;
        _state = burst is null ? [] : [new byte[links], new byte[links]];
    }

    /// <summary>One draw on the link of <paramref name="node"/> in <paramref name="direction"/>, whose mean loss is <paramref name="loss"/>.</summary>
    public bool Lost(int node, LinkDirection direction, double loss)
    {
        if (_burst is not { } burst) return _random.Chance(loss);
        if (loss <= 0) return false;
        var bad = Math.Min(loss / burst.BadLoss, 1);
        var leave = 1 / Math.Max(1, burst.MeanBurstLength); // bad to good
        var enter = bad >= 1 ? 1 : leave * bad / (1 - bad); // good to bad, so that the bad state's share is `bad`
        ref var state = ref _state[(int)direction][node];
        if (state == 0) state = _random.Chance(bad) ? (byte)2 : (byte)1; // the first draw starts from the long-run shares
        var lost = state == 2 && (burst.BadLoss >= 1 || _random.Chance(burst.BadLoss));
        state = state == 2 ? (_random.Chance(leave) ? (byte)1 : (byte)2) : (_random.Chance(enter) ? (byte)2 : (byte)1);
        return lost;
    }
}
