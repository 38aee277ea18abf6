using System.Buffers.Binary;

namespace AmiSim.Protocol.C1218;

/// <summary>The control byte of a C12.18 packet.</summary>
[Flags]
public enum C1218Control : byte
{
    None = 0,

    /// <summary>Flips from one packet to the next one a side sends; a packet with the same toggle as the last one taken is a duplicate.</summary>
    Toggle = 0x20,

    /// <summary>The first packet of a message sent in several.</summary>
    FirstOfMany = 0x40,

    /// <summary>A packet of a message sent in several (with <see cref="C1218Packet.Sequence"/>, the number of packets still to come).</summary>
    PartOfMany = 0x80,
}

/// <summary>
/// An ANSI C12.18 packet: <c>0xEE</c> (start), identity, control, sequence number (packets still to come
/// in a message sent in several), length (u16, big-endian), data, and the CRC over everything before it
/// (CRC-16 of X.25: polynomial 0x1021 reflected, initial 0xFFFF, complemented), low byte first.
/// Acknowledgements are the single bytes <see cref="Ack"/> and <see cref="Nak"/>, outside packets.
/// </summary>
public sealed record C1218Packet(byte Identity, C1218Control Control, byte Sequence, ReadOnlyMemory<byte> Data)
{
    public const byte Start = 0xEE;
    public const byte Ack = 0x06;
    public const byte Nak = 0x15;
    public const int HeaderLength = 6;
    public const int CrcLength = 2;

    /// <summary>The largest packet C12.18 allows (its length field counts at most 8,183 data bytes in a packet of 8,191).</summary>
    public const int LargestPacket = 8191;

    /// <summary>The packet size both sides use until they negotiate another.</summary>
    public const int DefaultPacketSize = 64;

    public bool Toggled => (Control & C1218Control.Toggle) != 0;

    public int EncodedLength => HeaderLength + Data.Length + CrcLength;

    public byte[] Encode()
    {
        var packet = new byte[EncodedLength];
        packet[0] = Start;
        packet[1] = Identity;
        packet[2] = (byte)Control;
        packet[3] = Sequence;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), checked((ushort)Data.Length));
        Data.Span.CopyTo(packet.AsSpan(HeaderLength));
        BinaryPrimitives.WriteUInt16LittleEndian(packet.AsSpan(HeaderLength + Data.Length), Crc(packet.AsSpan(0, HeaderLength + Data.Length)));
        return packet;
    }

    /// <summary>C12.18's CRC (that of X.25) of <paramref name="bytes"/>.</summary>
    public static ushort Crc(ReadOnlySpan<byte> bytes)
    {
        var crc = 0xFFFF;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (var bit = 0; bit < 8; bit++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x8408 : crc >> 1;
        }
        return (ushort)(crc ^ 0xFFFF);
    }

    /// <summary>
    /// <paramref name="message"/> as the packets that carry it at <paramref name="packetSize"/>: one when
    /// it fits, else several, the first marked first, each with the number still to come; toggles
    /// alternate from <paramref name="toggle"/>. <exception cref="ArgumentException">it needs more than 255 packets.</exception>
    /// </summary>
    public static IReadOnlyList<C1218Packet> Split(ReadOnlyMemory<byte> message, int packetSize, bool toggle, byte identity = 0)
    {
        var room = packetSize - HeaderLength - CrcLength;
        if (room < 1) throw new ArgumentOutOfRangeException(nameof(packetSize), packetSize, "a packet has room for no data");
        if (message.Length <= room) return [new C1218Packet(identity, toggle ? C1218Control.Toggle : C1218Control.None, 0, message)];
        var count = (message.Length + room - 1) / room;
        if (count > 256) throw new ArgumentException($"a message of {message.Length:N0} bytes needs {count} packets of {packetSize}; C12.18 sends at most 256");
        var packets = new List<C1218Packet>(count);
        for (var i = 0; i < count; i++)
        {
            var control = C1218Control.PartOfMany | (i == 0 ? C1218Control.FirstOfMany : 0) | (toggle ^ (i % 2 == 1) ? C1218Control.Toggle : 0);
            var part = message.Slice(i * room, Math.Min(room, message.Length - i * room));
            packets.Add(new C1218Packet(identity, control, (byte)(count - 1 - i), part));
        }
        return packets;
    }

    public bool Equals(C1218Packet? other) =>
        other is not null && Identity == other.Identity && Control == other.Control && Sequence == other.Sequence && Data.Span.SequenceEqual(other.Data.Span);

    public override int GetHashCode() => HashCode.Combine(Identity, Control, Sequence, Data.Length);
}

