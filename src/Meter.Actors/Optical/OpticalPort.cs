using System.Buffers.Binary;
using AmiSim.Meter.Board;
using AmiSim.Protocol.C1218;
using AmiSim.Protocol.Psem;

namespace AmiSim.Meter.Optical;

/// <summary>How a meter's optical port treats wrong passwords.</summary>
/// <param name="LockoutAfter">wrong passwords in a row that lock the port (0: never).</param>
/// <param name="LockoutFor">how long a locked port answers every security request isc, right password or not.</param>
public sealed record OpticalPortSettings(int LockoutAfter = 3, TimeSpan LockoutFor = default)
{
    public static readonly OpticalPortSettings Default = new(3, TimeSpan.FromMinutes(5));
}

/// <summary>The C12.18 states of the port: base until identified, then ID, then session once logged on.</summary>
public enum OpticalPortState : byte
{
    Base,
    Identified,
    Session,
}

/// <summary>
/// A meter's ANSI C12.18 optical port in front of its metrology board, pure: bytes from the client go
/// in, the bytes to send back come out. Each packet taken is acknowledged (ACK) and answered; a packet
/// with a wrong CRC, too long, or cut short is answered NAK and nothing happens; a duplicate (the toggle
/// of the last packet taken, sent again because our ACK was lost) is acknowledged and answered again
/// without being done twice. A NAK for our answer sends it again, at most three times.
/// Services follow C12.18's states: identification first (anything else in the base state is isss),
/// negotiate (packet size and count; baud rates are accepted and ignored) and wait in the ID state,
/// logon into a session, table reads and writes and security only in a session, logoff back to ID,
/// terminate back to base. Reads and writes are the board's (<see cref="MetrologyBoard.Handle"/>):
/// writes need the meter's password (security), else isc. <see cref="OpticalPortSettings.LockoutAfter"/>
/// wrong passwords in a row lock security for <see cref="OpticalPortSettings.LockoutFor"/>.
/// </summary>
public sealed class OpticalPort(MetrologyBoard board, IBoardClock clock, OpticalPortSettings settings)
{
    /// <summary>Times the port sends an answer again after a NAK before it gives up on it.</summary>
    public const int Retries = 3;

    private const byte NegotiateFirst = 0x60;
    private const byte NegotiateLast = 0x6B;

    private readonly C1218Framer _framer = new();
    private readonly List<byte> _message = [];
    private bool? _lastToggle;
    private bool _ourToggle;
    private byte[] _lastAnswer = [];
    private int _resent;
    private int _wrongPasswords;
    private TimeSpan _lockedUntil;

    public OpticalPortState State { get; private set; }

    /// <summary>The packet size agreed (C12.18's default until negotiated).</summary>
    public int PacketSize => _framer.PacketSize;

    public bool LockedOut(TimeSpan wall) => wall < _lockedUntil;

    /// <summary>Part of a packet has arrived and the rest has not.</summary>
    public bool InPacket => _framer.InPacket;

    /// <summary>What happened at the port, for its log: packets refused and why, lockouts.</summary>
    public List<string> Notes { get; } = [];

    /// <summary>The client's <paramref name="bytes"/>, arrived at wall time <paramref name="wall"/>; returns what to send back.</summary>
    public byte[] Receive(ReadOnlySpan<byte> bytes, TimeSpan wall)
    {
        var output = new List<byte>();
        foreach (var item in _framer.Feed(bytes))
        {
            switch (item)
            {
                case C1218Received.Acknowledged:
                    _resent = 0;
                    break;
                case C1218Received.NotAcknowledged when _lastAnswer.Length > 0 && _resent < Retries:
                    _resent++;
                    output.AddRange(_lastAnswer);
                    break;
                case C1218Received.NotAcknowledged:
                    break;
                case C1218Received.Refused refused:
                    Notes.Add($"refused a packet: {refused.Why}");
                    output.Add(C1218Packet.Nak);
                    break;
                case C1218Received.Packet { Value: var packet }:
                    output.Add(C1218Packet.Ack);
                    if (packet.Toggled == _lastToggle && (packet.Control & C1218Control.PartOfMany) == 0)
                    {
                        output.AddRange(_lastAnswer); // a duplicate: answered again, not done again
                        break;
                    }
                    _lastToggle = packet.Toggled;
                    if ((packet.Control & C1218Control.FirstOfMany) != 0) _message.Clear();
                    _message.AddRange(packet.Data.Span.ToArray());
                    if ((packet.Control & C1218Control.PartOfMany) != 0 && packet.Sequence > 0) break; // more to come
                    var answer = Answer(_message.ToArray(), wall);
                    _message.Clear();
                    var packets = C1218Packet.Split(answer, PacketSize, _ourToggle, packet.Identity);
                    _lastAnswer = [.. packets.SelectMany(p => p.Encode())];
                    if (packets.Count % 2 == 1) _ourToggle = !_ourToggle; // the toggle alternates with every packet sent
                    _resent = 0;
                    output.AddRange(_lastAnswer);
                    break;
            }
        }
        return [.. output];
    }

