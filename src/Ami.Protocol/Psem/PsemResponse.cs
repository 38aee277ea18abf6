using System.Buffers.Binary;
using AmiSim.Protocol.C1219;

namespace AmiSim.Protocol.Psem;

/// <summary>PSEM response codes.</summary>
public enum PsemResponseCode : byte
{
    /// <summary>ok: acknowledge, no problems.</summary>
    Ok = 0x00,
    /// <summary>err: rejected for a reason not covered by another code (for example a bad checksum).</summary>
    Error = 0x01,
    /// <summary>sns: service not supported.</summary>
    ServiceNotSupported = 0x02,
    /// <summary>isc: insufficient security clearance.</summary>
    InsufficientSecurityClearance = 0x03,
    /// <summary>onp: operation not possible (unknown table, out of bounds).</summary>
    OperationNotPossible = 0x04,
    /// <summary>iar: inappropriate action requested (for example a write to a read-only table).</summary>
    InappropriateActionRequested = 0x05,
    /// <summary>bsy: device busy.</summary>
    Busy = 0x06,
    /// <summary>dnr: data not ready.</summary>
    DataNotReady = 0x07,
    /// <summary>dlk: data locked.</summary>
    DataLocked = 0x08,
    /// <summary>rno: renegotiate request.</summary>
    Renegotiate = 0x09,
    /// <summary>isss: invalid service sequence state.</summary>
    InvalidServiceSequenceState = 0x0A,
}

/// <summary>
/// A PSEM response. A read answered ok carries table data, encoded as ok | count u16 | data | checksum;
/// every other response is its code alone.
/// </summary>
public sealed record PsemResponse(PsemResponseCode Code, ReadOnlyMemory<byte> Data)
{
    /// <summary>The code-only responses, one each: a board refusing every block of a flood would otherwise make one per block.</summary>
    private static readonly PsemResponse[] CodeOnly =
        Enumerable.Range(0, (int)PsemResponseCode.InvalidServiceSequenceState + 1).Select(c => new PsemResponse((PsemResponseCode)c, ReadOnlyMemory<byte>.Empty)).ToArray();

    public static readonly PsemResponse Ok = Of(PsemResponseCode.Ok);

    public static PsemResponse Of(PsemResponseCode code) => (int)code < CodeOnly.Length ? CodeOnly[(int)code] : new(code, ReadOnlyMemory<byte>.Empty);

    public static PsemResponse ReadOk(ReadOnlyMemory<byte> data) => new(PsemResponseCode.Ok, data);

    public bool IsOk => Code == PsemResponseCode.Ok;

    /// <param name="isReadResponse">true when answering a read: an ok response then carries count, data and checksum.</param>
    public byte[] Encode(bool isReadResponse)
    {
        if (!isReadResponse || Code != PsemResponseCode.Ok) return [(byte)Code];
        var frame = new byte[1 + 2 + Data.Length + 1];
        frame[0] = (byte)Code;
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(1), checked((ushort)Data.Length));
        Data.Span.CopyTo(frame.AsSpan(3));
        frame[^1] = TableChecksum.Of(Data.Span);
        return frame;
    }

    public static PsemResponse Decode(ReadOnlySpan<byte> frame, bool isReadResponse)
    {
        if (frame.IsEmpty) throw new PsemFormatException("empty response");
        if (frame[0] > (byte)PsemResponseCode.InvalidServiceSequenceState) throw new PsemFormatException($"unknown response code 0x{frame[0]:X2}");
        var code = (PsemResponseCode)frame[0];
        if (!isReadResponse || code != PsemResponseCode.Ok)
            return frame.Length == 1 ? Of(code) : throw new PsemFormatException($"response {code} carries {frame.Length - 1} unexpected byte(s)");
        if (frame.Length < 4) throw new PsemFormatException($"read response needs count and checksum, got {frame.Length} byte(s)");
        var count = BinaryPrimitives.ReadUInt16BigEndian(frame[1..]);
        if (frame.Length != 3 + count + 1) throw new PsemFormatException($"read response says {count} data byte(s), the frame holds {frame.Length - 4}");
        var data = frame.Slice(3, count);
        if (!TableChecksum.Matches(data, frame[^1])) throw new PsemFormatException($"read response checksum 0x{frame[^1]:X2} does not match its data (0x{TableChecksum.Of(data):X2})");
        return ReadOk(data.ToArray());
    }

    public bool Equals(PsemResponse? other) => other is not null && Code == other.Code && Data.Span.SequenceEqual(other.Data.Span);

    public override int GetHashCode() => HashCode.Combine(Code, Data.Length);
}
