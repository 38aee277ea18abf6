using System.Net;
using System.Net.Sockets;
using System.Text;
using Akka.Event;
using Akka.TestKit.Xunit2;
using AmiSim.Host.Cim;
using Xunit;

namespace AmiSim.Host.Tests;

/// <summary>An MDM endpoint that answers with a huge body or a garbled status line cannot hurt a run (issue case 3 and 12).</summary>
public sealed class HostileEndpointTests : TestKit
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

    [Fact]
    public async Task A_200_MB_reply_body_is_never_read_and_the_message_counts_as_delivered()
    {
        const long body = 200L << 20;
        var (uri, sent) = Serve($"HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nContent-Length: {body}\r\n\r\n", body);
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var sink = new HttpCimSink(uri, client, Akka.Event.Logging.GetLogger(Sys, "test"), attempts: 1);

        Assert.True(await sink.PostAsync("M1", "<x/>"));
        client.Dispose();
        var written = await sent.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(written < 64L << 20, $"the server got {written:N0} body bytes out: the sink read the reply's body");
    }

    [Fact]
    public async Task A_garbled_status_line_is_logged_printable_and_cut()
    {
        var reason = "Bad\u0001\u00ff" + new string('x', 5_000);
        var (uri, _) = Serve($"HTTP/1.1 500 {reason}\r\nContent-Length: 0\r\n\r\n", 0);
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var sink = new HttpCimSink(uri, client, Akka.Event.Logging.GetLogger(Sys, "mdm-http"), attempts: 1);
        EventFilter.Warning(contains: "not delivered").Expect(1, () => Assert.False(sink.PostAsync("M2", "<x/>").GetAwaiter().GetResult()));
    }

    [Fact]
    public void An_unreachable_endpoint_is_told_once_and_then_counted()
    {
        var port = AmiSim.HeadEnd.Tests.LoopbackPort.Free(); // nothing listens there: every connection is refused
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var sink = new HttpCimSink(new Uri($"http://127.0.0.1:{port}/cim"), client, Akka.Event.Logging.GetLogger(Sys, "mdm-http"), attempts: 1);

        EventFilter.Warning(contains: "not delivered").Expect(1, () =>
        {
            for (var i = 0; i < 3; i++) Assert.False(sink.PostAsync($"M{i}", "<x/>").GetAwaiter().GetResult());
        });
        Assert.Equal(3, sink.Undelivered);
        EventFilter.Warning(contains: "3 of 3 CIM messages were not delivered").Expect(1, sink.LogSummary);
    }
}
