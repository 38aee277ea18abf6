using AmiSim.HeadEnd.Campaign;
using AmiSim.Kernel;

namespace AmiSim.Host.Run;

/// <summary>An operator action taken during a run: what, at which virtual time, and by whom; a start may name the only meters it programs.</summary>
public sealed record TakenAction(SimTime At, OperatorAction Action, string By, IReadOnlyList<long>? Meters = null);

/// <summary>
/// Someone watching and steering a run between its steps (the operator console). The run asks it,
/// between two steps of virtual time, how long the next step is and which operator actions to take
/// now; it then schedules those at the current virtual time through the campaign's operator path, so
/// that a supervised run is as deterministic as the same actions scripted at those times.
/// </summary>
public interface IRunSupervisor
{
    /// <summary>The run's simulation is up: its meters can be read through <paramref name="probe"/> until the run ends.</summary>
    void Attach(RunProbe probe);

    /// <summary>The next step's length of virtual time, at most <paramref name="longest"/>, in whole seconds (so that every action lands on a whole second).</summary>
    TimeSpan NextStep(TimeSpan longest);

    /// <summary>Waits until the run may go on (the pace, a held clock); returns the actions to take at <paramref name="now"/>, in the order given.</summary>
    Task<IReadOnlyList<TakenAction>> BetweenStepsAsync(SimTime now, CancellationToken cancellation);

    /// <summary>The campaign as it stands after a step (and once more at the end, with <paramref name="ended"/>).</summary>
    Task ShowAsync(SimTime now, CampaignSummary summary, IReadOnlyList<MeterOutcome> outcomes, bool ended);
}
