namespace AmiSim.Mesh.Radio;

/// <summary>
/// Bursty loss: a two-state Gilbert-Elliott process per link and direction (network.burst), in
/// continuous time. In the good state nothing is lost; in the bad state a draw is lost with
/// <see cref="BadLoss"/>. The bad state lasts <see cref="MeanBurstDuration"/> on average, and the good
/// one long enough that the link's mean loss stays the link's loss. Draws at the same instant (the
/// blocks of one frame) share the state; draws far apart are nearly independent.
/// </summary>
public sealed record BurstSettings
{
    /// <summary>Mean time the bad state lasts.</summary>
    public TimeSpan MeanBurstDuration { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>The chance of a loss in the bad state (above any link's loss).</summary>
    public double BadLoss { get; init; } = 1;
}
