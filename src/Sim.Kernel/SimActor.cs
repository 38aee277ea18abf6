using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Akka.Actor;
using Akka.Event;

namespace AmiSim.Kernel;

/// <summary>
/// The primary actor of a logical process. The kernel hands it the events due in a window, in
/// (time, source, sequence) order; for each one <see cref="Now"/> is the event's time and
/// <see cref="OnEvent"/> runs. Handlers send events to other LPs (<see cref="Send"/>, delay at
/// least the lookahead), start and cancel virtual timers, and may exchange one direct message at a
/// time with the LP's other actors (<see cref="SendDirect"/>): the next event waits until that
/// exchange has settled, so results never depend on thread timing.
/// </summary>
public abstract class SimActor : UntypedActor
{
    private LpSlot? _lp;
    private ILoggingAdapter? _effectLog;

    /// <summary>This LP's id.</summary>
    protected LpId Id => Lp.Id;

    /// <summary>The virtual time of the event being handled.</summary>
    protected SimTime Now => Lp.Now;

    /// <summary>The LP that sent the event being handled (<see cref="LpId.Kernel"/> for injected events).</summary>
    protected LpId EventSource { get; private set; }

    protected DateTime OriginUtc => Lp.Runtime.Settings.OriginUtc;

    protected long Seed => Lp.Runtime.Settings.Seed;

    protected TimeSpan Lookahead => Lp.Runtime.Settings.Lookahead;

    internal LpSlot Lp => _lp ?? throw new InvalidOperationException($"{GetType().Name} used outside a simulation window");

    /// <summary>Handles one event (or fired timer) at <see cref="Now"/>.</summary>
    protected abstract void OnEvent(object payload);

    /// <summary>Handles a direct message from another actor of this LP.</summary>
    protected virtual void OnDirect(object message) =>
        throw new InvalidOperationException($"LP {Id}: {GetType().Name} got a direct message it does not handle: {message}");

    /// <summary>Runs once, before the LP's first event (create the LP's other actors here).</summary>
    protected virtual void OnStart() { }

    /// <summary>Messages that do not come through the kernel (queries from tests, reports).</summary>
    protected virtual void OnOtherMessage(object message) => Unhandled(message);

    /// <summary>Sends <paramref name="payload"/> to <paramref name="target"/>, arriving after <paramref name="delay"/>.</summary>
    /// <exception cref="LookaheadViolationException">the target is another LP and the delay is shorter than the lookahead.</exception>
    protected void Send(LpId target, TimeSpan delay, object payload) => Post(Lp, target, delay, payload);

    /// <summary>
    /// Promises that this LP sends nothing to an LP on another partition before <paramref name="until"/>,
    /// and, if <paramref name="onlyEvery"/> is given, from then on only at whole multiples of it (virtual
    /// time since the clock's origin: a clock the LP works to), whatever it receives. Other partitions may
    /// then run up to there plus their lookahead, where without a promise they stop one lookahead past this
    /// partition's next event: the fewer synchronisations, the faster a run across processes or nodes.
    /// Only for LPs the placement names as senders across partitions (<see cref="IPlacement.SendersAcross"/>).
    /// A promise can be extended, never taken back (the clock, once given, stays); a send across that
    /// breaks one fails the run, naming the LP.
    /// </summary>
    protected void PromiseQuiet(SimTime until, TimeSpan onlyEvery = default)
    {
        var lp = Lp;
        if (until > lp.QuietUntil) lp.QuietUntil = until;
        var every = SimTime.ToMicros(onlyEvery);
        if (every < 0) throw new ArgumentOutOfRangeException(nameof(onlyEvery), onlyEvery, $"LP {lp.Id}: a clock's period must be positive");
        if (every == 0 || every == lp.QuietEveryMicros) return; // no clock given, or the same one
        if (lp.QuietEveryMicros != 0)
            throw new ArgumentOutOfRangeException(nameof(onlyEvery), onlyEvery, $"LP {lp.Id} promised to send across only every {TimeSpan.FromTicks(lp.QuietEveryMicros * 10)}; a promise cannot be taken back");
        lp.QuietEveryMicros = every;
    }

