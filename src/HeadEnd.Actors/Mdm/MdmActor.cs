using Akka.Actor;
using AmiSim.Kernel;
using AmiSim.Protocol.Cim;

namespace AmiSim.HeadEnd.Mdm;

/// <summary>The MDM's fleet at the start: each meter's mRID and firmware.</summary>
/// <param name="Unreachable">virtual-time windows [start, end) in which the MDM is down: messages sent to it are lost.</param>
public sealed record MdmSetup(IReadOnlyList<(string Mrid, string Firmware)> Fleet, IReadOnlyList<(SimTime Start, SimTime End)>? Unreachable = null)
{
    public static readonly LpId Lp = new(LpKind.Mdm, 0);
}

/// <summary>Queries between runs.</summary>
public static class MdmQueries
{
    public sealed class GetMetersPerVersion
    {
        public static readonly GetMetersPerVersion Instance = new();

        private GetMetersPerVersion() { }
    }

    public sealed record MetersPerVersion(IReadOnlyDictionary<string, int> Counts, int MessagesRecorded);

    public sealed record GetMeter(string Mrid);

    public sealed record MeterView(string Mrid, string Firmware, string? ProgramId, string? ConfigId, IReadOnlyList<MeterRecord> History);

    public sealed class GetAllMeters
    {
        public static readonly GetAllMeters Instance = new();

        private GetAllMeters() { }
    }
}

/// <summary>
/// The meter data management system (step 1.11, the MDM side of the post-conditions): receives CIM
/// XML as text, validates and reads it, records each meter's current program and history (durably,
/// through <see cref="MdmJournal"/>, before it answers), and answers a ResponseMessage to the sender.
/// </summary>
public sealed class MdmActor : SimActor
{
    private readonly MdmSetup _setup;
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
        var decision = State.Decide(delivery.Xml, Now.ToUtc(EpochUtc));
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
                break;
            case MdmRecorded recorded when _writing is { } writing && ReferenceEquals(recorded, writing.Recorded):
                State.Apply(recorded);
                foreach (var record in recorded.Records)
                    if (long.TryParse(record.Meter.AsSpan(3), out var meter))
                        Trace(meter, "1.11", $"MDM recorded {record.Kind} from {recorded.MessageId}: program {record.ProgramId}, firmware {record.Firmware ?? "-"}; answered {writing.Reply.Reply.Result}");
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
    /// recovered, which it has before it handles anything (queries come between windows).
    /// </summary>
    private MdmState State => _state ?? (_started
        ? throw new InvalidOperationException("the MDM has not recovered its state yet")
        : _asSetUp ??= new MdmState(_setup.Fleet));

    private static MdmQueries.MeterView View(MdmMeter m) => new(m.Mrid, m.Firmware, m.ProgramId, m.ConfigId, m.History.ToList());

    private void Answer(LpId to, ResponseMessage reply) => Send(to, Lookahead, new CimDelivery(CimXml.Write(reply)));
}
