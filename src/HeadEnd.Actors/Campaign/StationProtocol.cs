using AmiSim.Kernel;
using AmiSim.Protocol.Programs;
using MemoryPack;

namespace AmiSim.HeadEnd.Campaign;

/// <summary>Everything a collector's station is made with: its collector, that collector's meters in the plan (in plan order), and the campaign's policy.</summary>
public sealed record StationSetup(
    string CampaignId,
    ProgramPackage Package,
    CollectorProfile Collector,
    IReadOnlyList<PlannedMeter> Meters,
    CampaignSettings Settings,
    int PhyBitsPerSecond,
    TimeSpan HopLatency)
{
    public static LpId LpOf(int collector) => new(LpKind.Station, collector);
}

// The campaign and its stations talk only through these events, sent on the head-end's clock
// (CampaignSettings.NextTick) and each one station latency late (CampaignSettings.StationLatency):
// they may live on different partitions, and on different nodes.
// Every order carries the head-end's incarnation, so that a station ignores what an earlier life of
// the process sent it.

/// <summary>An order from the campaign to a station.</summary>
public interface IStationOrder : IBinarySerialized
{
    int Incarnation { get; }
}

/// <summary>
/// The station is to take its meters of the plan on (<see cref="StationSetup.Meters"/>), and the
/// campaign's status. With <paramref name="RestoreWave"/> at 0 or more, the head-end restarted:
/// <paramref name="Phases"/> and <paramref name="Attempts"/> hold what the journal held of each meter,
/// in plan order, and the station asks that wave's unfinished meters where they got to. Arrays of
/// numbers keep the order small when it crosses nodes (a record per meter made 4.8 MB for 50,000).
/// </summary>
[MemoryPackable]
public sealed partial record StationPlan(int Incarnation, CampaignStatus Status, int RestoreWave, byte[] Phases, int[] Attempts) : IStationOrder, ISizedPayload
{
    /// <summary>Five bytes a meter and the type names (Hyperion: 25,238 bytes for 5,000 meters; StationWireTests).</summary>
    [MemoryPackIgnore]
    public int EstimatedBytes => 512 + Phases.Length * 5;
}

/// <summary>Wave <paramref name="Wave"/> (from 0) starts: the station takes its meters of it on.</summary>
[MemoryPackable]
public sealed partial record StationWave(int Incarnation, int Wave) : IStationOrder;

/// <summary>The campaign's status changed (running, paused, canceled, completed).</summary>
[MemoryPackable]
public sealed partial record StationStatus(int Incarnation, CampaignStatus Status) : IStationOrder;

/// <summary>The operator asked for failed and timed-out meters to be tried again.</summary>
[MemoryPackable]
public sealed partial record StationRetryFailed(int Incarnation) : IStationOrder;

/// <summary>The station's reports up to <paramref name="Report"/> are durable: it may acknowledge the confirmations they held.</summary>
[MemoryPackable]
public sealed partial record StationDurable(int Incarnation, long Report) : IStationOrder;

/// <summary>The head-end process died: the station loses what it held and waits for the plan of incarnation <paramref name="Incarnation"/>.</summary>
[MemoryPackable]
public sealed partial record StationCrash(int Incarnation) : IStationOrder;

/// <summary>A station's running totals, for the campaign's summary.</summary>
[MemoryPackable]
public sealed partial record StationCounters(int MostSessions, int MulticastRounds, long MulticastBlocks, long UnicastBlocks, long DroppedWhileDown);

/// <summary>
/// What a station changed since its last report: its meters' transitions, in order, and how many
/// confirmations it holds that wait for them to be durable before they are acknowledged.
/// </summary>
[MemoryPackable]
public sealed partial record StationReport(int Collector, int Incarnation, long Sequence, IReadOnlyList<MeterTransition> Transitions, int Acks, StationCounters Counters)
    : IBinarySerialized, ISizedPayload
{
    /// <summary>
    /// The type names, and per transition 64 bytes and its reason's (Hyperion: 1,061 bytes for one
    /// transition, 301,023 for 5,000 of which half have a 44-character reason; StationWireTests).
    /// </summary>
    [MemoryPackIgnore]
    public int EstimatedBytes => 1024 + Transitions.Sum(t => 64 + t.Reason.Length * 3);
}
