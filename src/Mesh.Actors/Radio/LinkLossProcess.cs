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
    /// <summary>Per direction and link: 0 not yet drawn, 1 good, 2 bad; and when it was last looked at.</summary>
    private readonly byte[][] _state;
    private readonly long[][] _seen;

    /// <param name="links">the links' count (nodes; index 0, the collector, has none).</param>
    public LinkLossProcess(RandomStream random, BurstSettings? burst, int links)
    {
        _random = random;
        _burst = burst;
        _state = burst is null ? [] : [new byte[links], new byte[links]];
        _seen = burst is null ? [] : [new long[links], new long[links]];
    }

    /// <summary>One draw at <paramref name="at"/> on the link of <paramref name="node"/> in <paramref name="direction"/>, whose mean loss is <paramref name="loss"/>.</summary>
    public bool Lost(int node, LinkDirection direction, double loss, SimTime at)
    {
        if (_burst is not { } burst) return _random.Chance(loss);
        if (loss <= 0) return false;
        var bad = Math.Min(loss / burst.BadLoss, 1); // the bad state's long-run share
        ref var state = ref _state[(int)direction][node];
        ref var seen = ref _seen[(int)direction][node];
        if (state == 0 || bad >= 1) state = _random.Chance(bad) ? (byte)2 : (byte)1; // the first look: the long-run shares
        else if (at.Micros > seen)
        {
            // A two-state Markov chain in continuous time: the bad state lasts D on average, the good D (1 - pi) / pi,
            // so after t the chance of being bad is pi + (was bad - pi) e^(-t (1/D + pi / (D (1 - pi)))).
            var rate = 1 / (burst.MeanBurstDuration.TotalSeconds * (1 - bad));
            var keep = Math.Exp(-(at.Micros - seen) / 1e6 * rate);
            var chanceBad = bad + ((state == 2 ? 1 : 0) - bad) * keep;
            state = _random.Chance(chanceBad) ? (byte)2 : (byte)1;
        }
        seen = at.Micros;
        return state == 2 && (burst.BadLoss >= 1 || _random.Chance(burst.BadLoss));
    }
}
