using Akka.Actor;
using AmiSim.HeadEnd.Campaign;
using AmiSim.Kernel;
using Spectre.Console;

namespace AmiSim.Host.Console;

/// <summary>
/// Shows a run's progress: a live bar in a terminal, a plain line every few seconds when output is
/// redirected. Reads <see cref="KernelProgress"/> from the actor system's event stream.
/// </summary>
public sealed class ProgressView
{
    private readonly SimTime _until;
    private readonly Func<Task<CampaignSummary>>? _campaign;
    private readonly TimeSpan _plainInterval = TimeSpan.FromSeconds(5);
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    private TimeSpan _lastPlain = TimeSpan.MinValue;
    private string _meters = "";
    private int _asking;

    /// <param name="campaign">asks the campaign for its counts (display only: read between the LP's messages).</param>
    public ProgressView(SimTime until, Func<Task<CampaignSummary>>? campaign = null)
    {
        _until = until;
        _campaign = campaign;
    }

    /// <summary>Runs <paramref name="run"/> while showing progress; returns its result.</summary>
    public async Task<T> ShowAsync<T>(ActorSystem system, Func<Task<T>> run)
    {
        if (!AnsiConsole.Profile.Capabilities.Interactive)
        {
            Action<KernelProgress> print = PrintPlain;
            var listener = system.ActorOf(Props.Create(() => new ProgressListener(print)), "progress-view");
            system.EventStream.Subscribe(listener, typeof(KernelProgress));
            return await run();
        }

        T result = default!;
        await AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask("virtual time", maxValue: Math.Max(1, _until.TotalSeconds));
                Action<KernelProgress> show = progress =>
                {
                    task.Value = Math.Min(task.MaxValue, progress.Time.TotalSeconds);
                    task.Description = Describe(progress);
                    RefreshMeters();
                };
                var listener = system.ActorOf(Props.Create(() => new ProgressListener(show)), "progress-view");
                system.EventStream.Subscribe(listener, typeof(KernelProgress));
                result = await run();
                task.Value = task.MaxValue;
            });
        return result;
    }

    private void PrintPlain(KernelProgress progress)
    {
        // The view's own clock: a run made of several kernel runs restarts the kernel's wall time at each.
        var now = _clock.Elapsed;
        if (_lastPlain != TimeSpan.MinValue && now - _lastPlain < _plainInterval) return;
        _lastPlain = now;
        RefreshMeters();
        System.Console.WriteLine($"[{now:hh\\:mm\\:ss}] {Describe(progress)}");
    }

    private string Describe(KernelProgress progress) =>
        $"virtual {progress.Time}{_meters}, {progress.EventsPerSecond / 1e6:0.00}M events/s";

    /// <summary>Asks the campaign for its counts in the background; the next progress line shows them.</summary>
    private void RefreshMeters()
    {
        if (_campaign is null || Interlocked.Exchange(ref _asking, 1) == 1) return;
        _ = Task.Run(async () =>
        {
            try
            {
                var summary = await _campaign();
                int Count(params MeterPhase[] phases) => phases.Sum(p => summary.Phases.GetValueOrDefault(p));
                var finished = Count(MeterPhase.Succeeded, MeterPhase.Failed, MeterPhase.TimedOut, MeterPhase.Skipped, MeterPhase.Canceled, MeterPhase.Pending);
                var active = summary.Phases.Values.Sum() - finished;
                _meters = $", {Count(MeterPhase.Succeeded):N0} succeeded, {Count(MeterPhase.Failed, MeterPhase.TimedOut):N0} failed, {active:N0} in progress";
            }
            catch (Exception)
            {
                // display only: a slow answer just leaves the previous counts
            }
            finally
            {
                Interlocked.Exchange(ref _asking, 0);
            }
        });
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
