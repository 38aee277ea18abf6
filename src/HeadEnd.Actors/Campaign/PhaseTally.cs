namespace AmiSim.HeadEnd.Campaign;

/// <summary>
/// How many of each wave's meters have finished, failed or succeeded, kept as phases change, so that
/// the campaign's thresholds, checked after every station report, never count a wave's meters.
/// </summary>
internal sealed class PhaseTally(int waves)
{
    public int[] Finished { get; } = new int[waves];

    public int[] Errors { get; } = new int[waves];

    public int[] Succeeded { get; } = new int[waves];

    public int FinishedTotal { get; private set; }

    public void Move(int wave, MeterPhase from, MeterPhase to)
    {
        if (wave < 0 || from == to) return; // skipped meters belong to no wave
        Count(wave, from, -1);
        Count(wave, to, +1);
    }

    private void Count(int wave, MeterPhase phase, int delta)
    {
        if (!phase.IsFinal()) return;
        Finished[wave] += delta;
        FinishedTotal += delta;
        if (phase.IsError()) Errors[wave] += delta;
        if (phase == MeterPhase.Succeeded) Succeeded[wave] += delta;
    }
}
