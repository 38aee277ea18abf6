namespace AmiSim.Kernel;

/// <summary>
/// Where LPs report the steps they take for the few subjects a run traces (a subject is a number the
/// model chooses; the steps and their names are the model's too). Entries come from many threads; a
/// sink orders them by (subject, time, step, text), so the trace is deterministic.
/// </summary>
public interface ITraceSink
{
    /// <summary>Whether entries about <paramref name="subject"/> are wanted (keep it cheap: it is asked on hot paths).</summary>
    bool Traces(long subject);

    void Record(long subject, SimTime time, LpId lp, string step, string text);
}