    /// <summary>Starts (or restarts) the timer <paramref name="key"/>: <paramref name="payload"/> comes back to this LP after <paramref name="delay"/> unless cancelled.</summary>
    protected void StartTimer(object key, TimeSpan delay, object payload) => StartTimer(Lp, key, delay, payload);

    /// <summary>Cancels the timer <paramref name="key"/>; true if it was running.</summary>
    protected bool CancelTimer(object key) => Lp.Timers?.Remove(key) == true;

    protected bool IsTimerActive(object key) => Lp.Timers?.ContainsKey(key) == true;

    /// <summary>This LP's random stream for <paramref name="purpose"/> (make it once and keep it).</summary>
    protected RandomStream RandomStreamFor(string purpose) => RandomStream.For(Seed, Id, purpose);

    /// <summary>Sends a direct message to another actor of this LP, once the running handler returns.</summary>
    protected void SendDirect(IActorRef member, object message) => RequestDirect(Lp, member, message);

    /// <summary>
    /// Tells a member something it only has to do, not answer (a journal write): it is sent now and the
    /// LP goes on at once. A direct message to that member later is handled after it (mailbox order); a
    /// journal that writes asynchronously answers it once the writes before it are done (DeferAsync).
    /// Only for <see cref="PersistentLpMemberActor"/>s, whose work touches nothing of the LP's.
    /// </summary>
    protected void TellMember(IActorRef member, object notice)
    {
        _ = Lp; // inside a simulation window only
        member.Tell(new MemberNotice(notice), ActorRefs.NoSender);
    }

    /// <summary>Reports step <paramref name="step"/> (the model's name for it) for <paramref name="subject"/>, if the run traces it.</summary>
    protected void Trace(long subject, string step, [InterpolatedStringHandlerArgument("", "subject")] ref TraceText text)
    {
        if (text.Enabled) Trace(Lp, subject, step, text.ToStringAndClear());
    }

    /// <summary>
    /// Whether the LP acts for the first time at <see cref="Now"/>: false while a rebuilt partition replays
    /// what its lost predecessor did (already logged, observed and traced once). Check before logging.
    /// </summary>
    protected bool IsLive => Lp.Runtime.IsLive(Lp.Now);

    /// <summary>Whether observations are published (<see cref="KernelSettings.PublishObservations"/>); check before building one.</summary>
    protected bool IsObserved => Lp.Runtime.Settings.PublishObservations && Lp.Runtime.IsLive(Lp.Now);

    /// <summary>Publishes <paramref name="observation"/> on the event stream if the run is observed.</summary>
    protected void Publish(object observation)
    {
        if (IsObserved) Context.System.EventStream.Publish(observation);
    }

    /// <summary>
    /// A buffer for this LP's pure state to decide into (see <see cref="LpEffects"/>), knowing what the run
    /// traces, observes and logs. Make it once, in <see cref="OnStart"/> or later.
    /// </summary>
    protected LpEffects NewEffects()
    {
        var settings = Lp.Runtime.Settings;
        var log = EffectLog;
        return new LpEffects(settings.Trace is { } trace ? trace.Traces : null, settings.PublishObservations, log.IsEnabled);
    }

    private ILoggingAdapter EffectLog => _effectLog ??= Context.GetLogger();

    /// <summary>
    /// Performs what a pure state decided, in order, and clears it: the kernel's effects here, and each
    /// other one through <paramref name="own"/> (an effect of the model's that nothing handles fails the LP).
    /// </summary>
    protected void Perform(LpEffects effects, Action<ILpEffect>? own = null)
    {
        // By index: an effect may make the state decide more (own calling the state again), appended to the same buffer.
        var items = effects.Items;
        for (var i = 0; i < items.Count; i++)
        {
            switch (items[i])
            {
                case SendEffect send:
                    Send(send.To, send.Delay, send.Payload);
                    break;
                case StartTimerEffect timer:
                    StartTimer(timer.Key, timer.Delay, timer.Payload);
                    break;
                case CancelTimerEffect cancel:
                    CancelTimer(cancel.Key);
                    break;
                case PromiseQuietEffect promise:
                    PromiseQuiet(promise.Until, promise.OnlyEvery);
                    break;
                case TraceEffect trace:
                    Trace(Lp, trace.Subject, trace.Step, trace.Text);
                    break;
                case PublishEffect publish:
                    Publish(publish.Observation);
                    break;
                case LogEffect line when IsLive:
                    EffectLog.Log(line.Level, line.Template, line.Args);
                    break;
                case LogEffect:
                    break;
                case var effect when own is not null:
                    own(effect);
                    break;
                case var effect:
                    throw new InvalidOperationException($"LP {Id}: {GetType().Name} has no way to perform {effect}");
            }
        }
        effects.Clear();
    }