/// <summary>What <see cref="C1218Framer"/> found in the bytes it was given.</summary>
public abstract record C1218Received
{
    public sealed record Acknowledged : C1218Received;

    public sealed record NotAcknowledged : C1218Received;

    public sealed record Packet(C1218Packet Value) : C1218Received;

    /// <summary>A packet that cannot be taken (a wrong CRC, too long for the packet size); the receiver answers NAK.</summary>
    public sealed record Refused(string Why) : C1218Received;
}

/// <summary>
/// Reads C12.18 from a byte stream, pure: bytes go in as they arrive, acknowledgements and whole
/// packets come out. Bytes outside a packet other than ACK and NAK are skipped (and counted); a packet
/// whose CRC is wrong, or whose length is more than <see cref="PacketSize"/> allows, is refused and the
/// reader looks for the next start byte after its own. A packet cut short stays pending until more bytes
/// come or the caller, after the channel-traffic time-out, calls <see cref="Discard"/>.
/// </summary>
public sealed class C1218Framer(int packetSize = C1218Packet.DefaultPacketSize)
{
    private readonly List<byte> _pending = [];

    /// <summary>The largest packet taken (negotiated: from 8 up to <see cref="C1218Packet.LargestPacket"/>).</summary>
    public int PacketSize { get; set; } = packetSize;

    /// <summary>Bytes skipped because they were outside any packet.</summary>
    public long Skipped { get; private set; }

    /// <summary>Part of a packet has arrived and the rest has not.</summary>
    public bool InPacket => _pending.Count > 0;

    public IReadOnlyList<C1218Received> Feed(ReadOnlySpan<byte> bytes)
    {
        var found = new List<C1218Received>();
        foreach (var b in bytes)
        {
            if (_pending.Count == 0)
            {
                if (b == C1218Packet.Ack) found.Add(new C1218Received.Acknowledged());
                else if (b == C1218Packet.Nak) found.Add(new C1218Received.NotAcknowledged());
                else if (b == C1218Packet.Start) _pending.Add(b);
                else Skipped++;
                continue;
            }
            _pending.Add(b);
            if (_pending.Count < C1218Packet.HeaderLength) continue;
            var length = _pending[4] << 8 | _pending[5];
            var total = C1218Packet.HeaderLength + length + C1218Packet.CrcLength;
            if (total > PacketSize)
            {
                found.Add(new C1218Received.Refused($"a packet of {total:N0} bytes, more than the {PacketSize:N0} agreed"));
                _pending.Clear();
                continue;
            }
            if (_pending.Count < total) continue;
            var packet = _pending.ToArray();
            _pending.Clear();
            var crc = BinaryPrimitives.ReadUInt16LittleEndian(packet.AsSpan(total - C1218Packet.CrcLength));
            var expected = C1218Packet.Crc(packet.AsSpan(0, total - C1218Packet.CrcLength));
            found.Add(crc == expected
                ? new C1218Received.Packet(new C1218Packet(packet[1], (C1218Control)packet[2], packet[3], packet.AsMemory(C1218Packet.HeaderLength, length)))
                : new C1218Received.Refused($"CRC 0x{crc:X4}, not 0x{expected:X4}"));
        }
        return found;
    }

    /// <summary>Drops a packet cut short (the channel-traffic time-out passed); true when there was one.</summary>
    public bool Discard()
    {
        var had = _pending.Count > 0;
        _pending.Clear();
        return had;
    }
}
