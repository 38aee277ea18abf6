using AmiSim.Kernel;
using AmiSim.Protocol.Network;

namespace AmiSim.HeadEnd.Campaign;

/// <summary>One meter's progress in the campaign: its station's working copy, or the campaign's view of it from the station's reports.</summary>
public sealed class MeterCampaignState(MeterId meter, int collector, int wave)
{
    public MeterId Meter { get; } = meter;

    public int Collector { get; } = collector;

    public int Wave { get; } = wave;

    public MeterPhase Phase { get; set; }

    public string Reason { get; set; } = "";

    /// <summary>Attempts at the current step.</summary>
    public int Attempts { get; set; }

    /// <summary>Attempts over the whole campaign (for the report).</summary>
    public int TotalAttempts { get; set; }

    /// <summary>The step's deadline in virtual microseconds (0 = none).</summary>
    public long DeadlineMicros
    {
        get => _deadlineMicros;
        set
        {
            if (value == _deadlineMicros) return; // its entry in the queue still stands
            _deadlineMicros = value;
            if (value > 0) Deadlines?.Watch(this, value);
        }
    }

    private long _deadlineMicros;

    /// <summary>Its place in the campaign's plan: meters due at the same deadline check are handled in this order.</summary>
    internal int Order { get; init; }

    /// <summary>Where its station looks for meters whose deadline has passed (null: nowhere, as in the campaign's view).</summary>
    internal DeadlineQueue? Deadlines { get; init; }

    public long FinishedMicros { get; set; }

    /// <summary>The outstanding command, if any.</summary>
    public long CommandId { get; set; }

    /// <summary>Blocks still missing at the last status read (null = not read yet).</summary>
    public int[]? Missing { get; set; }

    public string FirmwareAfter { get; set; } = "";

    /// <summary>Times the whole transfer was started again after a failed verification.</summary>
    public int Restarts { get; set; }

    /// <summary>Holds one of its collector's unicast sessions.</summary>
    public bool InSession { get; set; }

    /// <summary>The step it waits in its collector's queue for (null = not queued).</summary>
    internal CampaignStep? QueuedStep { get; set; }
}

/// <summary>What the head-end asks a meter in one PSEM command.</summary>
internal enum CampaignStep : byte
{
    Initiate,
    Status,
    Verify,
    Configure,
}