    /// <summary>Ends the run after the current window.</summary>
    protected void RequestStop() => Lp.Runtime.RequestStop();

    /// <summary>What this LP's member actors take in their Props (see <see cref="LpMemberActor"/>).</summary>
    protected LpMembership Membership => new(Lp);

    /// <summary>Starts one of this LP's member actors, on the LP dispatcher and mailbox like the primary (call from <see cref="OnStart"/>).</summary>
    protected IActorRef StartMember(Props props, string name) => Context.ActorOf(LpDispatcher.Deploy(props), name);

    protected sealed override void OnReceive(object message)
    {
        switch (message)
        {
            case LpSlot slot:
                if (_lp is null)
                {
                    // OnStart runs at the time of the LP's first event, with the kernel's calls available.
                    _lp = slot;
                    slot.Output = slot.Runtime.Output;
                    slot.Now = slot.PeekNextTime();
                    if (!Guard(OnStart)) break;
                    if (FlushDirect(slot)) break; // OnStart asked a member first (a journal's recovered state)
                }
                Resume();
                break;
            case DirectMessage:
                Lp.DirectInFlight = false; // the exchange came back: only the primary clears the flag
                Lp.Output = Lp.Runtime.Output;
                try
                {
                    OnDirect(Lp.TakeDirect());
                }
                catch (Exception error)
                {
                    Lp.Runtime.LpFailed(Lp, error);
                    break;
                }
                if (!FlushDirect(Lp)) Resume();
                break;
            case LpSettled:
                Lp.DirectInFlight = false;
                Resume();
                break;
            default:
                OnOtherMessage(message);
                break;
        }
    }

    private void Resume()
    {
        var lp = Lp;
        var output = lp.Output = lp.Runtime.Output;
        try
        {
            while (!lp.DirectInFlight && lp.TryTakeNext(out var evt))
            {
                lp.Now = evt.Time;
                var live = lp.Runtime.IsLive(evt.Time);
                if (live) output.Handled++;
                EventSource = evt.Source;
                var payload = evt.Payload;
                if (payload is TimerFired fired)
                {
                    if (lp.Timers is null || !lp.Timers.TryGetValue(fired.Key, out var generation) || generation != fired.Generation)
                        continue; // cancelled or restarted
                    lp.Timers.Remove(fired.Key);
                    payload = fired.Payload;
                }
                if (output.EventTypes is { } types && live) CollectionsMarshal.GetValueRefOrAddDefault(types, payload.GetType(), out _)++;
                OnEvent(payload);
                FlushDirect(lp);
            }
        }
        catch (Exception error)
        {
            lp.Runtime.LpFailed(lp, error);
            return;
        }
        if (!lp.DirectInFlight) lp.Runtime.LpFinished(lp);
    }

    private bool Guard(Action handler)
    {
        try
        {
            handler();
            return true;
        }
        catch (Exception error)
        {
            Lp.Runtime.LpFailed(Lp, error);
            return false;
        }
    }

    internal static void Trace(LpSlot lp, long subject, string step, string text)
    {
        if (lp.Runtime.Settings.Trace is { } trace && trace.Traces(subject) && lp.Runtime.IsLive(lp.Now)) trace.Record(subject, lp.Now, lp.Id, step, text);
    }

