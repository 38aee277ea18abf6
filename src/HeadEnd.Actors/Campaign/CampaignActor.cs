using Akka.Actor;
using AmiSim.Kernel;

namespace AmiSim.HeadEnd.Campaign;

/// <summary>
/// The head-end's campaign LP: its rules are <see cref="CampaignState"/>'s; the actor hands it each
/// event, its journal's answers and the time, performs what it decided (the kernel's effects, and the
/// journal's and the outbox's: see CampaignEffects.cs), and answers queries between runs.
/// </summary>
public sealed class CampaignActor : SimActor
{
    private readonly CampaignSetup _setup;
    private LpEffects _effects = new();
    private CampaignState? _state;
    /// <summary>The campaign as made, for queries before its LP's first event (see <see cref="State"/>).</summary>
    private CampaignState? _unstarted;
    private IActorRef _journal = ActorRefs.Nobody;
    /// <summary>What the current journal has written, read here so that confirming a batch already written needs no exchange.</summary>
    private WriteProgress _written = new();

    public CampaignActor(CampaignSetup setup) => _setup = setup;

    public static Props Props(CampaignSetup setup) => Akka.Actor.Props.Create(() => new CampaignActor(setup));

    /// <summary>
    /// The campaign's state. An LP starts at its first event (the campaign's start), so before it the
    /// campaign answers queries as made: nothing planned, nothing reported.
    /// </summary>
    private CampaignState State => _state ?? (_unstarted ??= new CampaignState(_setup, CampaignSetup.Lp, DateTime.UnixEpoch, TimeSpan.Zero, new LpEffects()));

    protected override void OnStart()
    {
        _effects = NewEffects();
        _state = new CampaignState(_setup, Id, OriginUtc, Lookahead, _effects);
        _state.Start();
        PerformDecided();
    }

    protected override void OnEvent(object payload)
    {
        State.Handle(payload, Now);
        PerformDecided();
    }

    protected override void OnDirect(object message)
    {
        switch (message)
        {
            case CampaignJournal.Recovered recovered:
                State.Recovered(recovered.State, Now);
                break;
            case CampaignJournal.Written:
                State.Written(Now);
                break;
            default:
                throw new InvalidOperationException($"campaign {_setup.CampaignId}: unexpected {message}");
        }
        PerformDecided();
    }

    protected override void OnOtherMessage(object message)
    {
        switch (message)
        {
            case GetCampaignSummary:
                Sender.Tell(State.Summary());
                break;
            case GetMeterOutcomes:
                Sender.Tell(State.Outcomes());
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    /// <summary>Performs what the state decided, then publishes the campaign's status and wave if either changed (observed runs only).</summary>
    private void PerformDecided()
    {
        Perform(_effects, PerformOwn);
        if (IsObserved && State.ObserveStatus(Now) is { } observed) Publish(observed);
    }

    private void PerformOwn(ILpEffect effect)
    {
        switch (effect)
        {
            case StartJournal start:
                _journal = StartMember(CampaignJournal.Props(Membership, _setup.CampaignId, _setup.Settings.Snapshots, _written = new WriteProgress()), start.Name);
                SendDirect(_journal, CampaignJournal.GetRecovered.Instance);
                break;
            case StopJournal:
                Context.Stop(_journal);
                break;
            case WriteBatch write:
                TellMember(_journal, write.Batch);
                break;
            case AwaitWritten awaited when _written.Written >= awaited.UpTo:
                State.Written(Now); // written already: decided into the same buffer, performed next
                break;
            case AwaitWritten:
                SendDirect(_journal, CampaignJournal.AwaitWritten.Instance);
                break;
            case CimSent sent:
                _setup.Outbox?.Sent(sent.MessageId, sent.Xml, Now);
                break;
            default:
                throw new InvalidOperationException($"campaign {_setup.CampaignId}: cannot perform {effect}");
        }
    }
}
