using Akka.Actor;
using Akka.Event;
using AmiSim.Kernel;
using AmiSim.Protocol;
using AmiSim.Protocol.Cim;
using AmiSim.Protocol.Network;

namespace AmiSim.HeadEnd.Mdm;

/// <summary>
/// The meter data management system (step 1.11, the MDM side of the post-conditions): receives CIM
/// XML as text, validates and reads it, records each meter's current program and history (durably,
/// through <see cref="MdmJournal"/>, before it answers), and answers a ResponseMessage to the sender.
/// </summary>
public sealed class MdmActor : SimActor
{
    /// <summary>Refused or partly refused messages logged as warnings; later ones go to Debug (a wrong fleet would refuse every message).</summary>
    private const int WarnedRefusals = 10;

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly MdmSetup _setup;
    private int _refusals;
    private IActorRef _journal = ActorRefs.Nobody;
    private MdmState? _state;
    /// <summary>The fleet as set up, for queries to an MDM that nothing has reached (its LP never started: see <see cref="State"/>).</summary>
    private MdmState? _asSetUp;
    private bool _started;
    private (LpId To, ResponseMessage Reply, MdmRecorded Recorded)? _writing;

    public MdmActor(MdmSetup setup) => _setup = setup;

    public static Props Props(MdmSetup setup) => Akka.Actor.Props.Create(() => new MdmActor(setup));

    protected override void OnStart()
    {
        _started = true;
        _asSetUp = null;
        var fleet = _setup.Fleet;
        _journal = StartMember(MdmJournal.Props(Membership, () => new MdmState(fleet)), "journal");
        SendDirect(_journal, MdmJournal.GetRecoveredState.Instance);
    }

    protected override void OnEvent(object payload)
    {
        if (payload is not CimDelivery delivery) throw new InvalidOperationException($"the MDM receives CIM XML, not {payload}");
        if (_setup.Unreachable?.Any(w => Now >= w.Start && Now < w.End) == true) return; // down: the message is lost, the head-end will send it again
        var decision = State.Decide(delivery.Xml, Now.ToUtc(OriginUtc));
        LogReply(decision);
        if (IsObserved)
        {
            var reply = decision.Reply;
            Publish(new CimMessageObserved(Now, reply.Header.Noun, reply.Header.CorrelationId ?? "?", reply.Reply.Result, decision.Duplicate, delivery.Xml));
        }
        if (decision.Recorded is { } recorded)
        {
            _writing = (EventSource, decision.Reply, recorded);
            SendDirect(_journal, recorded);
        }
        else
        {
            Answer(EventSource, decision.Reply);
        }
    }

    protected override void OnDirect(object message)
    {
        switch (message)
        {
            case MdmState recovered:
                _state = recovered;
                if (_log.IsInfoEnabled)
                    _log.Info("[{VirtualTime}] MDM: started on {Meters} meters; recovered {Messages} messages from its journal", Now, recovered.Meters.Count, recovered.MessagesRecorded);
                break;
            case MdmRecorded recorded when _writing is { } writing && ReferenceEquals(recorded, writing.Recorded):
                State.Apply(recorded);
                foreach (var record in recorded.Records)
                    if (MeterId.TryParseMrid(record.Meter, out var meter))
                        Trace(meter.Value, "1.11", $"MDM recorded {record.Kind} from {recorded.MessageId}: program {record.ProgramId}, firmware {record.Firmware ?? "-"}; answered {writing.Reply.Reply.Result}");
                _writing = null;
                Answer(writing.To, writing.Reply);
                break;
            default:
                throw new InvalidOperationException($"the MDM did not expect {message}");
        }
    }

    protected override void OnOtherMessage(object message)
    {
        switch (message)
        {
            case MdmQueries.GetMetersPerVersion:
                Sender.Tell(new MdmQueries.MetersPerVersion(State.MetersPerVersion(), State.MessagesRecorded));
                break;
            case MdmQueries.GetMeter get:
                Sender.Tell(State.Meters.TryGetValue(get.Mrid, out var meter) ? View(meter) : (object)new Status.Failure(new KeyNotFoundException(get.Mrid)));
                break;
            case MdmQueries.GetAllMeters:
                Sender.Tell(State.Meters.Values.OrderBy(m => m.Mrid, StringComparer.Ordinal).Select(View).ToList());
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    /// <summary>
    /// The MDM's records. An LP starts at its first event, so an MDM that no message reached (a campaign
    /// with nothing to report: every meter skipped, or canceled at once) has not started, and holds the
    /// fleet it was set up with: that is what it answers. Once started, it answers from what its journal
    /// recovered, which it has before it handles anything (queries come between runs).
    /// </summary>
    private MdmState State => _state ?? (_started
        ? throw new InvalidOperationException("the MDM has not recovered its state yet")
        : _asSetUp ??= new MdmState(_setup.Fleet));

    /// <summary>A reply other than OK is a warning (the first few: see <see cref="WarnedRefusals"/>); every reply is a Debug line.</summary>
    private void LogReply(MdmDecision decision)
    {
        var reply = decision.Reply;
        if (reply.Reply.Result != ReplyResult.OK && _refusals++ < WarnedRefusals && _log.IsWarningEnabled)
            _log.Warning("[{VirtualTime}] MDM: answered {Result} to message {Message}: {Errors}{More}", Now, reply.Reply.Result.ToString(), OutsideText.Clean(reply.Header.CorrelationId ?? "?", 80),
                OutsideText.Clean(string.Join("; ", reply.Reply.Errors.Take(5).Select(e => $"{e.Code} {e.Reason}{(e.Details is null ? "" : ": " + e.Details)}"))),
                _refusals == WarnedRefusals ? " (further refusals are logged at Debug)" : "");
        else if (_log.IsDebugEnabled)
            _log.Debug("[{VirtualTime}] MDM: answered {Result} to message {Message}{Duplicate}", Now, reply.Reply.Result.ToString(), OutsideText.Clean(reply.Header.CorrelationId ?? "?", 80),
                decision.Duplicate ? " (already recorded)" : "");
    }

    private static MdmQueries.MeterView View(MdmMeter m) => new(m.Mrid, m.Firmware, m.ProgramId, m.ConfigId, m.History.ToList());

    private void Answer(LpId to, ResponseMessage reply) => Send(to, Lookahead, new CimDelivery(CimXml.Write(reply)));
}
