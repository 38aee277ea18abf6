using Akka.Actor;
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
    private readonly TimeSpan _plainInterval = TimeSpan.FromSeconds(5);
    private TimeSpan _lastPlain = TimeSpan.MinValue;

    public ProgressView(SimTime until) => _until = until;

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
        if (_lastPlain != TimeSpan.MinValue && progress.Wall - _lastPlain < _plainInterval) return;
        _lastPlain = progress.Wall;
        System.Console.WriteLine($"[{progress.Wall:hh\\:mm\\:ss}] {Describe(progress)}");
    }

    private static string Describe(KernelProgress progress) =>
        $"virtual {progress.Time}, {progress.EventsHandled:N0} events, {progress.EventsPerSecond / 1e6:0.00}M events/s";

    private sealed class ProgressListener(Action<KernelProgress> show) : UntypedActor
    {
        protected override void OnReceive(object message)
        {
            if (message is KernelProgress progress) show(progress);
            else Unhandled(message);
        }
    }
}
