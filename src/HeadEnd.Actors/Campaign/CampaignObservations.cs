using AmiSim.Kernel;
using AmiSim.Protocol.Network;

namespace AmiSim.HeadEnd.Campaign;

/// <summary>
/// The campaign's status or wave changed (published when the run is observed, see
/// <see cref="KernelSettings.PublishObservations"/>). <paramref name="Wave"/> counts from 1; 0 before the first.
/// </summary>
public sealed record CampaignStatusObserved(SimTime At, CampaignStatus Status, int Wave, string Reason);

/// <summary>A targeted meter moved from one phase of the campaign to another (published when the run is observed).</summary>
public sealed record MeterPhaseObserved(SimTime At, MeterId Meter, int Wave, MeterPhase From, MeterPhase To, string Reason);
