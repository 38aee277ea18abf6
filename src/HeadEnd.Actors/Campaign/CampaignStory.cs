using Akka.Event;
using AmiSim.Kernel;
using AmiSim.Protocol.Programs;

namespace AmiSim.HeadEnd.Campaign;

/// <summary>
/// The campaign's story in the log: one line at Information level, prefixed with the virtual time (the
/// kernel's, never the wall clock) and the campaign, on waves, thresholds, status changes, operator
/// actions, crashes and recoveries only: a few lines per wave, whatever the fleet's size. A wave's
/// time-outs are one warning. Lines are decided into the LP's effects, built only if the log takes them.
/// </summary>
internal sealed class CampaignStory(string campaignId, LpEffects effects)
{
    /// <summary>Whether the log takes the story (check before building a costly line).</summary>
    public bool Told => effects.Logs(LogLevel.InfoLevel);

    public void Tell(SimTime now, string template, params object[] args)
    {
        if (!Told) return;
        effects.Log(LogLevel.InfoLevel, "[{VirtualTime}] campaign {Campaign}: " + template, [now, campaignId, .. args]);
    }

    /// <summary>"1 meter", "3 meters".</summary>
    public static string Count(int n, string noun) => n == 1 ? $"1 {noun}" : $"{n} {noun}s";

    public void Planned(SimTime now, ProgramManifest manifest, int meters, int waves, IReadOnlyCollection<MeterCampaignState> skipped)
    {
        var reasons = skipped.GroupBy(m => m.Reason.Split(':')[0]).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Count()} {g.Key}");
        Tell(now, "started: {Program} {Version} to {Meters} meters in {Waves} waves; {Skipped} targeted meters skipped ({Reasons})",
            manifest.ProgramId, manifest.Version, meters, waves, skipped.Count, skipped.Count == 0 ? "none" : string.Join(", ", reasons));
        if (waves == 0) Tell(now, "nothing to do: no targeted meter needs {Program} {Version}; the campaign completes at once", manifest.ProgramId, manifest.Version);
    }

    /// <summary>A wave's end (<paramref name="wave"/> from 0): its outcomes, and its time-outs grouped by collector (a warning, one line for the wave).</summary>
    public void WaveEnded(SimTime now, int wave, int waves, IReadOnlyList<MeterCampaignState> meters)
    {
        if (!Told) return;
        var timedOut = new SortedDictionary<int, int>();
        foreach (var meter in meters.Where(m => m.Phase == MeterPhase.TimedOut)) timedOut[meter.Collector] = timedOut.GetValueOrDefault(meter.Collector) + 1;
        Tell(now, "wave {Wave} of {Waves} ended: {Outcomes} of {Meters} meters", wave + 1, waves, Outcomes(meters), meters.Count);
        if (timedOut.Count > 0 && effects.Logs(LogLevel.WarningLevel))
            effects.Log(LogLevel.WarningLevel, "[{VirtualTime}] campaign {Campaign}: wave {Wave}: {TimedOut} timed out, by collector: {ByCollector}", now, campaignId, wave + 1,
                Count(timedOut.Values.Sum(), "meter"), string.Join(", ", timedOut.Take(20).Select(c => $"{c.Key}: {c.Value}")) + (timedOut.Count > 20 ? $" and {timedOut.Count - 20} more collectors" : ""));
    }

    /// <summary>The campaign's status changed from <paramref name="was"/> in wave <paramref name="wave"/> (from 0) of <paramref name="waves"/>; <paramref name="meters"/> are all it selects.</summary>
    public void StatusChanged(SimTime now, CampaignStatus was, CampaignStatus status, int wave, int waves, string pauseReason, IEnumerable<MeterCampaignState> meters)
    {
        switch (status)
        {
            case CampaignStatus.Paused:
                Tell(now, "paused in wave {Wave}: {Reason}", wave + 1, pauseReason);
                break;
            case CampaignStatus.Running:
                Tell(now, "resumed ({Was} before), in wave {Wave} of {Waves}", was.Name(), Math.Min(wave + 1, waves), waves);
                break;
            case CampaignStatus.Canceled:
                Tell(now, "campaign canceled in wave {Wave}: the stations cancel their meters not yet activating", wave + 1);
                break;
            case CampaignStatus.Completed:
                Tell(now, "campaign completed after {Waves} waves: {Outcomes}", waves, Outcomes(meters));
                break;
        }
    }

    /// <summary>Meters counted by phase, in the phases' order ("998 Succeeded, 1 Failed"; "no meter" for none).</summary>
    private static string Outcomes(IEnumerable<MeterCampaignState> meters)
    {
        var outcomes = new SortedDictionary<MeterPhase, int>();
        foreach (var meter in meters) outcomes[meter.Phase] = outcomes.GetValueOrDefault(meter.Phase) + 1;
        return outcomes.Count == 0 ? "no meter" : string.Join(", ", outcomes.Select(o => $"{o.Value} {o.Key}"));
    }
}
