using AmiSim.Kernel;
using MemoryPack;

namespace AmiSim.HeadEnd.Campaign;

/// <summary>
/// What one durability flush writes: the transitions since the last one, the campaign's wave (from 0;
/// the number of waves once the last is done) and its status. The first flush of each incarnation also
/// carries the plan's <paramref name="Plan"/>, so that the journal alone tells how many meters the
/// campaign takes on before it has reported them all (a member added last: older journals read it as null).
/// <paramref name="PauseReason"/> is why a paused campaign is paused (added last after it: null in older journals).
/// </summary>
[MemoryPackable]
public sealed partial record CampaignFlushed(IReadOnlyList<MeterTransition> Transitions, int Wave, string Status, CampaignOutline? Plan = null, string? PauseReason = null) : IBinarySerialized;

/// <summary>A campaign's plan in numbers: the meters of each wave (canary first) and the meters skipped.</summary>
[MemoryPackable]
public sealed partial record CampaignOutline(IReadOnlyList<int> WaveMeters, int Skipped)
{
    /// <summary>The meters the campaign's targets select: every wave's and the skipped.</summary>
    public int Meters => WaveMeters.Sum() + Skipped;

    public static CampaignOutline Of(CampaignPlan plan) => new(plan.Waves.Select(w => w.Count).ToList(), plan.Skipped.Count);

    public bool Equals(CampaignOutline? other) => other is not null && Skipped == other.Skipped && WaveMeters.SequenceEqual(other.WaveMeters);

    public override int GetHashCode() => HashCode.Combine(Skipped, WaveMeters.Count);
}
