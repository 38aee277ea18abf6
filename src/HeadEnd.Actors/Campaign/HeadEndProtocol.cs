using AmiSim.Kernel;
using AmiSim.Protocol.Network;
using MemoryPack;

namespace AmiSim.HeadEnd.Campaign;

// The head-end's protocol: what the run and the operator tell a campaign (ICampaignCommand), what
// they ask it between runs (ICampaignQuery), and what the campaign and its collectors' stations
// tell each other (IStationOrder, StationReport). Its journal's events are in CampaignJournalEvents.cs.

/// <summary>Something the run or the operator tells the campaign, as an event at a virtual time.</summary>
public interface ICampaignCommand;

/// <summary>A question asked of the campaign between runs (not through the kernel); each names its answer.</summary>
public interface ICampaignQuery;

/// <summary>Where a campaign is: made, working its waves, held, ended, or its head-end down.</summary>
public enum CampaignStatus : byte
{
    /// <summary>Made, not yet started.</summary>
    Created,
    Running,
    /// <summary>Held by the operator or by a threshold; resumes on the operator's word.</summary>
    Paused,
    Completed,
    Canceled,
    /// <summary>The head-end has crashed and not yet restarted.</summary>
    Down,
}

public static class CampaignStatuses
{
    /// <summary>The status as reports, logs, CIM and the journal write it ("running").</summary>
    public static string Name(this CampaignStatus status) => status switch
    {
        CampaignStatus.Created => "created",
        CampaignStatus.Running => "running",
        CampaignStatus.Paused => "paused",
        CampaignStatus.Completed => "completed",
        CampaignStatus.Canceled => "canceled",
        CampaignStatus.Down => "down",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };

    /// <summary>The status a name stands for (<see cref="Name"/>'s inverse). <exception cref="FormatException">no status has that name.</exception></summary>
    public static CampaignStatus Parse(string name)
    {
        foreach (var status in Enum.GetValues<CampaignStatus>())
            if (status.Name() == name) return status;
        throw new FormatException($"'{name}' is not a campaign status ({string.Join(", ", Enum.GetValues<CampaignStatus>().Select(Name))})");
    }
}

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

/// <summary>Starts the campaign (scheduled by the run at its start time).</summary>
public sealed class StartCampaign : ICampaignCommand
{
    public static readonly StartCampaign Instance = new();

    private StartCampaign() { }
}

/// <summary>Operator actions, scriptable at virtual times or sent while running.</summary>
public enum OperatorAction
{
    Pause,
    Resume,
    Cancel,
    RetryFailed,
    /// <summary>Starts a campaign that waits for the operator (campaign.start = operator); ignored once it has started.</summary>
    Start,
}

public static class OperatorActions
{
    /// <summary>The action as scenarios, the console and report.json write it ("retry-failed").</summary>
    public static string Name(this OperatorAction action) => action switch
    {
        OperatorAction.Pause => "pause",
        OperatorAction.Resume => "resume",
        OperatorAction.Cancel => "cancel",
        OperatorAction.RetryFailed => "retry-failed",
        OperatorAction.Start => "start",
        _ => throw new ArgumentOutOfRangeException(nameof(action), action, null),
    };

    /// <summary>The action a name stands for (<see cref="Name"/>'s inverse); null when none has that name.</summary>
    public static OperatorAction? Parse(string? name) =>
        Enum.GetValues<OperatorAction>().Cast<OperatorAction?>().FirstOrDefault(a => a!.Value.Name() == name);
}

/// <param name="Meters">for <see cref="OperatorAction.Start"/>: only these meters of the plan (a CIM create EndDeviceControls names them); null for all.</param>
/// <param name="By">who asked, as the skipped meters' reason names it (a request's MessageID).</param>
public sealed record OperatorCommand(OperatorAction Action, IReadOnlyList<long>? Meters = null, string? By = null) : ICampaignCommand;

/// <summary>The head-end process dies now and comes back after <paramref name="Downtime"/>: it keeps only what its journal holds.</summary>
public sealed record HeadEndCrash(TimeSpan Downtime) : ICampaignCommand;

/// <summary>Query between runs: the campaign's summary. Answered with <see cref="CampaignSummary"/>.</summary>
public sealed class GetCampaignSummary : ICampaignQuery
{
    public static readonly GetCampaignSummary Instance = new();

    private GetCampaignSummary() { }
}

/// <param name="Wave">the wave the campaign is in, from 1; the number of waves plus one once the last is done.</param>
/// <param name="Quiet">nothing in flight: no meter mid-step, every state change durable, every CIM message answered.</param>
/// <param name="Restarts">head-end restarts after crashes; <paramref name="DroppedWhileDown"/> frames that reached it while it was down.</param>
public sealed record CampaignSummary(CampaignStatus Status, int Wave, int Waves, IReadOnlyDictionary<MeterPhase, int> Phases, string PauseReason, bool Quiet, int CimMessagesSent,
    int Restarts = 0, long DroppedWhileDown = 0, long CimResent = 0, long CimRejected = 0, long JournalWrites = 0, int MostSessionsPerCollector = 0,
    int MulticastRounds = 0, long MulticastBlocks = 0, long UnicastBlocks = 0);

/// <summary>Query between runs: every meter's state. Answered with a list of <see cref="MeterOutcome"/>.</summary>
public sealed class GetMeterOutcomes : ICampaignQuery
{
    public static readonly GetMeterOutcomes Instance = new();

    private GetMeterOutcomes() { }
}

public sealed record MeterOutcome(long Meter, int Collector, int Wave, MeterPhase Phase, string Reason, int Attempts, long FinishedMicros, string FirmwareAfter);

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
/// numbers, not a record per meter, keep the order small when it crosses nodes.
/// </summary>
[MemoryPackable]
public sealed partial record StationPlan(int Incarnation, CampaignStatus Status, int RestoreWave, byte[] Phases, int[] Attempts) : IStationOrder, ISizedPayload
{
    /// <summary>Five bytes a meter and the type names, at least what it takes on the wire (StationWireTests holds it to that).</summary>
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
    /// The type names, and per transition 64 bytes and its reason's: at least what it takes on the wire
    /// (StationWireTests holds it to that).
    /// </summary>
    [MemoryPackIgnore]
    public int EstimatedBytes => 1024 + Transitions.Sum(t => 64 + t.Reason.Length * 3);
}

/// <summary>A meter's change of phase, as the journal records it.</summary>
[MemoryPackable]
public sealed partial record MeterTransition(long Meter, MeterPhase Phase, string Reason, int Attempts, long AtMicros, string FirmwareAfter);
