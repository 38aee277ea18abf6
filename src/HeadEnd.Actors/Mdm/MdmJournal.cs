using Akka.Actor;
using AmiSim.Kernel;

namespace AmiSim.HeadEnd.Mdm;

/// <summary>The MDM's journal: replays its records into a fresh <see cref="MdmState"/>, and writes each accepted batch before the MDM answers.</summary>
public sealed class MdmJournal : PersistentLpMemberActor
{
    private MdmState? _state;

    public MdmJournal(LpMembership membership, Func<MdmState> fresh) : base(membership)
    {
        _state = fresh();
    }

    public static Props Props(LpMembership membership, Func<MdmState> fresh) => Akka.Actor.Props.Create(() => new MdmJournal(membership, fresh));

    public override string PersistenceId => "amisim-mdm";

    protected override void OnRecovered(object @event)
    {
        if (@event is MdmRecorded recorded) _state!.Apply(recorded);
    }

    protected override void OnDirect(object message)
    {
        switch (message)
        {
            case GetRecoveredState:
                // Hand the recovered state to the MDM actor, which owns it from now on.
                Reply(_state ?? throw new InvalidOperationException("the MDM's recovered state was already handed over"));
                _state = null;
                break;
            case MdmRecorded recorded:
                Persist(recorded, Reply);
                break;
            default:
                throw new InvalidOperationException($"the MDM journal does not understand {message}");
        }
    }

    internal sealed class GetRecoveredState
    {
        public static readonly GetRecoveredState Instance = new();

        private GetRecoveredState() { }
    }
}
