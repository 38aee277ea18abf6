using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using AmiSim.Kernel;
using AmiSim.Meter;
using AmiSim.Meter.Board;
using AmiSim.Meter.Optical;
using Serilog;

namespace AmiSim.Host.Optical;

/// <summary>
/// One simulated meter behind its optical port, served over TCP (<c>amisim meter serve</c>): the
/// port's C12.18 bytes travel on a TCP connection instead of the infrared link (one connection at a
/// time, as one optical probe; a second, after a second's grace for the first to hang up, is told nothing and closed). The meter's metrology board and
/// tables are those of a campaign's meters (<see cref="MetrologyBoard"/>), on wall time: its timers
/// (activation, reboot) run on the real clock. C12.18's time-outs: a packet cut short for
/// <see cref="InterCharacterTimeout"/> is answered NAK; after <see cref="ChannelTrafficTimeout"/>
/// without a byte the port returns to its base state, and a connection silent for
/// <see cref="IdleTimeout"/> is closed.
/// </summary>
public sealed class MeterEndpoint : IAsyncDisposable, IBoardClock
{
    public static readonly TimeSpan InterCharacterTimeout = TimeSpan.FromMilliseconds(500);
    public static readonly TimeSpan ChannelTrafficTimeout = TimeSpan.FromSeconds(6);
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromMinutes(2);

    private readonly TcpListener _listener;
    private readonly MetrologyBoard _board;
    private readonly OpticalPort _port;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly CancellationTokenSource _stop = new();
    private readonly object _lock = new();
    private Task _serving = Task.CompletedTask;
    private int _connected;

    private MeterEndpoint(TcpListener listener, MeterSetup setup, long seed, OpticalPortSettings settings)
    {
        _listener = listener;
        _board = new MetrologyBoard(setup, RandomStream.For(seed, MeterSetup.LpOf(setup.Meter), "board-faults"));
        _port = new OpticalPort(_board, this, settings);
        Setup = setup;
    }

    public MeterSetup Setup { get; }

    public IPEndPoint Endpoint => (IPEndPoint)_listener.LocalEndpoint;

    /// <summary>Starts serving <paramref name="setup"/>'s meter on <paramref name="endpoint"/>. <exception cref="SocketException">it cannot be listened on.</exception></summary>
    public static MeterEndpoint Start(IPEndPoint endpoint, MeterSetup setup, long seed, OpticalPortSettings settings)
    {
        var listener = new TcpListener(endpoint);
        listener.Start();
        var served = new MeterEndpoint(listener, setup, seed, settings);
        served._serving = served.AcceptAsync();
        return served;
    }

    /// <summary>What the board shows now (for the command's own lines and tests).</summary>
    public T Inspect<T>(Func<MetrologyBoard, T> look)
    {
        lock (_lock) return look(_board);
    }

    SimTime IBoardClock.Now => new(_clock.Elapsed.Ticks / 10);

    void IBoardClock.StartTimer(string key, TimeSpan delay, BoardTimer timer) =>
        _ = Task.Delay(delay, _stop.Token).ContinueWith(_ =>
        {
            lock (_lock)
                if (_board.OnTimer(timer, this) is { } finished)
                    Log.Information("Board: {Status} ({Failure}), running {Firmware}", finished.Status, finished.Failure, finished.Firmware);
        }, CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception error) when (error is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            // A probe that has just hung up may not have been let go yet: a moment's grace before a new one is turned away.
            for (var waited = 0; waited < 50 && Volatile.Read(ref _connected) != 0; waited++) await Task.Delay(20, CancellationToken.None);
            if (Interlocked.CompareExchange(ref _connected, 1, 0) != 0)
            {
                Log.Warning("Optical port: {Remote} refused, another probe is connected", client.Client.RemoteEndPoint?.ToString());
                client.Dispose();
                continue;
            }
            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        var remote = client.Client.RemoteEndPoint?.ToString() ?? "?";
        Log.Information("Optical port: {Remote} connected", remote);
        try
        {
            using (client)
            {
                var stream = client.GetStream();
                var buffer = new byte[4096];
                var lastByte = _clock.Elapsed;
                while (!_stop.IsCancellationRequested)
                {
                    var wait = _port.InPacket ? InterCharacterTimeout : ChannelTrafficTimeout;
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                    timeout.CancelAfter(wait);
                    int read;
                    try
                    {
                        read = await stream.ReadAsync(buffer, timeout.Token);
                    }
                    catch (OperationCanceledException) when (!_stop.IsCancellationRequested)
                    {
                        byte[] nak;
                        lock (_lock) nak = _port.InPacket ? _port.TrafficTimeout() : _port.Idle();
                        Notes();
                        if (nak.Length > 0) await stream.WriteAsync(nak, _stop.Token);
                        if (_clock.Elapsed - lastByte > IdleTimeout) break;
                        continue;
                    }
                    if (read == 0) break;
                    lastByte = _clock.Elapsed;
                    byte[] answer;
                    lock (_lock) answer = _port.Receive(buffer.AsSpan(0, read), _clock.Elapsed);
                    Notes();
                    if (answer.Length > 0) await stream.WriteAsync(answer, _stop.Token);
                }
            }
        }
        catch (Exception error) when (error is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The probe went away; the meter stays as it is.
        }
        finally
        {
            lock (_lock) _port.Reset();
            Interlocked.Exchange(ref _connected, 0);
            Log.Information("Optical port: {Remote} disconnected", remote);
        }

        void Notes()
        {
            List<string> notes;
            lock (_lock)
            {
                notes = [.. _port.Notes];
                _port.Notes.Clear();
            }
            foreach (var note in notes) Log.Warning("Optical port: {Remote}: {Note}", remote, note);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _serving;
        _stop.Dispose();
    }
}
