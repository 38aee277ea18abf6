using Akka.Actor;

namespace AmiSim.Kernel.Synthetic;

/// <summary>
/// A synthetic model that exercises every part of the kernel: LPs pass tokens to random LPs with
/// random delays and random fan-out, start, restart and cancel timers (some shorter than the
/// lookahead), and optionally talk to a member actor in request/response. It is what the kernel's
/// determinism tests run, what the kernel benchmark measures and what <c>amisim kernel-demo</c> shows.
/// </summary>
public sealed record SyntheticTrafficOptions
{
    public int Lps { get; init; } = 10_000;

    /// <summary>Tokens each LP starts with (injected at random times in the first lookahead).</summary>
    public int TokensPerLp { get; init; } = 4;

    /// <summary>Token delays are drawn uniformly from [lookahead, lookahead x this].</summary>
    public int MaxDelayInLookaheads { get; init; } = 4;

    /// <summary>Probability that a handled token starts (or restarts) the LP's timer.</summary>
    public double TimerChance { get; init; } = 0.2;

    /// <summary>Probability that a handled token cancels the LP's timer.</summary>
    public double CancelChance { get; init; } = 0.1;

    /// <summary>Probability that a handled token is checked with the LP's member actor (0: no member actors at all).</summary>
    public double DirectChance { get; init; }
}

/// <summary>The factory of a synthetic run; holds every LP's digest for comparing runs.</summary>
public sealed class SyntheticTraffic : ILpFactory
{
    private readonly Props _props;

    public SyntheticTraffic(SyntheticTrafficOptions options)
    {
        Options = options;
        Digests = new ulong[options.Lps];
        Handled = new long[options.Lps];
        OrderViolations = new int[options.Lps];
        _props = Props.Create(() => new SyntheticTrafficLp(this));
    }

    public SyntheticTrafficOptions Options { get; }

    /// <summary>Per LP: a running hash of every (time, LP, source, message) it handled, in its order.</summary>
    public ulong[] Digests { get; }

    public long[] Handled { get; }

    /// <summary>Per LP: events handled with a time earlier than the previous one (must stay zero).</summary>
    public int[] OrderViolations { get; }

    public static LpId LpOf(int number) => new(LpKind.Model, number);

    public Props PropsFor(LpId id)
    {
        if (id.Kind != LpKind.Model || id.Number >= Options.Lps)
            throw new ArgumentOutOfRangeException(nameof(id), id, "the synthetic model has no such LP");
        return _props;
    }

    /// <summary>Schedules every LP's starting tokens, at random times within the first lookahead.</summary>
    public void Seed(Simulation simulation)
    {
        var random = RandomStream.For(simulation.Settings.Seed, 0, "synthetic-start");
        var lookahead = simulation.Settings.LookaheadMicros;
        for (var lp = 0; lp < Options.Lps; lp++)
        for (var token = 0; token < Options.TokensPerLp; token++)
            simulation.Schedule(LpOf(lp), new SimTime(random.NextLong(0, lookahead)), new Token(lp, token, 0));
    }

    /// <summary>One hash over all LPs' digests, in LP order.</summary>
    public ulong Digest()
    {
        var hash = 14695981039346656037UL;
        foreach (var digest in Digests) hash = Mix(hash, digest);
        return hash;
    }

    internal static ulong Mix(ulong hash, ulong value)
    {
        hash ^= value + 0x9E3779B97F4A7C15UL + (hash << 6) + (hash >> 2);
        return hash * 1099511628211UL;
    }
}

/// <summary>A token passed between LPs: who started it, which of its tokens, how many hops so far.</summary>
public sealed record Token(int Origin, int Number, int Hops);

/// <summary>The payload of a synthetic LP's timer.</summary>
public sealed record Alarm(int Set);

internal sealed record Check(long Value);

internal sealed class SyntheticTrafficLp : SimActor
{
    private const string TimerKey = "alarm";
    private readonly SyntheticTraffic _model;
    private RandomStream _random = null!;
    private IActorRef? _member;
    private int _index;
    private ulong _digest;
    private long _last;
    private int _alarms;

    public SyntheticTrafficLp(SyntheticTraffic model) => _model = model;

    protected override void OnStart()
    {
        _index = (int)Id.Number;
        _random = RandomStreamFor("synthetic");
        if (_model.Options.DirectChance > 0)
            _member = StartMember(Props.Create(() => new SyntheticTrafficMember(Membership)), "member");
    }

    protected override void OnEvent(object payload)
    {
        if (Now.Micros < _last) _model.OrderViolations[_index]++;
        _last = Now.Micros;
        _model.Handled[_index]++;
        Record((ulong)Now.Micros, EventSource.Value, payload switch
        {
            Token t => ((ulong)t.Origin << 40) ^ ((ulong)t.Number << 20) ^ (ulong)t.Hops,
            Alarm a => 0xA1A4UL ^ ((ulong)a.Set << 16),
            _ => 0,
        });

        var options = _model.Options;
        if (payload is Token token)
        {
            // Fan-out 0, 1 or 2 with mean 1: the token population stays about level.
            var roll = _random.NextDouble();
            var copies = roll < 0.25 ? 0 : roll < 0.75 ? 1 : 2;
            var lookahead = Lookahead.Ticks;
            for (var i = 0; i < copies; i++)
            {
                var target = SyntheticTraffic.LpOf(_random.NextInt(options.Lps));
                var delay = TimeSpan.FromTicks(_random.NextLong(lookahead, lookahead * options.MaxDelayInLookaheads + 1) / 10 * 10);
                Send(target, delay, token with { Hops = token.Hops + 1 });
            }
            if (_random.Chance(options.TimerChance))
                StartTimer(TimerKey, TimeSpan.FromTicks(_random.NextLong(10, lookahead * 3) / 10 * 10), new Alarm(++_alarms));
            else if (_random.Chance(options.CancelChance))
                CancelTimer(TimerKey);
            if (_member is not null && _random.Chance(options.DirectChance))
                SendDirect(_member, new Check(token.Hops));
        }
    }

    protected override void OnDirect(object message)
    {
        if (message is Check check) Record((ulong)check.Value, 0xD1, 0);
    }

    protected override void PostStop() => _model.Digests[_index] = _digest;

    private void Record(ulong a, ulong b, ulong c)
    {
        _digest = SyntheticTraffic.Mix(SyntheticTraffic.Mix(SyntheticTraffic.Mix(_digest, a), b), c);
        _model.Digests[_index] = _digest;
    }
}

/// <summary>The member actor: answers a check with a derived value and sometimes sends a token itself.</summary>
internal sealed class SyntheticTrafficMember(LpMembership membership) : LpMemberActor(membership)
{
    protected override void OnDirect(object message)
    {
        if (message is Check check) SendDirect(Primary, new Check(check.Value * 31 + Now.Micros % 1000));
    }
}
