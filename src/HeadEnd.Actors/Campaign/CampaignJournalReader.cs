using Akka.Actor;
using Akka.Persistence;
using AmiSim.HeadEnd.Mdm;

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
        else if (message is not SnapshotOffer)
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

/// <summary>A campaign's state as its journal holds it: the last durable phase of each meter.</summary>
public sealed record DurableCampaignState(string Status, int Wave, int Flushes, IReadOnlyDictionary<long, MeterTransition> Meters)
{
    public static DurableCampaignState From(IEnumerable<object> events)
    {
        var meters = new SortedDictionary<long, MeterTransition>();
        var status = "not started";
        var wave = 0;
        var flushes = 0;
        foreach (var flushed in events.OfType<CampaignFlushed>())
        {
            flushes++;
            status = flushed.Status;
            wave = flushed.Wave + 1;
            foreach (var transition in flushed.Transitions) meters[transition.Meter] = transition;
        }
        return new DurableCampaignState(status, wave, flushes, meters);
    }
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
