using AmiSim.Kernel;
using AmiSim.Protocol.Network;
using MemoryPack;

namespace AmiSim.HeadEnd.Campaign;

/// <summary>A meter's place in a campaign, as the Metering Department sees it.</summary>
public enum MeterPhase : byte
{
    Pending,
    Initiated,
    Transferring,
    Transferred,
    Verified,
    Activating,
    Succeeded,
    Failed,
    TimedOut,
    Skipped,
    Canceled,
}

public static class MeterPhases
{
    public static bool IsFinal(this MeterPhase phase) => phase >= MeterPhase.Succeeded;

    public static bool IsError(this MeterPhase phase) => phase is MeterPhase.Failed or MeterPhase.TimedOut;
}

/// <summary>One meter's progress in the campaign: its station's working copy, or the campaign's view of it from the station's reports.</summary>
public sealed class MeterCampaignState(MeterId meter, int collector, int wave)
{
    public MeterId Meter { get; } = meter;

    public int Collector { get; } = collector;

    public int Wave { get; } = wave;

    public MeterPhase Phase { get; set; }

    public string Reason { get; set; } = "";

    /// <summary>Attempts at the current step.</summary>
    public int Attempts { get; set; }

    /// <summary>Attempts over the whole campaign (for the report).</summary>
    public int TotalAttempts { get; set; }

    /// <summary>The step's deadline in virtual microseconds (0 = none).</summary>
    public long DeadlineMicros
    {
        get => _deadlineMicros;
        set
        {
            if (value == _deadlineMicros) return; // its entry in the queue still stands
            _deadlineMicros = value;
            if (value > 0) Deadlines?.Watch(this, value);
        }
    }

    private long _deadlineMicros;

    /// <summary>Its place in the campaign's plan: meters due at the same tick are handled in this order.</summary>
    internal int Order { get; init; }

    /// <summary>Where its station looks for meters whose deadline has passed (null: nowhere, as in the campaign's view).</summary>
    internal DeadlineQueue? Deadlines { get; init; }

    public long FinishedMicros { get; set; }

    /// <summary>The outstanding command, if any.</summary>
    public long CommandId { get; set; }

    /// <summary>Blocks still missing at the last status read (null = not read yet).</summary>
    public int[]? Missing { get; set; }

    public string FirmwareAfter { get; set; } = "";

    /// <summary>Times the whole transfer was started again after a failed verification.</summary>
    public int Restarts { get; set; }

    /// <summary>Holds one of its collector's unicast sessions.</summary>
    public bool InSession { get; set; }

    /// <summary>The step it waits in its collector's queue for (null = not queued).</summary>
    internal CampaignStep? QueuedStep { get; set; }
}

/// <summary>What the head-end asks a meter in one PSEM command.</summary>
internal enum CampaignStep : byte
{
    Initiate,
    Status,
    Verify,
    Configure,
}

/// <summary>A meter's change of phase, as the journal records it.</summary>
[MemoryPackable]
public sealed partial record MeterTransition(long Meter, MeterPhase Phase, string Reason, int Attempts, long AtMicros, string FirmwareAfter);

/// <summary>
/// What one durability flush writes: the transitions since the last one, the campaign's wave (from 0;
/// the number of waves once the last is done) and its status. The first flush of each incarnation also
/// carries the plan's <paramref name="Plan"/>, so that the journal alone tells how many meters the
/// campaign takes on before it has reported them all (a member added last: older journals read it as null).
/// </summary>
[MemoryPackable]
public sealed partial record CampaignFlushed(IReadOnlyList<MeterTransition> Transitions, int Wave, string Status, CampaignOutline? Plan = null) : IBinarySerialized;

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

/// <summary>
/// A station's meters by deadline, so that a tick finds the late ones without looking at every
/// meter (a tick a minute over a collector's thousands of meters would otherwise dominate a long campaign). A meter is
/// queued each time its deadline is set; entries whose deadline has changed since are skipped.
/// </summary>
internal sealed class DeadlineQueue
{
    private readonly PriorityQueue<MeterCampaignState, long> _queue = new();

    public void Watch(MeterCampaignState meter, long deadlineMicros) => _queue.Enqueue(meter, deadlineMicros);

    /// <summary>The meters, not finished, whose current deadline is at or before <paramref name="nowMicros"/>, in plan order.</summary>
    public List<MeterCampaignState> Due(long nowMicros)
    {
        var due = new List<MeterCampaignState>();
        var seen = new HashSet<MeterCampaignState>();
        while (_queue.TryPeek(out var meter, out var deadline) && deadline <= nowMicros)
        {
            _queue.Dequeue();
            if (meter.DeadlineMicros == deadline && !meter.Phase.IsFinal() && seen.Add(meter)) due.Add(meter);
        }
        due.Sort((a, b) => a.Order.CompareTo(b.Order));
        return due;
    }

    public void Clear() => _queue.Clear();
}
