using System.Net;
using System.Net.Sockets;
using System.Text;
using AmiSim.Host.Cim;
using Xunit;

namespace AmiSim.Host.Tests;

/// <summary>An MDM endpoint that answers with a huge body or a garbled status line cannot hurt a run (issue case 3 and 12): the client reads at most its limit, writes what it saw printable, and gives up when the run stops waiting.</summary>
public sealed class HostileEndpointTests
{
    /// <summary>A raw HTTP server on loopback that answers one request with <paramref name="head"/> and then up to <paramref name="bodyBytes"/> bytes; returns how many body bytes it got out.</summary>
    private static (Uri Uri, Task<long> Sent) Serve(string head, long bodyBytes)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var uri = new Uri($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/mdm");
        var sent = Task.Run(async () =>
        {
            using var _ = new Disposer(listener.Stop);
            using var client = await listener.AcceptTcpClientAsync().WaitAsync(TimeSpan.FromSeconds(30));
            var stream = client.GetStream();
            var request = new byte[64 << 10];
            await stream.ReadAsync(request); // the request's head and (most of) its body; the answer does not wait for more
            await stream.WriteAsync(Encoding.Latin1.GetBytes(head));
            var chunk = new byte[64 << 10];
            long written = 0;
            try
            {
                while (written < bodyBytes)
                {
                    await stream.WriteAsync(chunk).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
                    written += chunk.Length;
                }
            }
            catch (Exception error) when (error is IOException or SocketException or TimeoutException)
            {
                // the client hung up (or stopped reading): what was written so far is the answer
            }
            return written;
        });
        return (uri, sent);
    }

    private sealed class Disposer(Action dispose) : IDisposable
    {
        public void Dispose() => dispose();
    }

    private static string Exchanges() => Path.Combine(Path.GetTempPath(), $"amisim-exchanges-{Guid.NewGuid():N}.jsonl");

    private const string Message = "<?xml version=\"1.0\" encoding=\"utf-8\"?><EventMessage xmlns=\"http://iec.ch/TC57/2011/schema/message\"><Header><Verb>created</Verb><Noun>EndDeviceEvents</Noun></Header></EventMessage>";

    [Fact]
    public async Task A_200_MB_reply_body_is_not_read_past_its_limit_and_the_message_is_not_taken_for_answered()
    {
        const long body = 200L << 20;
        var (uri, sent) = Serve($"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: {body}\r\n\r\n", body);
        var file = Exchanges();
        await using (var client = new CimServiceClient(uri, file))
        {
            client.Send("M1", Message);
            var report = await client.FinishAsync(TimeSpan.FromSeconds(3));
            Assert.Equal(1, report.Undelivered);
        }
        var written = await sent.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(written < 64L << 20, $"the server got {written:N0} body bytes out: the client read the reply's body");
        Assert.Contains("\"no answer\"", File.ReadAllText(file));
    }

    [Fact]
    public async Task A_garbled_status_line_is_written_printable_and_cut()
    {
        var reason = "Bad\u0001\u00ff" + new string('x', 5_000);
        var (uri, _) = Serve($"HTTP/1.1 500 {reason}\r\nContent-Length: 0\r\n\r\n", 0);
        var file = Exchanges();
        await using (var client = new CimServiceClient(uri, file))
        {
            client.Send("M2", Message);
            await client.FinishAsync(TimeSpan.FromSeconds(2));
        }
        var lines = File.ReadAllLines(file);
        Assert.All(lines, l => Assert.True(l.Length < 1_000 && !l.Contains('\u0001'), l));
        Assert.Contains(lines, l => l.Contains("\"http\":500"));
    }

    [Fact]
    public async Task An_unreachable_endpoint_is_tried_until_the_patience_runs_out_and_every_message_is_counted_undelivered()
    {
        var port = AmiSim.HeadEnd.Tests.LoopbackPort.Free(); // nothing listens there: every connection is refused
        var file = Exchanges();
        await using (var client = new CimServiceClient(new Uri($"http://127.0.0.1:{port}/cim"), file))
        {
            for (var i = 0; i < 6; i++) client.Send($"M{i}", Message);
            var report = await client.FinishAsync(TimeSpan.FromSeconds(2));
            Assert.Equal((6, 6, 0), (report.Messages, report.Undelivered, report.Ok));
            Assert.True(report.Attempts >= 4, $"{report.Attempts} attempts");
        }
        var lines = File.ReadAllLines(file);
        Assert.Contains(lines, l => l.Contains("\"no answer\"") && l.Contains("refused", StringComparison.OrdinalIgnoreCase));
        Assert.Equal(6, lines.Count(l => l.Contains("\"given up\"")));
    }
}
