using AmiSim.Kernel;

namespace AmiSim.HeadEnd.Campaign;

// What the campaign's state decides beyond the kernel's effects (LpEffects): its journal's life and
// writes, and its CIM outbox. CampaignActor performs them, in the order decided.

/// <summary>Start the campaign's journal member under <paramref name="Name"/> and ask it what it recovered (answered through <see cref="CampaignState.Recovered"/>).</summary>
public sealed record StartJournal(string Name) : ILpEffect;

/// <summary>Stop the campaign's journal member: the head-end process died.</summary>
public sealed class StopJournal : ILpEffect
{
    public static readonly StopJournal Instance = new();

    private StopJournal() { }
}

/// <summary>Tell the journal <paramref name="Batch"/> to write; the campaign goes on meanwhile.</summary>
public sealed record WriteBatch(CampaignFlushed Batch) : ILpEffect;

/// <summary>
/// The batches up to <paramref name="UpTo"/> (the journal's count since it started) must be written
/// before the campaign acts on them: answered with <see cref="CampaignState.Written"/> at once if the
/// journal has written them, else once it has. <see cref="long.MaxValue"/>: asked of the journal whatever it has written.
/// </summary>
public sealed record AwaitWritten(long UpTo) : ILpEffect;

/// <summary>A CIM message to the MDM, for the setup's outbox (<see cref="ICimOutbox"/>).</summary>
public sealed record CimSent(string MessageId, string Xml) : ILpEffect;
