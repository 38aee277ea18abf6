using Akka.Actor;
using AmiSim.HeadEnd.Campaign;
using AmiSim.Kernel;
using Spectre.Console;

namespace AmiSim.Host.Console;

/// <summary>
/// Shows a run's progress as the share of targeted meters that are final, with the counts and an
/// estimate of the wall time left from the recent rate: a live bar in a terminal, a whole line every
/// few seconds when output is redirected. The counts come from the campaign's summary at each of the
/// run's steps (<see cref="Step"/>), so the virtual time and the counts shown always belong together;
/// the event rate comes from <see cref="KernelProgress"/> on the actor system's event stream.
/// </summary>
public sealed class ProgressView(IAnsiConsole console, SimTime until)
{
    private static readonly TimeSpan PlainInterval = TimeSpan.FromSeconds(5);

    /// <summary>How far back the rate behind the estimate looks.</summary>
    private static readonly TimeSpan RateWindow = TimeSpan.FromSeconds(30);

    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    private readonly Queue<(TimeSpan Wall, int Final)> _recent = new();
    private readonly Lock _lock = new();
    private TimeSpan _lastPlain = TimeSpan.MinValue;
    private double _eventsPerSecond;
    private Snapshot _last = new(SimTime.Zero, 0, 0, 0, 0, CampaignStatus.Created);

    /// <summary>What one line shows.</summary>
    private sealed record Snapshot(SimTime Time, int Targeted, int Final, int Succeeded, int Failed, CampaignStatus Status);

    /// <summary>The campaign's summary at virtual <paramref name="now"/>, after one of the run's steps.</summary>
    public void Step(SimTime now, CampaignSummary summary)
    {
        int Count(params MeterPhase[] phases) => phases.Sum(p => summary.Phases.GetValueOrDefault(p));
        var targeted = summary.Phases.Values.Sum() - Count(MeterPhase.Skipped);
        var final = Count(MeterPhase.Succeeded, MeterPhase.Failed, MeterPhase.TimedOut, MeterPhase.Canceled);
        lock (_lock)
        {
            _last = new Snapshot(now, targeted, final, Count(MeterPhase.Succeeded), Count(MeterPhase.Failed, MeterPhase.TimedOut), summary.Status);
            _recent.Enqueue((_clock.Elapsed, final));
            while (_recent.Count > 2 && _clock.Elapsed - _recent.Peek().Wall > RateWindow) _recent.Dequeue();
        }
        if (!Interactive) PrintPlain(force: false);
    }

    private bool Interactive => console.Profile.Capabilities.Interactive && !System.Console.IsOutputRedirected;

    /// <summary>Runs <paramref name="run"/> while showing progress; returns its result.</summary>
    public async Task<T> ShowAsync<T>(ActorSystem system, Func<Task<T>> run)
    {
        Action<KernelProgress> rate = p => _eventsPerSecond = p.EventsPerSecond;
        var listener = system.ActorOf(Props.Create(() => new ProgressListener(rate)), "progress-view");
        system.EventStream.Subscribe(listener, typeof(KernelProgress));
        try
        {
            if (!Interactive)
            {
                var result = await run();
                PrintPlain(force: true);
                return result;
            }
            T outcome = default!;
            await console.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn { Width = 20 }, new PercentageColumn())
                .StartAsync(async context =>
                {
                    var task = context.AddTask("starting", maxValue: 1);
                    using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
                    var running = run();
                    while (!running.IsCompleted)
                    {
                        await Task.WhenAny(running, timer.WaitForNextTickAsync().AsTask());
                        Show(task);
                    }
                    outcome = await running;
                    Show(task);
                });
            return outcome;
        }
        finally
        {
            system.Stop(listener);
        }
    }

    private void Show(ProgressTask task)
    {
        Snapshot last;
        lock (_lock) last = _last;
        task.MaxValue = Math.Max(1, last.Targeted);
        task.Value = last.Final;
        var left = Remaining(last) is { } remaining ? $", ~{Wall(remaining)} left" : "";
        task.Description = Markup.Escape(_recent.Count == 0 ? "starting"
            : $"{last.Time}: {last.Final:N0}/{last.Targeted:N0} final, {last.Failed:N0} failed, {last.Status.Name()}{left}");
    }

    private void PrintPlain(bool force)
    {
        var now = _clock.Elapsed;
        if (!force && _lastPlain != TimeSpan.MinValue && now - _lastPlain < PlainInterval) return;
        _lastPlain = now;
        Snapshot last;
        lock (_lock) last = _last;
        console.WriteLine($"[{now:hh\\:mm\\:ss}] {Describe(last, eta: !force)}");
    }

    private string Describe(Snapshot s, bool eta)
    {
        var share = s.Targeted == 0 ? 1 : (double)s.Final / s.Targeted;
        var left = eta && Remaining(s) is { } remaining ? $", about {Wall(remaining)} left" : "";
        var rate = eta && _eventsPerSecond > 0 ? $"; {_eventsPerSecond / 1e6:0.00}M events/s" : "";
        if (s.Targeted == 0 && s.Status == CampaignStatus.Created) return $"virtual {s.Time} of {until}: the campaign waits for its start";
        return $"virtual {s.Time} of {until}: {s.Final:N0} of {s.Targeted:N0} targeted meters final ({share:P0}), "
               + $"{s.Succeeded:N0} succeeded, {s.Failed:N0} failed or timed out, {s.Targeted - s.Final:N0} in progress; campaign {s.Status.Name()}"
               + $"{rate}{left}";
    }

    /// <summary>A wall time as hh:mm:ss, with the days before it when there are any.</summary>
    private static string Wall(TimeSpan time) => time.Days > 0 ? $"{time.Days}d {time:hh\\:mm\\:ss}" : $"{time:hh\\:mm\\:ss}";

    /// <summary>Wall time left at the rate of the last <see cref="RateWindow"/>; none before there is a rate, nor while the campaign is not running (paused, waiting for its start).</summary>
    private TimeSpan? Remaining(Snapshot s)
    {
        lock (_lock)
        {
            if (s.Status != CampaignStatus.Running) return null;
            if (_recent.Count < 2) return null;
            var (firstWall, firstFinal) = _recent.Peek();
            var (lastWall, lastFinal) = _recent.Last();
            var rate = (lastFinal - firstFinal) / Math.Max(1e-3, (lastWall - firstWall).TotalSeconds);
            return rate <= 0 ? null : TimeSpan.FromSeconds(Math.Min((s.Targeted - s.Final) / rate, TimeSpan.FromDays(30).TotalSeconds));
        }
    }

    private sealed class ProgressListener(Action<KernelProgress> show) : UntypedActor
    {
        protected override void OnReceive(object message)
        {
            if (message is KernelProgress progress) show(progress);
            else Unhandled(message);
        }
    }
}
