using Akka.Actor;
using Akka.Persistence;
using AmiSim.Kernel;

namespace AmiSim.HeadEnd.Campaign;

/// <summary>The campaign's journal: each flush is one persisted batch; the campaign acts on the batch only once it is written.</summary>
public sealed class CampaignJournal : PersistentLpMemberActor
{
    private readonly string _campaignId;
    private readonly int _snapshotEvery;
    private DurableCampaign _state = new();

    /// <param name="snapshotEvery">flushes between snapshots: recovery replays at most this many batches after the latest snapshot.</param>
    public CampaignJournal(LpMembership membership, string campaignId, int snapshotEvery) : base(membership)
    {
        _campaignId = campaignId;
        _snapshotEvery = snapshotEvery;
    }

    public static Props Props(LpMembership membership, string campaignId, int snapshotEvery) =>
        Akka.Actor.Props.Create(() => new CampaignJournal(membership, campaignId, snapshotEvery));

    public override string PersistenceId => $"amisim-campaign-{_campaignId}";

    protected override void OnRecovered(object @event)
    {
        switch (@event)
        {
            case SnapshotOffer { Snapshot: CampaignSnapshot snapshot }:
                _state = DurableCampaign.From(snapshot);
                break;
            case CampaignFlushed flushed:
                _state.Apply(flushed);
                break;
        }
    }

    protected override void OnDirect(object message)
    {
        switch (message)
        {
            case GetRecovered:
                Reply(new Recovered(_state.Flushes == 0 ? null : _state.ToState()));
                break;
            case CampaignFlushed flushed:
                Persist(flushed, written =>
                {
                    _state.Apply(written);
                    if (_state.Flushes % _snapshotEvery == 0) SaveSnapshot(_state.ToSnapshot());
                    Reply(written);
                });
                break;
            default:
                throw new InvalidOperationException($"the campaign journal does not understand {message}");
        }
    }

    protected override void OnOtherCommand(object message)
    {
        if (message is not (SaveSnapshotSuccess or SaveSnapshotFailure)) base.OnOtherCommand(message);
    }

    internal sealed class GetRecovered
    {
        public static readonly GetRecovered Instance = new();

        private GetRecovered() { }
    }

    /// <summary>The durable state, or null when the journal holds nothing.</summary>
    internal sealed record Recovered(DurableCampaignState? State);
}
