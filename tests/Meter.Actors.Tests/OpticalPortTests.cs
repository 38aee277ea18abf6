using AmiSim.Kernel;
using AmiSim.Meter.Board;
using AmiSim.Meter.Optical;
using AmiSim.Protocol.C1218;
using AmiSim.Protocol.C1219;
using AmiSim.Protocol.Network;
using AmiSim.Protocol.Programs;
using AmiSim.Protocol.Psem;
using Xunit;

namespace AmiSim.Meter.Tests;

/// <summary>A meter's C12.18 optical port, pure: packets in, acknowledgements and answers out.</summary>
public sealed class OpticalPortTests
{
    private static readonly byte[] Password = MeterTestBed.CredentialOf(7);
    private readonly MetrologyBoard _board;
    private readonly OpticalPort _port;
    private bool _toggle;
    private TimeSpan _wall = TimeSpan.FromSeconds(10);

    public OpticalPortTests()
    {
        var setup = new MeterSetup
        {
            Meter = new MeterId(7), Model = "AM-100", Firmware = new FirmwareVersion(1, 0), Credential = Password,
            Verifier = new SignatureVerifier([]), Uplink = LpId.Kernel,
        };
        _board = new MetrologyBoard(setup, RandomStream.For(1, MeterSetup.LpOf(setup.Meter), "board-faults"));
        _port = new OpticalPort(_board, new MeterTestBed.StillClock(), new OpticalPortSettings(3, TimeSpan.FromMinutes(1)));
    }

    private byte[] Packet(byte[] request, bool? toggle = null)
    {
        var packet = new C1218Packet(0, toggle ?? _toggle ? C1218Control.Toggle : C1218Control.None, 0, request).Encode();
        if (toggle is null) _toggle = !_toggle;
        return packet;
    }

    /// <summary>Sends one request; returns the port's acknowledgement and the answer's PSEM bytes.</summary>
    private (byte Ack, byte[] Answer) Ask(byte[] request)
    {
        var sent = _port.Receive(Packet(request), _wall);
        var packets = new C1218Framer().Feed(sent.AsSpan(1)).OfType<C1218Received.Packet>().ToList();
        return (sent[0], [.. packets.SelectMany(p => p.Value.Data.ToArray())]);
    }

    private PsemResponseCode Code(PsemRequest request) => (PsemResponseCode)Ask(request.Encode()).Answer[0];

    private void Session()
    {
        Ask([0x20]);
        Assert.Equal(PsemResponseCode.Ok, Code(new LogonRequest(2, "TEST")));
    }

    [Fact]
    public void Identification_comes_first_and_is_answered_as_C1218_version_1()
    {
        Assert.Equal(PsemResponseCode.InvalidServiceSequenceState, Code(new FullReadRequest(Tables.GeneralManufacturerId)));
        var (ack, answer) = Ask([0x20]);

        Assert.Equal(C1218Packet.Ack, ack);
        Assert.Equal(new byte[] { 0x00, 0x00, 0x01, 0x00, 0x00 }, answer);
        Assert.Equal(OpticalPortState.Identified, _port.State);
        Assert.Equal(PsemResponseCode.InvalidServiceSequenceState, Code(new FullReadRequest(Tables.GeneralManufacturerId))); // a read needs a session
    }

    [Fact]
    public void Negotiate_sets_the_packet_size_and_accepts_a_baud_rate()
    {
        Ask([0x20]);
        var (_, answer) = Ask([0x61, 0x04, 0x00, 0x01, 0x06]);

        Assert.Equal(new byte[] { 0x00, 0x04, 0x00, 0x01, 0x06 }, answer);
        Assert.Equal(1024, _port.PacketSize);
    }

    [Fact]
    public void In_a_session_tables_are_read_and_a_long_answer_comes_in_several_packets()
    {
        Session();
        var (_, answer) = Ask(new FullReadRequest(Tables.GeneralManufacturerId).Encode());
        var st1 = GeneralManufacturerIdTable.Decode(PsemResponse.Decode(answer, isReadResponse: true).Data.Span);

        Assert.Equal(("AM-100", new FirmwareVersion(1, 0)), (st1.Model, st1.Firmware));
        Assert.Equal((byte)PsemResponseCode.InvalidServiceSequenceState, Ask([0x60, 0x00, 0x10, 0x01]).Answer[0]); // negotiate belongs to the ID state
        Ask(new LogoffRequest().Encode());
        Ask([0x60, 0x00, 0x20, 0x01]); // negotiate 32-byte packets: 24 data bytes each
        Ask(new LogonRequest(2, "TEST").Encode());
        var sent = _port.Receive(Packet(new FullReadRequest(Tables.GeneralManufacturerId).Encode()), _wall);
        var packets = new C1218Framer().Feed(sent.AsSpan(1)).OfType<C1218Received.Packet>().Select(p => p.Value).ToList();
        Assert.Equal(2, packets.Count); // ST1's 32 bytes with the read's 4 of framing
        Assert.Equal(answer, packets.SelectMany(p => p.Data.ToArray()));
    }

