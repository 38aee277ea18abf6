using Akka.Actor;
using Akka.Persistence;
using AmiSim.HeadEnd.Mdm;
using AmiSim.Protocol.Cim;

namespace AmiSim.Host.Mdm;

/// <summary>
/// The MDM of <c>amisim mdm</c>: <see cref="MdmState"/>'s rules on the wall clock, each accepted
/// message journaled (Akka.Persistence, the same <see cref="MdmRecorded"/> records as a run's MDM)
/// before it is answered. Writes go to the journal without waiting for each other, so that many
/// senders are answered at the journal's batch rate; a message is applied to the state when it is
/// decided, so that a duplicate arriving while the first is written is already known, and its answer
/// waits for that write. If a write fails the actor stops and starts again from its journal: what was
/// not written was not answered, and the sender sends it again.
/// </summary>
public sealed class MdmService : UntypedPersistentActor
{
    private readonly IReadOnlyList<(string Mrid, string Firmware)> _fleet;
    private readonly Func<DateTime> _clock;
    private MdmState _state;
    private long _answered;

    public MdmService(IReadOnlyList<(string Mrid, string Firmware)> fleet, Func<DateTime> clock)
    {
        _fleet = fleet;
        _clock = clock;
        _state = new MdmState(fleet);
    }

    public static Props Props(IReadOnlyList<(string Mrid, string Firmware)> fleet, Func<DateTime>? clock = null) =>
        Akka.Actor.Props.Create(() => new MdmService(fleet, clock ?? (() => DateTime.UtcNow)));

    public override string PersistenceId => "amisim-mdm";

    /// <summary>A message that reached the endpoint: read (<paramref name="Message"/>) or not (<paramref name="Error"/>). Answered with <see cref="Answer"/>.</summary>
    public sealed record Deliver(CimMessage? Message, CimFormatException? Error);

    /// <summary>The reply to send, once what it records is durable.</summary>
    public sealed record Answer(ResponseMessage Reply, bool Recorded, bool Duplicate);

    /// <summary>What the MDM holds. Answered with <see cref="Totals"/>.</summary>
    public sealed class GetTotals
    {
        public static readonly GetTotals Instance = new();

        private GetTotals() { }
    }

    public sealed record Totals(int Meters, int Messages, int Events, long Answered);

    /// <summary>The journal holds records of a meter the fleet does not have: the MDM was started on another fleet.</summary>
    public sealed class FleetMismatchException(string message) : Exception(message);

    protected override void OnRecover(object message)
    {
        if (message is not MdmRecorded recorded) return;
        if (recorded.Records.FirstOrDefault(r => !_state.Meters.ContainsKey(r.Meter)) is { } stranger)
            throw new FleetMismatchException($"the journal holds records of meter {stranger.Meter}, which this fleet ({_fleet.Count:N0} meters) does not have: start the MDM on the scenario it was started on, or on a new --db");
        _state.Apply(recorded);
    }

    protected override void OnRecoveryFailure(Exception reason, object? message = null)
    {
        Context.System.EventStream.Publish(new RecoveryFailed(reason));
        base.OnRecoveryFailure(reason, message);
    }

    /// <summary>Published when the journal cannot be read back (a foreign fleet, a damaged file): the command stops with the reason.</summary>
    public sealed record RecoveryFailed(Exception Reason);

    protected override void OnCommand(object message)
    {
        switch (message)
        {
            case Deliver { Error: { } error }:
                Sender.Tell(new Answer(MdmState.Refused(_clock(), error).Reply, false, false));
                break;
            case Deliver { Message: { } cim }:
                var decision = _state.Decide(cim, _clock());
                var sender = Sender;
                if (decision.Recorded is { } recorded)
                {
                    _state.Apply(recorded);
                    PersistAsync(recorded, _ => Reply(sender, new Answer(decision.Reply, true, false)));
                }
                else
                {
                    // Its answer may rest on a message still being written: it waits for that write.
                    DeferAsync(decision, d => Reply(sender, new Answer(d.Reply, false, d.Duplicate)));
                }
                break;
            case GetTotals:
                Sender.Tell(new Totals(_state.Meters.Count, _state.MessagesRecorded, _state.EventsRecorded, _answered));
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void Reply(IActorRef to, Answer answer)
    {
        _answered++;
        to.Tell(answer);
    }

    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        Context.System.EventStream.Publish(new RecoveryFailed(cause));
        base.OnPersistFailure(cause, @event, sequenceNr);
    }
}