    internal static void Post(LpSlot lp, LpId target, TimeSpan delay, object payload)
    {
        var micros = SimTime.ToMicros(delay);
        if (micros < 0)
            throw new ArgumentOutOfRangeException(nameof(delay), delay, $"LP {lp.Id}: a send to {target} cannot go back in time");
        if (target != lp.Id && micros < lp.Runtime.CheckSendsBelowMicros) CheckLookahead(lp, target, delay, micros);
        if ((lp.QuietUntil > lp.Now || lp.QuietEveryMicros > 0) && target != lp.Id && lp.Runtime.PartitionOf(target) != lp.Runtime.Index) CheckPromise(lp, target);
        lp.Enqueue(new SimEvent(new SimTime(lp.Now.Micros + micros), lp.Id, lp.NextSequence++, target, payload));
    }

    private static void CheckPromise(LpSlot lp, LpId target)
    {
        if (lp.QuietUntil > lp.Now)
            throw new InvalidOperationException($"LP {lp.Id} sent to LP {target} on another partition at {lp.Now}, but it promised to send nothing across before {lp.QuietUntil}");
        if (lp.QuietEveryMicros > 0 && lp.Now.Micros % lp.QuietEveryMicros != 0)
            throw new InvalidOperationException($"LP {lp.Id} sent to LP {target} on another partition at {lp.Now}, but it promised to send across only every {TimeSpan.FromTicks(lp.QuietEveryMicros * 10)}");
    }

    private static void CheckLookahead(LpSlot lp, LpId target, TimeSpan delay, long micros)
    {
        var runtime = lp.Runtime;
        if (micros < runtime.LookaheadMicros)
            throw new LookaheadViolationException(lp.Id, target, delay, runtime.Settings.Lookahead);
        var (from, to) = (runtime.Index, runtime.PartitionOf(target));
        if (from == to) return;
        if (runtime.Lookaheads.NeverDirect(from, to))
            throw new LookaheadViolationException(lp.Id, target, $"LP {lp.Id} on partition {from} sent to LP {target} on partition {to}, but the placement says nothing on partition {from} sends straight to partition {to}");
        if (micros < runtime.Lookaheads.Direct(from, to))
            throw new LookaheadViolationException(lp.Id, target, delay, TimeSpan.FromTicks(runtime.Lookaheads.Direct(from, to) * 10), $"the lookahead from partition {from} to partition {to}");
    }

    internal static void StartTimer(LpSlot lp, object key, TimeSpan delay, object payload)
    {
        lp.Timers ??= new Dictionary<object, long>();
        var generation = ++lp.TimerGeneration;
        lp.Timers[key] = generation;
        Post(lp, lp.Id, delay, new TimerFired(key, generation, payload));
    }

    internal static void RequestDirect(LpSlot lp, IActorRef member, object message)
    {
        if (lp.PendingDirect is not null)
            throw new InvalidOperationException(
                $"LP {lp.Id}: a second direct message from one handler; actors of one LP talk in strict request/response");
        lp.PendingDirect = (member, message);
    }

    /// <summary>Primary: sends the direct message the handler asked for, if any; true if an exchange is now in flight.</summary>
    /// <remarks>The flag is set before the message leaves and cleared only by the primary when the exchange comes
    /// back, so the primary's loop can never see it clear while a member is still working.</remarks>
    internal static bool FlushDirect(LpSlot lp)
    {
        if (lp.PendingDirect is not { } pending) return lp.DirectInFlight;
        lp.PendingDirect = null;
        lp.DirectInFlight = true;
        lp.Pass(pending.To, pending.Message);
        return true;
    }

    /// <summary>Member: passes the exchange on (its answer, or a message to another member), or tells the primary it has settled.</summary>
    internal static void ContinueFromMember(LpSlot lp)
    {
        if (lp.PendingDirect is { } pending)
        {
            lp.PendingDirect = null;
            lp.Pass(pending.To, pending.Message);
        }
        else
        {
            lp.Actor.Tell(LpSettled.Instance, ActorRefs.NoSender);
        }
    }
}

