using Akka.Actor;
using Akka.Persistence;
using AmiSim.Kernel;

namespace AmiSim.HeadEnd.Campaign;

/// <summary>
/// The campaign's journal: each flush is one persisted batch, told as a notice so that the campaign
/// goes on while it is written; the campaign acts on a batch only after asking <see cref="AwaitWritten"/>.
/// </summary>
public sealed class CampaignJournal : PersistentLpMemberActor
{
    private readonly string _campaignId;
    private readonly SnapshotPolicy _snapshots;
    private readonly WriteProgress _progress;
    private DurableCampaign _state = new();
    private int _snapshotFlushes;
    private long _transitionsSinceSnapshot;

    /// <param name="snapshots">when to snapshot the journal, so that recovery need not replay it all.</param>
    /// <param name="progress">counts the batches written since this journal started, for the campaign to read without asking.</param>
    public CampaignJournal(LpMembership membership, string campaignId, SnapshotPolicy snapshots, WriteProgress progress) : base(membership)
    {
        _campaignId = campaignId;
        _snapshots = snapshots;
        _progress = progress;
    }

    public static Props Props(LpMembership membership, string campaignId, SnapshotPolicy snapshots, WriteProgress progress) =>
        Akka.Actor.Props.Create(() => new CampaignJournal(membership, campaignId, snapshots, progress));

    public override string PersistenceId => $"amisim-campaign-{_campaignId}";

    protected override void OnRecovered(object @event)
    {
        switch (@event)
        {
            case SnapshotOffer { Snapshot: CampaignSnapshot snapshot }:
                _state = DurableCampaign.From(snapshot);
                _snapshotFlushes = snapshot.Flushes;
                break;
            case CampaignFlushed flushed:
                _state.Apply(flushed);
                _transitionsSinceSnapshot += flushed.Transitions.Count;
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
            case AwaitWritten:
                // Runs after the handlers of every batch persisted before it: they are all written then.
                DeferAsync(message, _ => Reply(Written.Instance));
                break;
            default:
                throw new InvalidOperationException($"the campaign journal does not understand {message}");
        }
    }

    /// <summary>A batch to write; the campaign goes on meanwhile and asks <see cref="AwaitWritten"/> before it acts on it.</summary>
    protected override void OnNotice(object notice)
    {
        if (notice is not CampaignFlushed flushed)
        {
            base.OnNotice(notice);
            return;
        }
        // Asynchronous: batches told while one is being written go to the journal at once, and it writes
        // them together, instead of one transaction (and one disk sync) each.
        PersistAsync(flushed, written =>
        {
            _state.Apply(written);
            _transitionsSinceSnapshot += written.Transitions.Count;
            if (_snapshots.Due(_state.Flushes - _snapshotFlushes, _transitionsSinceSnapshot, _state.MeterCount))
            {
                SaveSnapshot(_state.ToSnapshot());
                _snapshotFlushes = _state.Flushes;
                _transitionsSinceSnapshot = 0;
            }
            _progress.Advance();
        });
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

    /// <summary>Asked once every batch written so far must be durable; answered with <see cref="Written"/>.</summary>
    internal sealed class AwaitWritten
    {
        public static readonly AwaitWritten Instance = new();

        private AwaitWritten() { }
    }

    /// <summary>Every batch told so far is written.</summary>
    internal sealed class Written
    {
        public static readonly Written Instance = new();

        private Written() { }
    }

    /// <summary>The durable state, or null when the journal holds nothing.</summary>
    internal sealed record Recovered(DurableCampaignState? State);
}

/// <summary>
/// When a <see cref="CampaignJournal"/> snapshots: every <paramref name="Every"/> flushes at least, and
/// only once the transitions journaled since the last snapshot reach <paramref name="JournalRatio"/>
/// times the meters the snapshot holds. A snapshot writes every meter: by flushes alone, a fleet ten
/// times larger (ten times the flushes) writes snapshots ten times larger ten times as often.
/// </summary>
public sealed record SnapshotPolicy(int Every, double JournalRatio)
{
    public bool Due(int flushesSince, long transitionsSince, int meters) =>
        flushesSince >= Every && transitionsSince >= JournalRatio * meters;
}

/// <summary>
/// How many batches a <see cref="CampaignJournal"/> has written since it started: written by the
/// journal's thread, read by the campaign's, so that confirming a batch already written needs no
/// exchange. Reading it decides only whether the campaign must wait, never what it does.
/// </summary>
public sealed class WriteProgress
{
    private long _written;

    public long Written => Volatile.Read(ref _written);

    internal void Advance() => Interlocked.Increment(ref _written);
}
