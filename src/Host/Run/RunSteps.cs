using System.Diagnostics;
using AmiSim.HeadEnd.Campaign;
using AmiSim.Host.Web;
using AmiSim.Kernel;

namespace AmiSim.Host.Run;

/// <summary>
/// The steps of a run that something outside steers: the operator console's page, the head-end's CIM
/// endpoint, or both at once. They share one <see cref="ConsoleState"/> (the pace, the held clock, the
/// actions asked for and taken) under one <see cref="Lock"/>, so that an action from either is taken
/// once, in the order asked, and recorded once in the run folder.
/// </summary>
public sealed class RunSteps(double? pace, bool waitsForStart)
{
    private readonly Stopwatch _wall = Stopwatch.StartNew();
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private string? _actionsFile;

    /// <summary>Held around every use of <see cref="State"/>, and by the steering sides around their own state.</summary>
    public Lock Lock { get; } = new();

    public ConsoleState State { get; } = new(pace, waitsForStart);

    /// <summary>From now on, each action the run takes is appended to <paramref name="file"/> (<see cref="RunFolder.ActionsFile"/>) as it is taken.</summary>
    public void RecordActionsTo(string file)
    {
        lock (Lock) _actionsFile = file;
    }

    /// <summary>Something changed (an action asked for, a new pace, a released clock): a run waiting between steps looks again now.</summary>
    public void Wake()
    {
        TaskCompletionSource wake;
        lock (Lock) (wake, _wake) = (_wake, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        wake.TrySetResult();
    }

    /// <inheritdoc cref="IRunSupervisor.NextStep"/>
    public TimeSpan NextStep(TimeSpan longest)
    {
        lock (Lock) return State.NextStep(longest);
    }

    /// <inheritdoc cref="IRunSupervisor.BetweenStepsAsync"/>
    public async Task<IReadOnlyList<TakenAction>> BetweenStepsAsync(SimTime now, CancellationToken cancellation)
    {
        while (true)
        {
            Task wake;
            StepDecision decision;
            string? file;
            lock (Lock) (wake, decision, file) = (_wake.Task, State.Decide(now, _wall.Elapsed), _actionsFile);
            if (decision.Take.Count > 0 || decision.Wait == TimeSpan.Zero)
            {
                if (decision.Take.Count > 0 && file is not null)
                    await File.AppendAllLinesAsync(file, decision.Take.Select(a => RunReport.TakenJson(a).ToJsonString()), CancellationToken.None);
                return decision.Take;
            }
            await Task.WhenAny(wake, Task.Delay(decision.Wait, cancellation));
            cancellation.ThrowIfCancellationRequested();
        }
    }

    /// <summary>The campaign's status after a step, and whether the run has ended.</summary>
    public void Observe(CampaignStatus status, bool ended)
    {
        lock (Lock)
        {
            State.Ended = ended;
            State.Observe(status);
        }
    }
}

/// <summary>The operator console and the head-end's CIM endpoint steering one run over their shared <see cref="RunSteps"/>: each sees every step.</summary>
public sealed class SupervisorPair(RunSteps steps, IRunSupervisor first, IRunSupervisor second) : IRunSupervisor
{
    public void Attach(RunProbe probe)
    {
        first.Attach(probe);
        second.Attach(probe);
    }

    public TimeSpan NextStep(TimeSpan longest) => steps.NextStep(longest);

    public Task<IReadOnlyList<TakenAction>> BetweenStepsAsync(SimTime now, CancellationToken cancellation) => steps.BetweenStepsAsync(now, cancellation);

    public async Task ShowAsync(SimTime now, CampaignSummary summary, IReadOnlyList<MeterOutcome> outcomes, bool ended)
    {
        await first.ShowAsync(now, summary, outcomes, ended);
        await second.ShowAsync(now, summary, outcomes, ended);
    }
}