    /// <summary>The channel-traffic time-out passed with a packet cut short: it is dropped and answered NAK.</summary>
    public byte[] TrafficTimeout()
    {
        if (!_framer.Discard()) return [];
        Notes.Add("refused a packet: cut short (the channel-traffic time-out passed)");
        return [C1218Packet.Nak];
    }

    /// <summary>The channel-traffic time-out passed with nothing in flight: the port returns to its base state (and the board's session ends).</summary>
    public byte[] Idle()
    {
        if (State != OpticalPortState.Base)
        {
            Notes.Add("no traffic for the channel-traffic time-out: back to the base state");
            State = OpticalPortState.Base;
            board.Handle(new TerminateRequest(), clock);
        }
        return [];
    }

    /// <summary>A new probe: the link starts afresh in the base state; a lockout stays.</summary>
    public void Reset()
    {
        _framer.Discard();
        _framer.PacketSize = C1218Packet.DefaultPacketSize;
        _message.Clear();
        (_lastToggle, _lastAnswer, _resent) = (null, [], 0);
        State = OpticalPortState.Base;
        board.Handle(new TerminateRequest(), clock);
    }

    private byte[] Answer(byte[] request, TimeSpan wall)
    {
        if (request.Length == 0) return Code(PsemResponseCode.Error);
        var service = request[0];
        if (service == (byte)PsemService.Ident)
        {
            State = OpticalPortState.Identified;
            board.Handle(new LogoffRequest(), clock);
            return [(byte)PsemResponseCode.Ok, 0x00, 0x01, 0x00, 0x00]; // C12.18, version 1.0, no features
        }
        if (service == (byte)PsemService.Terminate)
        {
            State = OpticalPortState.Base;
            board.Handle(new TerminateRequest(), clock);
            return Code(PsemResponseCode.Ok);
        }
        if (State == OpticalPortState.Base) return Code(PsemResponseCode.InvalidServiceSequenceState);
        if (service is >= NegotiateFirst and <= NegotiateLast)
            return State == OpticalPortState.Identified ? Negotiate(request) : Code(PsemResponseCode.InvalidServiceSequenceState);
        PsemRequest decoded;
        try
        {
            decoded = PsemRequest.Decode(request);
        }
        catch (PsemFormatException error)
        {
            Notes.Add($"refused a request: {error.Message}");
            return Code(service is (byte)PsemService.FullRead or (byte)PsemService.PartialReadOffset or (byte)PsemService.FullWrite or (byte)PsemService.PartialWriteOffset
                or (byte)PsemService.Logon or (byte)PsemService.Security or (byte)PsemService.Wait or (byte)PsemService.Logoff
                ? PsemResponseCode.Error : PsemResponseCode.ServiceNotSupported);
        }
        switch (decoded)
        {
            case WaitRequest:
                return Code(PsemResponseCode.Ok);
            case LogonRequest logon when State == OpticalPortState.Identified:
                State = OpticalPortState.Session;
                return board.Handle(logon, clock).Encode(isReadResponse: false);
            case LogonRequest:
                return Code(PsemResponseCode.InvalidServiceSequenceState);
            case LogoffRequest when State == OpticalPortState.Session:
                State = OpticalPortState.Identified;
                return board.Handle(decoded, clock).Encode(isReadResponse: false);
            case var _ when State != OpticalPortState.Session:
                return Code(PsemResponseCode.InvalidServiceSequenceState);
            case SecurityRequest security:
                return Authenticate(security, wall);
            case FullReadRequest or PartialReadRequest:
                return board.Handle(decoded, clock).Encode(isReadResponse: true);
            default:
                return board.Handle(decoded, clock).Encode(isReadResponse: false);
        }
    }

    private byte[] Authenticate(SecurityRequest security, TimeSpan wall)
    {
        if (LockedOut(wall)) return Code(PsemResponseCode.InsufficientSecurityClearance);
        var answer = board.Handle(security, clock);
        if (answer.IsOk) _wrongPasswords = 0;
        else if (answer.Code == PsemResponseCode.InsufficientSecurityClearance && settings.LockoutAfter > 0 && ++_wrongPasswords >= settings.LockoutAfter)
        {
            _wrongPasswords = 0;
            _lockedUntil = wall + settings.LockoutFor;
            Notes.Add($"{settings.LockoutAfter} wrong passwords in a row: security locked for {settings.LockoutFor}");
        }
        return answer.Encode(isReadResponse: false);
    }

    /// <summary>Negotiate: the packet size asked (from 8 up to C12.18's largest) and count, at the baud rate asked first (a TCP carrier has none).</summary>
    private byte[] Negotiate(byte[] request)
    {
        var bauds = request[0] - NegotiateFirst;
        if (request.Length != 1 + 2 + 1 + bauds) return Code(PsemResponseCode.Error);
        var size = Math.Clamp((int)BinaryPrimitives.ReadUInt16BigEndian(request.AsSpan(1)), 8 + 8, C1218Packet.LargestPacket);
        var count = Math.Max((byte)1, request[3]);
        _framer.PacketSize = size;
        var answer = new List<byte> { (byte)PsemResponseCode.Ok, (byte)(size >> 8), (byte)size, count };
        if (bauds > 0) answer.Add(request[4]);
        return [.. answer];
    }

    private static byte[] Code(PsemResponseCode code) => [(byte)code];
}
