using Akka.Actor;
using Akka.Persistence;
using AmiSim.HeadEnd.Mdm;
using AmiSim.Kernel;
using MemoryPack;

namespace AmiSim.HeadEnd.Campaign;

/// <summary>
/// Reads a journal without the simulation: replays one persistence id's events and hands them to
/// whoever asked (`amisim status --db`). It never writes.
/// </summary>
public sealed class JournalReader(string persistenceId, IActorRef requester) : UntypedPersistentActor
{
    private readonly List<object> _events = [];

    public static Props Props(string persistenceId, IActorRef requester) => Akka.Actor.Props.Create(() => new JournalReader(persistenceId, requester));

    public override string PersistenceId => persistenceId;

    protected override void OnRecover(object message)
    {
        if (message is RecoveryCompleted)
        {
            requester.Tell(new JournalRead(persistenceId, _events.ToList()));
            Context.Stop(Self);
        }
        else if (message is SnapshotOffer offer)
        {
            _events.Add(offer.Snapshot); // the state up to the snapshot; the events after it follow
        }
        else
        {
            _events.Add(message);
        }
    }

    protected override void OnCommand(object message) => Unhandled(message);

    protected override void OnRecoveryFailure(Exception reason, object? message = null)
    {
        requester.Tell(new Status.Failure(new InvalidOperationException($"cannot read {persistenceId}: {reason.Message}", reason)));
        base.OnRecoveryFailure(reason, message);
    }
}

public sealed record JournalRead(string PersistenceId, IReadOnlyList<object> Events);

/// <summary>
/// A campaign's state as its journal holds it: the last durable phase of each meter it has reported,
/// and (journals written since they were) the plan's numbers and a paused campaign's reason, null in older journals.
/// </summary>
/// <param name="Wave">the wave the campaign was in, from 1; the number of waves plus one once the last is done.</param>
public sealed record DurableCampaignState(CampaignStatus? Status, int Wave, int Flushes, IReadOnlyDictionary<long, MeterTransition> Meters, CampaignOutline? Plan = null, string? PauseReason = null)
{
    /// <summary>
    /// Where the campaign is among its waves, for people: "wave 2 of 3", "all 3 waves done" once the last
    /// is (<see cref="Wave"/> is then one more than there are); without <see cref="Plan"/>, the count is unknown.
    /// </summary>
    public string WaveText =>
        Flushes == 0 ? "no wave yet"
        : Plan is null ? (Status == CampaignStatus.Completed ? "all waves done" : $"wave {Wave}")
        : Wave > Plan.WaveMeters.Count ? $"all {Plan.WaveMeters.Count} waves done"
        : $"wave {Math.Max(1, Wave)} of {Plan.WaveMeters.Count}";

    /// <summary>The status as people read it: its name (with a paused campaign's reason when the journal has it), or "not started" before the first flush.</summary>
    public string StatusText => Status is not { } status ? "not started" : status == CampaignStatus.Paused && PauseReason is { Length: > 0 } why ? $"paused ({why})" : status.Name();

    /// <summary>The meters of the plan the journal holds no transition of yet (null without <see cref="Plan"/>): their stations have not reported them.</summary>
    public int? NotYetReported => Plan is null ? null : Math.Max(0, Plan.Meters - Meters.Count);

    public static DurableCampaignState From(IEnumerable<object> events)
    {
        var state = new DurableCampaign();
        foreach (var e in events)
        {
            if (e is CampaignSnapshot snapshot) state = DurableCampaign.From(snapshot);
            else if (e is CampaignFlushed flushed) state.Apply(flushed);
        }
        return state.ToState();
    }
}

/// <summary>A snapshot of a campaign's journal: what <see cref="DurableCampaignState"/> holds, so recovery need not replay every flush.</summary>
[MemoryPackable]
public sealed partial record CampaignSnapshot(string Status, int Wave, int Flushes, IReadOnlyList<MeterTransition> Meters, CampaignOutline? Plan = null, string? PauseReason = null) : IBinarySerialized;

/// <summary>Folds flushes into the campaign's durable state, as the journal replays or writes them.</summary>
public sealed class DurableCampaign
{
    private readonly SortedDictionary<long, MeterTransition> _meters = new();
    private CampaignStatus? _status; // null: not started
    private int _wave;
    private int _flushes;
    private CampaignOutline? _plan;
    private string? _pauseReason;

    public int Flushes => _flushes;

    /// <summary>The meters the state holds (what a snapshot writes).</summary>
    public int MeterCount => _meters.Count;

    public void Apply(CampaignFlushed flushed)
    {
        _flushes++;
        _status = CampaignStatuses.Parse(flushed.Status);
        _wave = flushed.Wave + 1;
        _plan = flushed.Plan ?? _plan;
        _pauseReason = flushed.PauseReason;
        foreach (var transition in flushed.Transitions) _meters[transition.Meter] = transition;
    }

    public static DurableCampaign From(CampaignSnapshot snapshot)
    {
        var state = new DurableCampaign { _status = CampaignStatuses.Parse(snapshot.Status), _wave = snapshot.Wave, _flushes = snapshot.Flushes, _plan = snapshot.Plan, _pauseReason = snapshot.PauseReason };
        foreach (var meter in snapshot.Meters) state._meters[meter.Meter] = meter;
        return state;
    }

    public CampaignSnapshot ToSnapshot() => new(_status?.Name() ?? CampaignStatus.Created.Name(), _wave, _flushes, _meters.Values.ToList(), _plan, _pauseReason);

    public DurableCampaignState ToState() => new(_status, _wave, _flushes, new SortedDictionary<long, MeterTransition>(_meters), _plan, _pauseReason);
}

/// <summary>What the MDM's journal holds: how many messages and which firmware each recorded meter ended on.</summary>
public sealed record DurableMdmState(int Messages, IReadOnlyDictionary<string, string> FirmwareByMeter)
{
    public static DurableMdmState From(IEnumerable<object> events)
    {
        var messages = 0;
        var firmware = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var recorded in events.OfType<MdmRecorded>())
        {
            messages++;
            foreach (var record in recorded.Records.Where(r => r.Kind == "MeterConfig" && r.Firmware is not null)) firmware[record.Meter] = record.Firmware!;
        }
        return new DurableMdmState(messages, firmware);
    }
}
