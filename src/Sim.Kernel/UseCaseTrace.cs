namespace AmiSim.Kernel;

/// <summary>
/// Where LPs report the steps of the use case (1.1-1.11) for the few meters a run traces. Entries come
/// from many threads; a sink orders them by (meter, time, step, text), so the trace is deterministic.
/// </summary>
public interface ITraceSink
{
    /// <summary>Whether entries about <paramref name="meter"/> are wanted (keep it cheap: it is asked on hot paths).</summary>
    bool Traces(long meter);

    void Record(long meter, SimTime time, LpId lp, string step, string text);
}
