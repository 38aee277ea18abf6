using Akka.Actor;
using AmiSim.Kernel;

namespace AmiSim.HeadEnd.Campaign;

/// <summary>The campaign's journal: each flush is one persisted batch; the campaign acts on the batch only once it is written.</summary>
public sealed class CampaignJournal : PersistentLpMemberActor
{
    private readonly string _campaignId;
    private readonly List<CampaignFlushed> _recovered = [];

    public CampaignJournal(LpMembership membership, string campaignId) : base(membership) => _campaignId = campaignId;

    public static Props Props(LpMembership membership, string campaignId) => Akka.Actor.Props.Create(() => new CampaignJournal(membership, campaignId));

    public override string PersistenceId => $"amisim-campaign-{_campaignId}";

    protected override void OnRecovered(object @event)
    {
        if (@event is CampaignFlushed flushed) _recovered.Add(flushed);
    }

    protected override void OnDirect(object message)
    {
        switch (message)
        {
            case GetRecovered:
                Reply(new Recovered(_recovered.ToList()));
                _recovered.Clear();
                break;
            case CampaignFlushed flushed:
                Persist(flushed, Reply);
                break;
            default:
                throw new InvalidOperationException($"the campaign journal does not understand {message}");
        }
    }

    internal sealed class GetRecovered
    {
        public static readonly GetRecovered Instance = new();

        private GetRecovered() { }
    }

    internal sealed record Recovered(IReadOnlyList<CampaignFlushed> Batches);
}
