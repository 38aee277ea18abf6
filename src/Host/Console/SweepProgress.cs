using System.Diagnostics;
using Spectre.Console;

namespace AmiSim.Host.Console;

/// <summary>
/// Shows a sweep's progress: runs done, running and failed, and the wall time left at the rate so far:
/// a live bar in a terminal, a line per finished run when output is redirected. Thread-safe: runs
/// report from their own tasks.
/// </summary>
public sealed class SweepProgress(IAnsiConsole console, int total)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Lock _lock = new();
    private int _done;
    private int _running;
    private int _failed;

    private bool Interactive => console.Profile.Capabilities.Interactive && !System.Console.IsOutputRedirected;

    public void Started()
    {
        lock (_lock) _running++;
    }

    /// <summary>A run's node left before the run came back: it is queued again.</summary>
    public void Requeued(string node)
    {
        lock (_lock) _running--;
        if (!Interactive) console.WriteLine($"a node left ({node}): its run is queued again");
    }

    /// <summary>A run has ended: <paramref name="why"/> is null when it finished, else why it failed.</summary>
    public void Finished(string run, string? why, TimeSpan took)
    {
        string line;
        lock (_lock)
        {
            _running--;
            _done++;
            if (why is not null) _failed++;
            line = $"[{_done}/{total}] {run}: {(why is null ? $"done in {took.TotalSeconds:0.0} s" : $"failed ({why})")}; {Summary()}";
        }
        if (!Interactive) console.WriteLine(line);
    }

    /// <summary>"2 running, 1 failed, about 00:01:05 left": the state after the runs done so far.</summary>
    public string Summary()
    {
        lock (_lock)
        {
            var left = _done == 0 || _done == total ? "" : $", about {TimeSpan.FromSeconds(Math.Round(_clock.Elapsed.TotalSeconds / _done * (total - _done))):hh\\:mm\\:ss} left";
            return $"{_running} running, {_failed} failed{left}";
        }
    }

    /// <summary>Runs <paramref name="sweep"/> while showing its progress.</summary>
    public async Task ShowAsync(Func<Task> sweep)
    {
        if (!Interactive || total == 0)
        {
            await sweep();
            return;
        }
        await console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn { Width = 24 }, new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask("starting", maxValue: total);
                using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
                var running = sweep();
                while (!running.IsCompleted)
                {
                    await Task.WhenAny(running, timer.WaitForNextTickAsync().AsTask());
                    Show(task);
                }
                Show(task);
                await running;
            });
    }

    private void Show(ProgressTask task)
    {
        lock (_lock)
        {
            task.Value = _done;
            task.Description = Markup.Escape($"{_done}/{total} runs done, {Summary()}");
        }
    }
}