/// <summary>
/// Another actor of an LP (a device's second board, a journal): it answers direct messages
/// from the LP's primary actor and shares the LP's clock, sends and timers.
/// </summary>
public abstract class LpMemberActor : UntypedActor
{
    private readonly LpSlot _lp;

    internal LpMemberActor(LpSlot lp) => _lp = lp;

    internal LpSlot Slot => _lp;

    /// <summary>Made by a <see cref="SimActor"/> from its own context.</summary>
    protected LpMemberActor(LpMembership membership) : this(membership.Slot) { }

    protected LpId Id => _lp.Id;

    protected SimTime Now => _lp.Now;

    protected DateTime OriginUtc => _lp.Runtime.Settings.OriginUtc;

    protected long Seed => _lp.Runtime.Settings.Seed;

    /// <summary>The LP's primary actor.</summary>
    protected IActorRef Primary => _lp.Actor;

    protected abstract void OnDirect(object message);

    protected virtual void OnOtherMessage(object message) => Unhandled(message);

    protected void Send(LpId target, TimeSpan delay, object payload) => SimActor.Post(_lp, target, delay, payload);

    protected void StartTimer(object key, TimeSpan delay, object payload) => SimActor.StartTimer(_lp, key, delay, payload);

    protected bool CancelTimer(object key) => _lp.Timers?.Remove(key) == true;

    protected RandomStream RandomStreamFor(string purpose) => RandomStream.For(Seed, Id, purpose);

    /// <summary>Reports step <paramref name="step"/> for <paramref name="subject"/>, if the run traces it.</summary>
    protected void Trace(long subject, string step, [InterpolatedStringHandlerArgument("", "subject")] ref TraceText text)
    {
        if (text.Enabled) SimActor.Trace(_lp, subject, step, text.ToStringAndClear());
    }

    /// <summary>Answers the primary (or another member) once this handler returns.</summary>
    protected void SendDirect(IActorRef to, object message) => SimActor.RequestDirect(_lp, to, message);

    protected sealed override void OnReceive(object message)
    {
        if (message is not DirectMessage)
        {
            OnOtherMessage(message);
            return;
        }
        _lp.Output = _lp.Runtime.Output;
        try
        {
            OnDirect(_lp.TakeDirect());
        }
        catch (Exception error)
        {
            _lp.PendingDirect = null;
            _lp.Runtime.LpFailed(_lp, error);
            return;
        }
        SimActor.ContinueFromMember(_lp);
    }
}

/// <summary>What a <see cref="SimActor"/> passes to the Props of its member actors; opaque to model code.</summary>
public sealed class LpMembership
{
    internal LpMembership(LpSlot slot) => Slot = slot;

    internal LpSlot Slot { get; }
}

/// <summary>Thrown when an LP sends to another LP sooner than the lookahead allows, or where its placement says it never sends.</summary>
public sealed class LookaheadViolationException : InvalidOperationException
{
    public LookaheadViolationException(LpId source, LpId target, TimeSpan delay, TimeSpan lookahead, string which = "the lookahead")
        : this(source, target, $"LP {source} sent to LP {target} with delay {delay.TotalMilliseconds} ms, shorter than {which} {lookahead.TotalMilliseconds} ms")
    {
    }

    public LookaheadViolationException(LpId source, LpId target, string message) : base(message)
    {
        SourceLp = source;
        TargetLp = target;
    }

    public LpId SourceLp { get; }

    public LpId TargetLp { get; }
}

internal sealed record TimerFired(object Key, long Generation, object Payload);

/// <summary>
/// Tells an actor of an LP that the direct message of the LP's exchange is waiting in its slot
/// (<see cref="LpSlot.Pass"/>): one exchange is in flight at a time, so the slot holds it, and no
/// wrapper is made per message.
/// </summary>
internal sealed class DirectMessage
{
    public static readonly DirectMessage Ready = new();

    private DirectMessage() { }
}

/// <summary>A message to a member that expects no answer (<see cref="SimActor.TellMember"/>).</summary>
internal sealed class MemberNotice(object message)
{
    public object Message { get; } = message;
}

internal sealed class LpSettled
{
    public static readonly LpSettled Instance = new();

    private LpSettled() { }
}
