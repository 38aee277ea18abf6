using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using AmiSim.Host.Run;
using AmiSim.Protocol.C1218;
using AmiSim.Protocol.Psem;

namespace AmiSim.Host.Optical;

/// <summary>The meter did not answer as C12.18 says (no acknowledgement, no answer in time, the link refused); the message says what.</summary>
public sealed class C1218LinkException(string message) : IOException(message);

/// <summary>
/// A C12.18 client over a TCP carrier (what a vendor tool's optical probe does): each request is sent
/// in packets that are acknowledged, sent again on NAK or after the response time-out (at most
/// <see cref="Retries"/> times), and answered in packets the client acknowledges (NAK for a damaged one;
/// a duplicate is acknowledged and dropped).
/// </summary>
public sealed class C1218Client : IAsyncDisposable
{
    public const int Retries = 3;
    public static readonly TimeSpan ResponseTimeout = TimeSpan.FromSeconds(2);

    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private readonly C1218Framer _framer = new(C1218Packet.LargestPacket);
    private readonly Queue<C1218Received> _received = new();
    private readonly byte[] _buffer = new byte[8192];
    private bool _toggle;
    private bool? _theirToggle;

    private C1218Client(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
    }

    /// <summary>The packet size in use (C12.18's default until <see cref="NegotiateAsync"/>).</summary>
    public int PacketSize { get; private set; } = C1218Packet.DefaultPacketSize;

    /// <exception cref="InputException">nothing listens there.</exception>
    public static async Task<C1218Client> ConnectAsync(string host, int port, CancellationToken cancellation)
    {
        var tcp = new TcpClient { NoDelay = true };
        try
        {
            await tcp.ConnectAsync(host, port, cancellation);
        }
        catch (SocketException error)
        {
            tcp.Dispose();
            throw new InputException($"--meter {host}:{port}: cannot connect ({error.Message})");
        }
        return new C1218Client(tcp);
    }

    /// <summary>Sends one PSEM request and returns the meter's answer (its code and, for a read, the table data).</summary>
    public async Task<PsemResponse> ServiceAsync(PsemRequest request, CancellationToken cancellation) =>
        PsemResponse.Decode(await RequestAsync(request.Encode(), cancellation), isReadResponse: request is FullReadRequest or PartialReadRequest);

    /// <summary>Identification; returns C12.18's answer (ok, standard, version, revision, features).</summary>
    public Task<byte[]> IdentifyAsync(CancellationToken cancellation) => RequestAsync([(byte)PsemService.Ident], cancellation);

    /// <summary>Asks for a packet size and count; what the meter grants is used from then on.</summary>
    public async Task NegotiateAsync(int packetSize, byte packets, CancellationToken cancellation)
    {
        var answer = await RequestAsync([0x60, (byte)(packetSize >> 8), (byte)packetSize, packets], cancellation);
        if (answer.Length < 4 || answer[0] != 0) throw new C1218LinkException($"negotiate refused: {Describe(answer)}");
        PacketSize = BinaryPrimitives.ReadUInt16BigEndian(answer.AsSpan(1));
    }

    /// <summary>Logon then security with <paramref name="password"/> (20 bytes); returns the security answer's code.</summary>
    public async Task<PsemResponseCode> LogonAsync(string user, byte[] password, CancellationToken cancellation)
    {
        var logon = await ServiceAsync(new LogonRequest(2, user.Length > 10 ? user[..10] : user), cancellation);
        if (!logon.IsOk) return logon.Code;
        return (await ServiceAsync(new SecurityRequest(password), cancellation)).Code;
    }

    /// <summary>One request (its bytes), sent and answered. <exception cref="C1218LinkException">the link failed as the message says.</exception></summary>
    public async Task<byte[]> RequestAsync(byte[] request, CancellationToken cancellation)
    {
        foreach (var packet in C1218Packet.Split(request, PacketSize, _toggle))
        {
            _toggle = !_toggle;
            await SendAcknowledgedAsync(packet.Encode(), cancellation);
        }
        var message = new List<byte>();
        for (var attempt = 0; ;)
        {
            var item = await NextAsync(cancellation);
            switch (item)
            {
                case null when ++attempt > Retries:
                    throw new C1218LinkException($"the meter did not answer within {ResponseTimeout.TotalSeconds:0} s, {Retries} times");
                case null or C1218Received.Acknowledged or C1218Received.NotAcknowledged:
                    continue;
                case C1218Received.Refused:
                    await _stream.WriteAsync(new[] { C1218Packet.Nak }, cancellation);
                    continue;
                case C1218Received.Packet { Value: var packet }:
                    await _stream.WriteAsync(new[] { C1218Packet.Ack }, cancellation);
                    if (packet.Toggled == _theirToggle && (packet.Control & C1218Control.PartOfMany) == 0) continue; // a duplicate
                    _theirToggle = packet.Toggled;
                    if ((packet.Control & C1218Control.FirstOfMany) != 0) message.Clear();
                    message.AddRange(packet.Data.Span.ToArray());
                    if ((packet.Control & C1218Control.PartOfMany) == 0 || packet.Sequence == 0) return [.. message];
                    continue;
            }
        }
    }

    private async Task SendAcknowledgedAsync(byte[] packet, CancellationToken cancellation)
    {
        for (var attempt = 0; attempt <= Retries; attempt++)
        {
            await _stream.WriteAsync(packet, cancellation);
            var item = await NextAsync(cancellation);
            if (item is C1218Received.Acknowledged) return;
            if (item is C1218Received.Packet) throw new C1218LinkException("the meter answered a packet it did not acknowledge");
        }
        throw new C1218LinkException($"the meter did not acknowledge a packet sent {Retries + 1} times");
    }

    /// <summary>The next thing the meter sent, or null after the response time-out.</summary>
    private async Task<C1218Received?> NextAsync(CancellationToken cancellation)
    {
        while (_received.Count == 0)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            timeout.CancelAfter(ResponseTimeout);
            int read;
            try
            {
                read = await _stream.ReadAsync(_buffer, timeout.Token);
            }
            catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
            {
                _framer.Discard();
                return null;
            }
            if (read == 0) throw new C1218LinkException("the meter closed the connection");
            foreach (var item in _framer.Feed(_buffer.AsSpan(0, read))) _received.Enqueue(item);
        }
        return _received.Dequeue();
    }

    /// <summary>An answer's first byte as PSEM's name for it.</summary>
    public static string Describe(byte[] answer) =>
        answer.Length == 0 ? "an empty answer" : Enum.IsDefined((PsemResponseCode)answer[0]) ? ((PsemResponseCode)answer[0]).ToString() : $"code 0x{answer[0]:X2}";

    /// <summary>A password as the meter takes it: its text's bytes, 20 of them (padded with spaces, longer refused).</summary>
    /// <exception cref="ArgumentException">more than 20 bytes.</exception>
    public static byte[] Password(string text)
    {
        var bytes = Encoding.Latin1.GetBytes(text.TrimEnd('\r', '\n'));
        if (bytes.Length > 20) throw new ArgumentException($"a C12.18 password has at most 20 bytes, this one {bytes.Length}");
        return [.. bytes, .. Enumerable.Repeat((byte)' ', 20 - bytes.Length)];
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _tcp.Dispose();
    }
}
