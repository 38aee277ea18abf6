using System.Collections.Concurrent;
using Akka.Actor;

namespace AmiSim.Kernel.Tests;

/// <summary>One event as an LP handled it.</summary>
public sealed record Handled(LpId Lp, SimTime Time, LpId Source, object Payload, int Thread);

/// <summary>A test model whose LPs record what they handle and then run a per-LP script.</summary>
public sealed class ScriptModel : ILpFactory
{
    private readonly Dictionary<long, Action<ScriptLp.Api, object>> _scripts = new();
    private readonly Dictionary<long, IActorRef> _members = new();

    public ConcurrentQueue<Handled> Log { get; } = new();

    public static LpId Lp(long number) => new(LpKind.Model, number);

    /// <summary>What LP <paramref name="number"/> does with each event it handles.</summary>
    public ScriptModel On(long number, Action<ScriptLp.Api, object> script)
    {
        _scripts[number] = script;
        return this;
    }

    /// <summary>Gives LP <paramref name="number"/> an outside actor it may send direct messages to (a hung member).</summary>
    public ScriptModel WithForeignMember(long number, IActorRef member)
    {
        _members[number] = member;
        return this;
    }

    public IReadOnlyList<Handled> HandledBy(long number) => Log.Where(h => h.Lp == Lp(number)).ToList();

    public Props PropsFor(LpId id) =>
        Props.Create(() => new ScriptLp(this, _scripts.GetValueOrDefault(id.Number), _members.GetValueOrDefault(id.Number)));
}

public sealed class ScriptLp(ScriptModel model, Action<ScriptLp.Api, object>? script, IActorRef? foreignMember) : SimActor
{
    private IActorRef? _echo;

    public IActorRef Member => foreignMember ?? _echo!;

    protected override void OnStart() => _echo = Context.ActorOf(Props.Create(() => new EchoMember(Membership)), "echo");

    protected override void OnEvent(object payload) => Handle(payload);

    protected override void OnDirect(object message) => Handle(message);

    private void Handle(object payload)
    {
        model.Log.Enqueue(new Handled(Id, Now, EventSource, payload, Environment.CurrentManagedThreadId));
        script?.Invoke(new Api(this), payload);
    }

    /// <summary>The kernel calls a script may make.</summary>
    public readonly struct Api(ScriptLp lp)
    {
        public LpId Id => lp.Id;

        public SimTime Now => lp.Now;

        public TimeSpan Lookahead => lp.Lookahead;

        public void Send(LpId target, TimeSpan delay, object payload) => lp.Send(target, delay, payload);

        public void StartTimer(object key, TimeSpan delay, object payload) => lp.StartTimer(key, delay, payload);

        public bool CancelTimer(object key) => lp.CancelTimer(key);

        public void SendToMember(object message) => lp.SendDirect(lp.Member, message);

        public void RequestStop() => lp.RequestStop();

        public void PromiseQuiet(SimTime until, TimeSpan onlyEvery = default) => lp.PromiseQuiet(until, onlyEvery);
    }
}

/// <summary>A member actor that answers every direct message with ("echo", message).</summary>
public sealed class EchoMember(LpMembership membership) : LpMemberActor(membership)
{
    protected override void OnDirect(object message) => SendDirect(Primary, ("echo", message));
}