    [Fact]
    public void A_write_without_the_password_is_isc_and_changes_nothing()
    {
        Session();
        var before = _board.TableBytes(Tables.LoadProfileControl)!;
        var write = new FullWriteRequest(Tables.LoadProfileControl, new byte[before.Length]);

        Assert.Equal(PsemResponseCode.InsufficientSecurityClearance, Code(write));
        Assert.Equal(before, _board.TableBytes(Tables.LoadProfileControl));
        Assert.Equal(PsemResponseCode.Ok, Code(new SecurityRequest(Password)));
    }

    [Fact]
    public void Three_wrong_passwords_lock_security_for_the_lockout_even_for_the_right_one()
    {
        Session();
        var wrong = new SecurityRequest(new byte[20]);
        for (var i = 0; i < 3; i++) Assert.Equal(PsemResponseCode.InsufficientSecurityClearance, Code(wrong));

        Assert.True(_port.LockedOut(_wall));
        Assert.Equal(PsemResponseCode.InsufficientSecurityClearance, Code(new SecurityRequest(Password)));
        Assert.Contains(_port.Notes, n => n.Contains("3 wrong passwords in a row", StringComparison.Ordinal));
        _wall += TimeSpan.FromMinutes(2);
        Assert.Equal(PsemResponseCode.Ok, Code(new SecurityRequest(Password)));
    }

    [Fact]
    public void The_toggle_alternates_with_every_packet_of_a_multi_packet_answer()
    {
        Session(); // at C12.18's default packet size of 64: ST1 (32 bytes) fits one packet, ST0 does not
        var answers = new[] { new FullReadRequest(Tables.GeneralConfig), new FullReadRequest(Tables.GeneralManufacturerId), new FullReadRequest(Tables.GeneralManufacturerId) }
            .SelectMany(read => new C1218Framer().Feed(_port.Receive(Packet(read.Encode()), _wall).AsSpan(1)).OfType<C1218Received.Packet>())
            .Select(p => p.Value).ToList();

        Assert.True(answers.Count >= 4, $"{answers.Count} packets");
        for (var i = 1; i < answers.Count; i++) Assert.NotEqual(answers[i - 1].Toggled, answers[i].Toggled);
    }

    [Fact]
    public void A_damaged_packet_is_NAKed_and_nothing_happens()
    {
        var packet = Packet([0x20]);
        packet[^1] ^= 0xFF;

        Assert.Equal(new[] { C1218Packet.Nak }, _port.Receive(packet, _wall));
        Assert.Equal(OpticalPortState.Base, _port.State);
        Assert.Contains(_port.Notes, n => n.Contains("CRC", StringComparison.Ordinal));
    }

    [Fact]
    public void A_duplicate_is_acknowledged_and_answered_again_but_not_done_twice()
    {
        Session();
        var wrong = Packet(new SecurityRequest(new byte[20]).Encode());
        var first = _port.Receive(wrong, _wall);
        var again = _port.Receive(wrong, _wall); // our ACK was lost: the same packet, same toggle
        Assert.Equal(first, again);
        Assert.Equal(PsemResponseCode.InsufficientSecurityClearance, Code(new SecurityRequest(new byte[20])));

        Assert.False(_port.LockedOut(_wall)); // two wrong passwords, not three: the duplicate counted once
        Assert.Equal(PsemResponseCode.InsufficientSecurityClearance, Code(new SecurityRequest(new byte[20])));
        Assert.True(_port.LockedOut(_wall));
    }

    [Fact]
    public void A_NAK_for_an_answer_sends_it_again_at_most_three_times()
    {
        var answer = _port.Receive(Packet([0x20]), _wall)[1..];
        for (var i = 0; i < OpticalPort.Retries; i++) Assert.Equal(answer, _port.Receive([C1218Packet.Nak], _wall));
        Assert.Empty(_port.Receive([C1218Packet.Nak], _wall));
    }

    [Fact]
    public void Junk_and_a_packet_cut_short_leave_the_port_answering()
    {
        Assert.Empty(_port.Receive([0x00, 0x41, 0x42, 0xFF], _wall));
        Assert.Empty(_port.Receive([0xEE, 0x00, 0x00], _wall));
        Assert.Equal(new[] { C1218Packet.Nak }, _port.TrafficTimeout());
        Assert.Equal((byte)PsemResponseCode.Ok, Ask([0x20]).Answer[0]);
        Assert.Equal((byte)PsemResponseCode.ServiceNotSupported, Ask([0x99]).Answer[0]);
        Assert.Equal((byte)PsemResponseCode.Error, Ask([0x30, 0x00]).Answer[0]);
    }
}
