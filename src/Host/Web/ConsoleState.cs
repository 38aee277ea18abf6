using AmiSim.HeadEnd.Campaign;
using AmiSim.Host.Run;
using AmiSim.Kernel;

namespace AmiSim.Host.Web;

/// <summary>What the run does between two steps: take these actions now, wait this long (infinite: the clock is held), or go on.</summary>
public sealed record StepDecision(IReadOnlyList<TakenAction> Take, TimeSpan Wait)
{
    public static readonly StepDecision Go = new([], TimeSpan.Zero);
}

/// <summary>
/// The console's state, pure (the console locks around it): the actions the operator gave and the run
/// has yet to take, those it took, the pace and whether the clock is held. The pace holds virtual time
/// to wall time from an anchor: the first step after the pace or the hold last changed. A campaign that
/// waits for the operator's start holds the clock until the start is taken.
/// </summary>
public sealed class ConsoleState(double? pace, bool waitsForStart = false)
{
    /// <summary>Wall time a paced run aims to show between two updates.</summary>
    public static readonly TimeSpan UpdateEvery = TimeSpan.FromMilliseconds(250);

    private readonly Queue<TakenAction> _pending = new();
    private readonly List<TakenAction> _taken = [];
    private (TimeSpan Wall, SimTime Virtual)? _anchor;

    /// <summary>Virtual seconds per wall second; null is as fast as possible.</summary>
    public double? Pace { get; private set; } = pace;

    public bool Held { get; private set; }

    /// <summary>The campaign waits for the operator's start, and the clock with it.</summary>
    public bool WaitingForStart { get; private set; } = waitsForStart;

    public bool Ended { get; set; }

    public IReadOnlyList<TakenAction> Taken => _taken;

    /// <summary>
    /// The operator asks for <paramref name="action"/>; null when it is queued, else why not: a campaign
    /// that waits for its start takes nothing before the start, and the start once only; an action that
    /// would change nothing (pause a paused campaign, resume a running one, anything once it completed or
    /// was canceled) is refused, judged by the status last <see cref="Observe"/>d with the actions taken
    /// and queued since.
    /// </summary>
    /// <param name="meters">for a start: the only meters it programs (a CIM request's); null for all.</param>
    public string? Ask(OperatorAction action, string by, IReadOnlyList<long>? meters = null)
    {
        if (Ended) return "the run has ended; the console shows its final state";
        var startAsked = !WaitingForStart || _pending.Any(a => a.Action == OperatorAction.Start);
        if (!startAsked && action != OperatorAction.Start)
            return $"the campaign waits for its start: start it before asking for {action.Name()}";
        if (startAsked && action == OperatorAction.Start) return "the campaign has been started already";
        var expected = Expected();
        if (expected == CampaignStatus.Down)
            return $"the head-end is down (a crash) and takes no {action.Name()} now; ask again once it has restarted";
        if (expected is CampaignStatus.Completed or CampaignStatus.Canceled)
            return $"the campaign is {expected.Value.Name()}: there is nothing to {action.Name()}";
        if (action == OperatorAction.Pause && expected == CampaignStatus.Paused) return "the campaign is paused already";
        if (action == OperatorAction.Resume && expected == CampaignStatus.Running) return "the campaign is running: there is nothing to resume";
        _pending.Enqueue(new TakenAction(SimTime.Zero, action, by, meters));
        return null;
    }

    /// <summary>The campaign's status after the step that followed the actions last taken.</summary>
    public void Observe(CampaignStatus status)
    {
        _status = status;
        _unobserved.Clear();
    }

    private CampaignStatus? _status;
    private readonly List<OperatorAction> _unobserved = [];

    /// <summary>The status once the actions taken since the last observation, and those queued, are done.</summary>
    private CampaignStatus? Expected()
    {
        var status = _status;
        foreach (var action in _unobserved.Concat(_pending.Select(p => p.Action)))
        {
            status = (action, status) switch
            {
                (OperatorAction.Pause, CampaignStatus.Running) => CampaignStatus.Paused,
                (OperatorAction.Resume, CampaignStatus.Paused) => CampaignStatus.Running,
                (OperatorAction.Cancel, not CampaignStatus.Completed) => CampaignStatus.Canceled,
                (OperatorAction.Start, CampaignStatus.Created) => CampaignStatus.Running,
                _ => status,
            };
        }
        return status;
    }

    /// <summary>Actions taken before (a finished run's, from its report), shown with those taken now.</summary>
    public void Restore(IEnumerable<TakenAction> taken) => _taken.AddRange(taken);

    public void SetPace(double? pace)
    {
        Pace = pace;
        _anchor = null;
    }

    public void SetHeld(bool held)
    {
        Held = held;
        _anchor = null;
    }

    /// <summary>
    /// The next step's length, in whole seconds from 1 to <paramref name="longest"/>: what a quarter second
    /// of wall time is at the pace, and at most what the run did in a quarter second in its last step, so
    /// that an action, a new pace or a held clock takes effect within about a quarter second at any pace;
    /// one second while the clock is held (the step that carries out actions taken meanwhile).
    /// </summary>
    public TimeSpan NextStep(TimeSpan longest)
    {
        // Actions taken while the clock is held move it on by the shortest step only, for them to take effect.
        if (Held || WaitingForStart) return TimeSpan.FromSeconds(1);
        var seconds = Math.Min(Pace ?? double.MaxValue, _speed ?? double.MaxValue) * UpdateEvery.TotalSeconds;
        return TimeSpan.FromSeconds(Math.Clamp(Math.Floor(seconds), 1, Math.Max(1, Math.Floor(longest.TotalSeconds))));
    }

    /// <summary>Virtual seconds the run did per wall second in its last step (null before it took one).</summary>
    private double? _speed;

    /// <summary>Where and when the step under way started.</summary>
    private (TimeSpan Wall, SimTime Virtual)? _stepStarted;

    private StepDecision StartStep(StepDecision decision, SimTime now, TimeSpan wall)
    {
        _stepStarted = (wall, now);
        return decision;
    }

    /// <summary>
    /// Between two steps, at virtual <paramref name="now"/> and wall <paramref name="wall"/>: actions asked
    /// are taken first (at <paramref name="now"/>, even with the clock held); then a held clock, or a
    /// campaign waiting for its start, waits,
    /// a paced run waits until the wall time its virtual time is due, and one at full speed goes on.
    /// </summary>
    public StepDecision Decide(SimTime now, TimeSpan wall)
    {
        if (_stepStarted is { } started && now > started.Virtual)
            _speed = (now - started.Virtual).TotalSeconds / Math.Max((wall - started.Wall).TotalSeconds, 1e-3);
        _stepStarted = null;
        if (_pending.Count > 0)
        {
            var actions = _pending.Select(a => a with { At = now }).ToList();
            _pending.Clear();
            _taken.AddRange(actions);
            _unobserved.AddRange(actions.Select(a => a.Action));
            if (actions.Any(a => a.Action == OperatorAction.Start)) WaitingForStart = false;
            return StartStep(new StepDecision(actions, TimeSpan.Zero), now, wall);
        }
        if (Held || WaitingForStart) return new StepDecision([], Timeout.InfiniteTimeSpan);
        if (Pace is not { } pace) return StartStep(StepDecision.Go, now, wall);
        _anchor ??= (wall, now);
        var due = _anchor.Value.Wall + TimeSpan.FromSeconds((now - _anchor.Value.Virtual).TotalSeconds / pace);
        return due > wall ? new StepDecision([], due - wall) : StartStep(StepDecision.Go, now, wall);
    }
}
