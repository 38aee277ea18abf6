using AmiSim.Protocol.C1218;
using Xunit;

namespace AmiSim.Protocol.Tests;

/// <summary>
/// The C12.18 packet layer against byte vectors: the identification request as C12.18 documents quote
/// it (EE 00 00 00 00 01 20 13 10), the CRC's check value from the CRC catalogue (CRC-16/X-25 of
/// "123456789" is 0x906E), and packets whose CRC an independent X.25 implementation (Python, bitwise) gave.
/// </summary>
public sealed class C1218PacketTests
{
    private static byte[] Hex(string text) => Convert.FromHexString(text.Replace(" ", "", StringComparison.Ordinal));

    [Fact]
    public void The_crc_is_that_of_X25() =>
        Assert.Equal(0x906E, C1218Packet.Crc("123456789"u8));

    [Theory]
    [InlineData("20", 0x00, "EE 00 00 00 00 01 20 13 10")] // identification
    [InlineData("30 00 01", 0x20, "EE 00 20 00 00 03 30 00 01 D6 6E")] // full read of ST1, toggle set
    [InlineData("00 00 01 00 00", 0x00, "EE 00 00 00 00 05 00 00 01 00 00 C6 B5")] // identification's answer
    public void Packets_are_encoded_byte_for_byte(string data, byte control, string packet)
    {
        Assert.Equal(Hex(packet), new C1218Packet(0, (C1218Control)control, 0, Hex(data)).Encode());
        var read = Assert.IsType<C1218Received.Packet>(Assert.Single(new C1218Framer().Feed(Hex(packet))));
        Assert.Equal(Hex(data), read.Value.Data.ToArray());
    }

    [Fact]
    public void A_long_message_is_split_into_packets_that_count_down_and_toggle()
    {
        var message = Enumerable.Range(0, 150).Select(i => (byte)i).ToArray();
        var packets = C1218Packet.Split(message, packetSize: 64, toggle: false);

        Assert.Equal([2, 1, 0], packets.Select(p => (int)p.Sequence));
        Assert.Equal([C1218Control.PartOfMany | C1218Control.FirstOfMany, C1218Control.PartOfMany | C1218Control.Toggle, C1218Control.PartOfMany], packets.Select(p => p.Control));
        Assert.All(packets, p => Assert.True(p.EncodedLength <= 64));
        Assert.Equal(message, packets.SelectMany(p => p.Data.ToArray()));
    }

    [Fact]
    public void Bytes_outside_packets_are_skipped_and_acknowledgements_found()
    {
        var framer = new C1218Framer();
        var found = framer.Feed([0x41, 0x06, 0x00, .. Hex("EE 00 00 00 00 01 20 13 10"), 0x15]);

        Assert.Collection(found,
            item => Assert.IsType<C1218Received.Acknowledged>(item),
            item => Assert.IsType<C1218Received.Packet>(item),
            item => Assert.IsType<C1218Received.NotAcknowledged>(item));
        Assert.Equal(2, framer.Skipped);
    }

    [Fact]
    public void A_wrong_crc_is_refused_and_the_next_packet_still_read()
    {
        var framer = new C1218Framer();
        var found = framer.Feed([.. Hex("EE 00 00 00 00 01 20 13 11"), .. Hex("EE 00 00 00 00 01 20 13 10")]);

        Assert.Contains("CRC 0x1113, not 0x1013", Assert.IsType<C1218Received.Refused>(found[0]).Why);
        Assert.IsType<C1218Received.Packet>(found[1]);
    }

    [Fact]
    public void A_packet_longer_than_agreed_is_refused_at_its_header()
    {
        var framer = new C1218Framer(packetSize: 64);
        var found = framer.Feed(Hex("EE 00 00 00 1F F7"));

        Assert.Contains("a packet of 8,191 bytes, more than the 64 agreed", Assert.IsType<C1218Received.Refused>(Assert.Single(found)).Why);
        Assert.False(framer.InPacket);
    }

    [Fact]
    public void A_packet_cut_short_waits_for_the_rest_or_the_time_out()
    {
        var framer = new C1218Framer();
        Assert.Empty(framer.Feed(Hex("EE 00 00 00 00 01")));
        Assert.True(framer.InPacket);
        Assert.IsType<C1218Received.Packet>(Assert.Single(framer.Feed(Hex("20 13 10"))));

        Assert.Empty(framer.Feed(Hex("EE 00 00")));
        Assert.True(framer.Discard());
        Assert.False(framer.InPacket);
        Assert.False(framer.Discard());
    }
}
