using AmiSim.Kernel;
using AmiSim.Protocol.Cim;

namespace AmiSim.HeadEnd.Mdm;

/// <summary>
/// A CIM message reached the MDM and was answered (published when the run is observed, see
/// <see cref="KernelSettings.PublishObservations"/>). Messages lost while the MDM was unreachable never
/// reach it and are not published; a resent message that was already recorded is, with <paramref name="Duplicate"/> set.
/// </summary>
public sealed record CimMessageObserved(SimTime At, string Noun, string MessageId, ReplyResult Result, bool Duplicate, string Xml);
