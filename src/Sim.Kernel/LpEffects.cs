using System.Runtime.CompilerServices;
using Akka.Event;

namespace AmiSim.Kernel;

/// <summary>One thing an LP's pure state decided the LP does; its actor performs them in order (<see cref="SimActor.Perform"/>).</summary>
public interface ILpEffect;

/// <summary>Send <paramref name="Payload"/> to <paramref name="To"/>, arriving after <paramref name="Delay"/> (<see cref="SimActor.Send"/>).</summary>
public sealed record SendEffect(LpId To, TimeSpan Delay, object Payload) : ILpEffect;

/// <summary>Start (or restart) the timer <paramref name="Key"/> (<see cref="SimActor.StartTimer"/>).</summary>
public sealed record StartTimerEffect(object Key, TimeSpan Delay, object Payload) : ILpEffect;

/// <summary>Cancel the timer <paramref name="Key"/>.</summary>
public sealed record CancelTimerEffect(object Key) : ILpEffect;

/// <summary>Promise the kernel quiet toward other partitions (<see cref="SimActor.PromiseQuiet"/>).</summary>
public sealed record PromiseQuietEffect(SimTime Until, TimeSpan OnlyEvery) : ILpEffect;

/// <summary>A trace entry for <paramref name="Subject"/> (recorded only while the LP acts live).</summary>
public sealed record TraceEffect(long Subject, string Step, string Text) : ILpEffect;

/// <summary>An observation to publish (only when the run is observed and the LP acts live).</summary>
public sealed record PublishEffect(object Observation) : ILpEffect;

/// <summary>A log line (written only while the LP acts live, at a level the log takes).</summary>
public sealed record LogEffect(LogLevel Level, string Template, object[] Args) : ILpEffect;

/// <summary>
/// What an LP's pure state decided while it handled one message, in the order it decided it: sends,
/// timers, trace entries, observations, log lines, and effects of the model's own (any other
/// <see cref="ILpEffect"/>). It also keeps which of the LP's timers are running, as the kernel does:
/// a timer runs from <see cref="StartTimer"/> until <see cref="CancelTimer"/>, or until its payload
/// comes back and the state calls <see cref="TimerFired"/>. Without an actor system, a test reads
/// <see cref="Items"/> after each message.
/// </summary>
public sealed class LpEffects
{
    private readonly List<ILpEffect> _items = [];
    private readonly HashSet<object> _timers = [];

    /// <param name="traces">which subjects the run traces (null: none); asked before a trace entry is formatted.</param>
    /// <param name="observed">whether the run publishes observations; asked before one is built.</param>
    /// <param name="logs">which levels the log takes (null: none); asked before a line's arguments are built.</param>
    public LpEffects(Func<long, bool>? traces = null, bool observed = false, Func<LogLevel, bool>? logs = null)
    {
        Traces = traces ?? (_ => false);
        Observed = observed;
        Logs = logs ?? (_ => false);
    }

    /// <summary>Which subjects the run traces.</summary>
    public Func<long, bool> Traces { get; }

    /// <summary>Whether the run publishes observations.</summary>
    public bool Observed { get; }

    /// <summary>Whether the log takes lines at a level.</summary>
    public Func<LogLevel, bool> Logs { get; }

    /// <summary>The effects decided since the last <see cref="Clear"/>, in order.</summary>
    public IReadOnlyList<ILpEffect> Items => _items;

    public void Clear() => _items.Clear();

    public void Send(LpId to, TimeSpan delay, object payload) => _items.Add(new SendEffect(to, delay, payload));

    public void StartTimer(object key, TimeSpan delay, object payload)
    {
        _timers.Add(key);
        _items.Add(new StartTimerEffect(key, delay, payload));
    }

    /// <summary>Cancels the timer <paramref name="key"/>; true if it was running.</summary>
    public bool CancelTimer(object key)
    {
        _items.Add(new CancelTimerEffect(key));
        return _timers.Remove(key);
    }

    public bool IsTimerActive(object key) => _timers.Contains(key);

    /// <summary>The timer <paramref name="key"/>'s payload has come back: it no longer runs.</summary>
    public void TimerFired(object key) => _timers.Remove(key);

    public void PromiseQuiet(SimTime until, TimeSpan onlyEvery = default) => _items.Add(new PromiseQuietEffect(until, onlyEvery));

    /// <summary>A trace entry for <paramref name="subject"/>; the text is only formatted when the run traces it.</summary>
    public void Trace(long subject, string step, [InterpolatedStringHandlerArgument("", "subject")] ref TraceText text)
    {
        if (text.Enabled) _items.Add(new TraceEffect(subject, step, text.ToStringAndClear()));
    }

    public void Publish(object observation)
    {
        if (Observed) _items.Add(new PublishEffect(observation));
    }

    /// <summary>A log line, kept only if the log takes its level.</summary>
    public void Log(LogLevel level, string template, params object[] args)
    {
        if (Logs(level)) _items.Add(new LogEffect(level, template, args));
    }

    /// <summary>An effect of the model's own, which its actor performs.</summary>
    public void Add(ILpEffect effect) => _items.Add(effect);
}
