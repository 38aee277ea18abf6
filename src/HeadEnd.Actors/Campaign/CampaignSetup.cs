using AmiSim.Kernel;
using AmiSim.Protocol.C1219;
using AmiSim.Protocol.Network;
using AmiSim.Protocol.Programs;

namespace AmiSim.HeadEnd.Campaign;

/// <summary>A meter as the head-end knows it: where it is, what it runs, and its PSEM credential.</summary>
public sealed record FleetMeter(MeterId Meter, int Collector, string Model, FirmwareVersion Firmware, byte[] Credential);

/// <summary>What the head-end knows of a collector's mesh, to estimate how long a multicast round takes.</summary>
/// <remarks><paramref name="BackhaulLatency"/>: the collector's station sends frames to the collector's router that much later, since they reach it only over the backhaul.</remarks>
public sealed record CollectorProfile(int Collector, int Relays, int MaxDepth, TimeSpan BackhaulLatency = default);

/// <summary>Which meters a campaign targets; empty lists mean "any".</summary>
public sealed record TargetSelection
{
    public IReadOnlyList<string> Models { get; init; } = [];
    public IReadOnlyList<int> Collectors { get; init; } = [];
    public IReadOnlyList<FirmwareVersion> CurrentVersions { get; init; } = [];
    public IReadOnlyList<long> Meters { get; init; } = [];

    public bool Selects(FleetMeter meter) =>
        (Models.Count == 0 || Models.Contains(meter.Model)) &&
        (Collectors.Count == 0 || Collectors.Contains(meter.Collector)) &&
        (CurrentVersions.Count == 0 || CurrentVersions.Contains(meter.Firmware)) &&
        (Meters.Count == 0 || Meters.Contains(meter.Meter.Value));
}

/// <summary>Everything a campaign LP is made with.</summary>
public sealed record CampaignSetup(
    string CampaignId,
    ProgramPackage Package,
    CampaignPlan Plan,
    CampaignSettings Settings,
    LpId Mdm,
    ICimOutbox? Outbox = null)
{
    public static readonly LpId Lp = new(LpKind.HeadEnd, 1);
}

/// <summary>Where the head-end's CIM messages also go (the run folder, an external MDM); called in the campaign's deterministic order.</summary>
public interface ICimOutbox
{
    void Sent(string messageId, string xml, SimTime at);
}

/// <summary>Starts the campaign (scheduled by the run at its start time).</summary>
public sealed class StartCampaign
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
}

public sealed record OperatorCommand(OperatorAction Action);

/// <summary>The head-end process dies now and comes back after <paramref name="Downtime"/>: it keeps only what its journal holds.</summary>
public sealed record HeadEndCrash(TimeSpan Downtime);

/// <summary>Query between runs: the campaign's summary. Answered with <see cref="CampaignSummary"/>.</summary>
public sealed class GetCampaignSummary
{
    public static readonly GetCampaignSummary Instance = new();

    private GetCampaignSummary() { }
}

/// <param name="Quiet">nothing in flight: no meter mid-step, every state change durable, every CIM message answered.</param>
/// <param name="Restarts">head-end restarts after crashes; <paramref name="DroppedWhileDown"/> frames that reached it while it was down.</param>
public sealed record CampaignSummary(CampaignStatus Status, int Wave, int Waves, IReadOnlyDictionary<MeterPhase, int> Phases, string PauseReason, bool Quiet, int CimMessagesSent,
    int Restarts = 0, long DroppedWhileDown = 0, long CimResent = 0, long CimRejected = 0, long JournalWrites = 0, int MostSessionsPerCollector = 0,
    int MulticastRounds = 0, long MulticastBlocks = 0, long UnicastBlocks = 0);

/// <summary>Query between runs: every meter's state. Answered with a list of <see cref="MeterOutcome"/>.</summary>
public sealed class GetMeterOutcomes
{
    public static readonly GetMeterOutcomes Instance = new();

    private GetMeterOutcomes() { }
}

public sealed record MeterOutcome(long Meter, int Collector, int Wave, MeterPhase Phase, string Reason, int Attempts, long FinishedMicros, string FirmwareAfter);
