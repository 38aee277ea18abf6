using System.Buffers.Binary;
using System.Text;
using AmiSim.Protocol.C1219;

namespace AmiSim.Protocol.Psem;

/// <summary>PSEM request service codes (ANSI C12.18/C12.22).</summary>
public enum PsemService : byte
{
    Ident = 0x20,
    Terminate = 0x21,
    FullRead = 0x30,
    PartialReadOffset = 0x3F,
    FullWrite = 0x40,
    PartialWriteOffset = 0x4F,
    Logon = 0x50,
    Security = 0x51,
    Logoff = 0x52,
    Wait = 0x70,
}

/// <summary>
/// A PSEM request, as the NIC sends it to the metrology board. Encodings are byte-exact and
/// big-endian: service code, then table id u16, offset u24, count u16, data and the table-data
/// checksum as the service needs them.
/// </summary>
public abstract record PsemRequest
{
    public abstract PsemService Service { get; }

    public abstract byte[] Encode();

    /// <summary>The length of <see cref="Encode"/>'s frame; the writes say it without building the frame.</summary>
    public virtual int EncodedLength => Encode().Length;

    /// <summary>Decodes one request; a malformed one throws <see cref="PsemFormatException"/> naming what is wrong.</summary>
    public static PsemRequest Decode(ReadOnlySpan<byte> frame)
    {
        if (frame.IsEmpty) throw new PsemFormatException("empty request");
        var service = (PsemService)frame[0];
        var body = frame[1..];
        return service switch
        {
            PsemService.Ident => Exactly(body, 0, service, new IdentRequest()),
            PsemService.Terminate => Exactly(body, 0, service, new TerminateRequest()),
            PsemService.Logoff => Exactly(body, 0, service, new LogoffRequest()),
            PsemService.Wait => Exactly(body, 1, service, body.Length == 1 ? new WaitRequest(body[0]) : null!),
            PsemService.FullRead => Exactly(body, 2, service, body.Length == 2 ? new FullReadRequest(Table(body)) : null!),
            PsemService.PartialReadOffset => Exactly(body, 7, service,
                body.Length == 7 ? new PartialReadRequest(Table(body), U24(body[2..]), BinaryPrimitives.ReadUInt16BigEndian(body[5..])) : null!),
            PsemService.FullWrite => DecodeFullWrite(body),
            PsemService.PartialWriteOffset => DecodePartialWrite(body),
            PsemService.Logon => Exactly(body, 12, service,
                body.Length == 12 ? new LogonRequest(BinaryPrimitives.ReadUInt16BigEndian(body), Encoding.Latin1.GetString(body[2..]).TrimEnd(' ', '\0')) : null!),
            PsemService.Security => Exactly(body, 20, service, body.Length == 20 ? new SecurityRequest(body.ToArray()) : null!),
            _ => throw new PsemFormatException($"unknown service code 0x{frame[0]:X2}"),
        };
    }

    private static PsemRequest Exactly(ReadOnlySpan<byte> body, int length, PsemService service, PsemRequest request) =>
        body.Length == length ? request : throw new PsemFormatException($"{service} (0x{(byte)service:X2}) takes {length} byte(s) after the code, got {body.Length}");

    private static PsemRequest DecodeFullWrite(ReadOnlySpan<byte> body)
    {
        if (body.Length < 5) throw new PsemFormatException($"FullWrite (0x40) needs table id, count and checksum, got {body.Length} byte(s)");
        var count = BinaryPrimitives.ReadUInt16BigEndian(body[2..]);
        if (body.Length != 4 + count + 1) throw new PsemFormatException($"FullWrite (0x40) says {count} data byte(s), the frame holds {body.Length - 5}");
        return new FullWriteRequest(Table(body), body.Slice(4, count).ToArray(), body[4 + count]);
    }

    private static PsemRequest DecodePartialWrite(ReadOnlySpan<byte> body)
    {
        if (body.Length < 8) throw new PsemFormatException($"PartialWriteOffset (0x4F) needs table id, offset, count and checksum, got {body.Length} byte(s)");
        var count = BinaryPrimitives.ReadUInt16BigEndian(body[5..]);
        if (body.Length != 7 + count + 1) throw new PsemFormatException($"PartialWriteOffset (0x4F) says {count} data byte(s), the frame holds {body.Length - 8}");
        return new PartialWriteRequest(Table(body), U24(body[2..]), body.Slice(7, count).ToArray(), body[7 + count]);
    }

    private static TableId Table(ReadOnlySpan<byte> body) => new(BinaryPrimitives.ReadUInt16BigEndian(body));

    private static uint U24(ReadOnlySpan<byte> b) => (uint)(b[0] << 16 | b[1] << 8 | b[2]);

    protected static void WriteU24(Span<byte> b, uint value)
    {
        if (value > 0xFFFFFF) throw new ArgumentOutOfRangeException(nameof(value), value, "a PSEM offset has 24 bits");
        b[0] = (byte)(value >> 16);
        b[1] = (byte)(value >> 8);
        b[2] = (byte)value;
    }
}

public sealed record IdentRequest : PsemRequest
{
    public override PsemService Service => PsemService.Ident;

    public override byte[] Encode() => [(byte)Service];

    public override int EncodedLength => 1;
}

public sealed record TerminateRequest : PsemRequest
{
    public override PsemService Service => PsemService.Terminate;

