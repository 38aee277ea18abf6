namespace AmiSim.HeadEnd.Campaign;

/// <summary>Where a campaign is: made, working its waves, held, ended, or its head-end down.</summary>
public enum CampaignStatus : byte
{
    /// <summary>Made, not yet started.</summary>
    Created,
    Running,
    /// <summary>Held by the operator or by a threshold; resumes on the operator's word.</summary>
    Paused,
    Completed,
    Canceled,
    /// <summary>The head-end has crashed and not yet restarted.</summary>
    Down,
}

public static class CampaignStatuses
{
    /// <summary>The status as reports, logs, CIM and the journal write it ("running").</summary>
    public static string Name(this CampaignStatus status) => status switch
    {
        CampaignStatus.Created => "created",
        CampaignStatus.Running => "running",
        CampaignStatus.Paused => "paused",
        CampaignStatus.Completed => "completed",
        CampaignStatus.Canceled => "canceled",
        CampaignStatus.Down => "down",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };

    /// <summary>The status a name stands for (<see cref="Name"/>'s inverse). <exception cref="FormatException">no status has that name.</exception></summary>
    public static CampaignStatus Parse(string name)
    {
        foreach (var status in Enum.GetValues<CampaignStatus>())
            if (status.Name() == name) return status;
        throw new FormatException($"'{name}' is not a campaign status ({string.Join(", ", Enum.GetValues<CampaignStatus>().Select(Name))})");
    }
}
