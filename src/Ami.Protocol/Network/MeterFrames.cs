using AmiSim.Protocol.C1219;
using AmiSim.Protocol.Psem;

namespace AmiSim.Protocol.Network;

/// <summary>A frame the head-end sends toward a meter's NIC (step 1.4/1.5).</summary>
public interface IDownlinkFrame
{
    /// <summary>Bytes on the air, for airtime.</summary>
    int WireBytes { get; }
}

/// <summary>A frame a meter's NIC sends toward the head-end (step 1.9/1.10).</summary>
public interface IUplinkFrame
{
    MeterId Meter { get; }

    int WireBytes { get; }
}

/// <summary>
/// PSEM services for the NIC to run against its board, in order, like the EPSEM of a C12.22 message;
/// the first one that is not answered ok ends the command (the rest are not run).
/// </summary>
public sealed record PsemCommand(long CommandId, IReadOnlyList<PsemRequest> Requests) : IDownlinkFrame
{
    public int WireBytes
    {
        get
        {
            // By index: worked out at every hop, and foreach over the interface would box an enumerator each time.
            var bytes = 24;
            for (var i = 0; i < Requests.Count; i++) bytes += Requests[i].EncodedLength;
            return bytes;
        }
    }
}

/// <summary>The answers to a <see cref="PsemCommand"/>, one per service run.</summary>
public sealed record PsemCommandResult(MeterId Meter, long CommandId, IReadOnlyList<PsemResponse> Responses) : IUplinkFrame
{
    public bool AllOk => Responses.All(r => r.IsOk);

    public int WireBytes
    {
        get
        {
            var bytes = 24;
            for (var i = 0; i < Responses.Count; i++) bytes += 4 + Responses[i].Data.Length;
            return bytes;
        }
    }
}

/// <summary>One block of an image: its number and its bytes (a slice of the shared package content, never a copy).</summary>
public readonly record struct ImageBlock(int Number, ReadOnlyMemory<byte> Data);

/// <summary>
/// A train of image blocks (unicast to one meter or multicast to a collector's cell), usually
/// consecutive; after losses on the way, the blocks a meter receives may have gaps.
/// </summary>
public sealed record ImageChunk(string ProgramId, int BlockSize, IReadOnlyList<ImageBlock> Blocks) : IDownlinkFrame
{
    public const int HeaderBytes = 24;
    public const int BlockOverheadBytes = 12;

    public int WireBytes => WireBytesOf(Blocks);

    /// <summary>Bytes on the air of a chunk carrying <paramref name="blocks"/> (a hop may carry fewer than the chunk it got).</summary>
    public static int WireBytesOf(IReadOnlyList<ImageBlock> blocks)
    {
        var bytes = HeaderBytes + blocks.Count * BlockOverheadBytes;
        for (var i = 0; i < blocks.Count; i++) bytes += blocks[i].Data.Length;
        return bytes;
    }
}

public enum ConfirmationOutcome : byte
{
    /// <summary>The new program is running (ST1 shows the new version, or the configuration is in force).</summary>
    Activated = 1,

    /// <summary>Activation failed; the board rolled back to the previous program.</summary>
    RolledBack = 2,
}

/// <summary>
/// The board's update confirmation (ST8 after activation), forwarded by the NIC and stored until the
/// head-end acknowledges it. <paramref name="ConfirmationId"/> is unique per meter.
/// </summary>
public sealed record ProgramConfirmation(
    MeterId Meter,
    long ConfirmationId,
    string ProgramId,
    ConfirmationOutcome Outcome,
    FirmwareVersion Firmware,
    string Reason,
    long ActivatedAtMicros) : IUplinkFrame
{
    public int WireBytes => 64 + ProgramId.Length + Reason.Length;
}

/// <summary>The head-end has durably recorded a confirmation: the NIC may forget it.</summary>
public sealed record ConfirmationAck(MeterId Meter, long ConfirmationId) : IDownlinkFrame
{
    public int WireBytes => 24;
}

/// <summary>
/// Head-end -> collector: carry <paramref name="Frame"/> to one meter, or (when <paramref name="Meter"/>
/// is null) flood it through the collector's whole mesh once (multicast), addressed to
/// <paramref name="Group"/> (null: to every meter of the cell).
/// </summary>
public sealed record MeshDownlink(MeterId? Meter, IDownlinkFrame Frame, MulticastGroup? Group = null);

/// <summary>
/// The meters a multicast round is addressed to: every relay of the cell forwards the flood, but only
/// members take its chunks; a NIC outside the group drops them at the link layer (DLMS multicast
/// addressing). One object per round, shared by all its chunks; <paramref name="Id"/> is unique in a campaign.
/// </summary>
public sealed class MulticastGroup(long id, IReadOnlyList<MeterId> members)
{
    public long Id { get; } = id;

    public IReadOnlyList<MeterId> Members { get; } = members;

    public override string ToString() => $"multicast group {Id} ({Members.Count} meters)";
}