    public override byte[] Encode() => [(byte)Service];

    public override int EncodedLength => 1;
}

public sealed record LogoffRequest : PsemRequest
{
    public override PsemService Service => PsemService.Logoff;

    public override byte[] Encode() => [(byte)Service];

    public override int EncodedLength => 1;
}

public sealed record WaitRequest(byte Seconds) : PsemRequest
{
    public override PsemService Service => PsemService.Wait;

    public override byte[] Encode() => [(byte)Service, Seconds];

    public override int EncodedLength => 2;
}

public sealed record FullReadRequest(TableId Table) : PsemRequest
{
    public override PsemService Service => PsemService.FullRead;

    public override int EncodedLength => 3;

    public override byte[] Encode()
    {
        var frame = new byte[EncodedLength];
        frame[0] = (byte)Service;
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(1), Table.Raw);
        return frame;
    }
}

public sealed record PartialReadRequest(TableId Table, uint Offset, ushort Count) : PsemRequest
{
    public override PsemService Service => PsemService.PartialReadOffset;

    public override int EncodedLength => 8;

    public override byte[] Encode()
    {
        var frame = new byte[EncodedLength];
        frame[0] = (byte)Service;
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(1), Table.Raw);
        WriteU24(frame.AsSpan(3), Offset);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(6), Count);
        return frame;
    }
}

/// <summary>Full table write: table id, count, data, checksum. <see cref="Checksum"/> defaults to the right one.</summary>
public sealed record FullWriteRequest(TableId Table, ReadOnlyMemory<byte> Data, byte Checksum) : PsemRequest
{
    public FullWriteRequest(TableId table, ReadOnlyMemory<byte> data) : this(table, data, TableChecksum.Of(data.Span)) { }

    public override PsemService Service => PsemService.FullWrite;

    public bool ChecksumValid => TableChecksum.Matches(Data.Span, Checksum);

    public override int EncodedLength => 1 + 2 + 2 + Data.Length + 1;

    public override byte[] Encode()
    {
        var frame = new byte[EncodedLength];
        frame[0] = (byte)Service;
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(1), Table.Raw);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(3), checked((ushort)Data.Length));
        Data.Span.CopyTo(frame.AsSpan(5));
        frame[^1] = Checksum;
        return frame;
    }

    public bool Equals(FullWriteRequest? other) => other is not null && Table == other.Table && Checksum == other.Checksum && Data.Span.SequenceEqual(other.Data.Span);

    public override int GetHashCode() => HashCode.Combine(Table, Checksum, Data.Length);
}

/// <summary>Partial write by offset: table id, offset u24, count, data, checksum.</summary>
public sealed record PartialWriteRequest(TableId Table, uint Offset, ReadOnlyMemory<byte> Data, byte Checksum) : PsemRequest
{
    public PartialWriteRequest(TableId table, uint offset, ReadOnlyMemory<byte> data) : this(table, offset, data, TableChecksum.Of(data.Span)) { }

    public override PsemService Service => PsemService.PartialWriteOffset;

    public bool ChecksumValid => TableChecksum.Matches(Data.Span, Checksum);

    public override int EncodedLength => 1 + 2 + 3 + 2 + Data.Length + 1;

    public override byte[] Encode()
    {
        var frame = new byte[EncodedLength];
        frame[0] = (byte)Service;
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(1), Table.Raw);
        WriteU24(frame.AsSpan(3), Offset);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(6), checked((ushort)Data.Length));
        Data.Span.CopyTo(frame.AsSpan(8));
        frame[^1] = Checksum;
        return frame;
    }

    public bool Equals(PartialWriteRequest? other) =>
        other is not null && Table == other.Table && Offset == other.Offset && Checksum == other.Checksum && Data.Span.SequenceEqual(other.Data.Span);

    public override int GetHashCode() => HashCode.Combine(Table, Offset, Checksum, Data.Length);
}

/// <summary>Logon: user id u16, user name char(10).</summary>
public sealed record LogonRequest(ushort UserId, string User) : PsemRequest
{
    public override PsemService Service => PsemService.Logon;

    public override byte[] Encode()
    {
        var frame = new byte[13];
        frame[0] = (byte)Service;
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(1), UserId);
        var name = Encoding.Latin1.GetBytes(User);
        if (name.Length > 10) throw new PsemFormatException($"Logon user '{User}' is longer than 10 characters");
        frame.AsSpan(3).Fill((byte)' ');
        name.CopyTo(frame, 3);
        return frame;
    }
}

/// <summary>Security: the 20-byte password (the meter's credential).</summary>
public sealed record SecurityRequest(byte[] Password) : PsemRequest
{
    public const int PasswordLength = 20;

    public override PsemService Service => PsemService.Security;

    public override byte[] Encode()
    {
        if (Password.Length != PasswordLength) throw new PsemFormatException($"Security password must be {PasswordLength} bytes, got {Password.Length}");
        return [(byte)Service, .. Password];
    }

    public bool Equals(SecurityRequest? other) => other is not null && Password.AsSpan().SequenceEqual(other.Password);

    public override int GetHashCode() => Password.Length;
}

/// <summary>A PSEM frame that does not decode; the message says what is wrong.</summary>
public sealed class PsemFormatException(string message) : Exception(message);
