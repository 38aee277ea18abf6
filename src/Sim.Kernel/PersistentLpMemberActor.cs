using Akka.Actor;
using Akka.Persistence;

namespace AmiSim.Kernel;

/// <summary>
/// An LP member with a journal: the durable memory of an LP.
/// The primary sends it a direct message; it answers with exactly one <see cref="Reply"/>, either at
/// once or from a persist handler once the journal has written, and the LP's window waits for that
/// answer. So whatever the LP does after the reply (tell another LP what it recorded) happens
/// only after the write is durable. A write the LP need not wait for comes as a notice
/// (<see cref="SimActor.TellMember"/>), and the LP asks later whether it is done (the member answers
/// from DeferAsync after PersistAsync, or at once after Persist, which holds commands back meanwhile).
/// While recovering, Akka stashes the primary's messages, so the first exchange also waits for recovery.
/// </summary>
/// <remarks>Members do not send kernel events; they only answer their primary.</remarks>
public abstract class PersistentLpMemberActor : UntypedPersistentActor
{
    private readonly LpSlot _lp;
    private bool _answered = true;

    protected PersistentLpMemberActor(LpMembership membership) => _lp = membership.Slot;

    protected LpId Id => _lp.Id;

    /// <summary>Handles a direct message from the primary; must lead to exactly one <see cref="Reply"/>.</summary>
    protected abstract void OnDirect(object message);

    /// <summary>Handles a notice from the primary (<see cref="SimActor.TellMember"/>): work to do, with no answer.</summary>
    protected virtual void OnNotice(object notice) =>
        throw new InvalidOperationException($"LP {Id}: {GetType().Name} takes no notices, got {notice}");

    /// <summary>Events replayed from the journal (and snapshot offers) while recovering.</summary>
    protected abstract void OnRecovered(object @event);

    protected virtual void OnOtherCommand(object message) => Unhandled(message);

    /// <summary>Answers the primary's direct message (call once per message, possibly from a persist handler).</summary>
    protected void Reply(object message)
    {
        if (_answered) throw new InvalidOperationException($"LP {Id}: {GetType().Name} answered twice, or without being asked");
        _answered = true;
        _lp.Pass(_lp.Actor, message);
    }

    protected sealed override void OnCommand(object message)
    {
        if (message is MemberNotice notice)
        {
            try
            {
                OnNotice(notice.Message); // _answered stays set: a Reply here is refused
            }
            catch (Exception error)
            {
                _lp.Runtime.LpFailed(_lp, error);
            }
            return;
        }
        if (message is not DirectMessage)
        {
            OnOtherCommand(message);
            return;
        }
        _answered = false;
        try
        {
            OnDirect(_lp.TakeDirect());
        }
        catch (Exception error)
        {
            _lp.Runtime.LpFailed(_lp, error);
        }
    }

    protected sealed override void OnRecover(object message) => OnRecovered(message);

    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        _lp.Runtime.LpFailed(_lp, new InvalidOperationException($"journal write {sequenceNr} of {PersistenceId} failed: {cause.Message}", cause));
        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
    {
        _lp.Runtime.LpFailed(_lp, new InvalidOperationException($"journal rejected write {sequenceNr} of {PersistenceId}: {cause.Message}", cause));
        base.OnPersistRejected(cause, @event, sequenceNr);
    }

    protected override void OnRecoveryFailure(Exception reason, object? message = null)
    {
        _lp.Runtime.LpFailed(_lp, new InvalidOperationException($"recovery of {PersistenceId} failed: {reason.Message}", reason));
        base.OnRecoveryFailure(reason, message);
    }
}
