using AmiSim.Kernel;
using AmiSim.Protocol.Network;

namespace AmiSim.HeadEnd.Campaign;

/// <summary>
/// Where a collector's multicast round of the current wave is: its flood is on the air until the
/// round's status reads start (<see cref="StatusRound"/>); the repair is decided once they have all
/// been answered or given up. Deciding while the flood is still travelling would find every meter
/// missing blocks.
/// </summary>
internal sealed class MulticastRound
{
    /// <summary>The wave's rounds flooded here so far (0: none; the current one's number otherwise).</summary>
    public int Number { get; private set; }

    public RoundStage Stage { get; set; }

    /// <summary>When the collector's latest flood should have crossed its cell (its channel is busy until then).</summary>
    public SimTime FloodEnds { get; private set; }

    /// <summary>The meters whose status read of this round has not been answered or given up.</summary>
    public HashSet<MeterId> Outstanding { get; } = [];

    /// <summary>A new wave here, or the same wave after a restart with <paramref name="number"/> rounds counted as done.</summary>
    public void Reset(int number = 0)
    {
        Number = number;
        Stage = RoundStage.Idle;
        Outstanding.Clear();
    }

    /// <summary>The next round's flood is on the air until <paramref name="floodEnds"/>.</summary>
    public void Flood(SimTime floodEnds)
    {
        Number++;
        Stage = RoundStage.Flooding;
        FloodEnds = floodEnds;
    }

    /// <summary>Forgets everything, the flood's end too (the head-end died).</summary>
    public void Clear()
    {
        Reset();
        FloodEnds = SimTime.Zero;
    }
}

internal enum RoundStage : byte
{
    Idle,
    Flooding,
    Collecting,
}
