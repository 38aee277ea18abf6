using System.Net;
using System.Net.Sockets;
using Akka.Event;
using Akka.TestKit.Xunit2;
using AmiSim.Host.Cim;
using Xunit;

namespace AmiSim.Host.Tests;

/// <summary>The HTTP delivery of CIM messages, against a real HttpListener on loopback.</summary>
public sealed class HttpCimSinkTests : TestKit
{
    private static (HttpListener Listener, Uri Uri) Listen()
    {
        var port = AmiSim.HeadEnd.Tests.LoopbackPort.Free();
        var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/mdm/");
        listener.Start();
        return (listener, new Uri($"http://127.0.0.1:{port}/mdm/"));
    }

    [Fact]
    public async Task A_message_is_posted_as_xml_and_retried_until_the_endpoint_accepts_it()
    {
        var (listener, uri) = Listen();
        using var _ = listener;
        var bodies = new List<string>();
        var server = Task.Run(async () =>
        {
            for (var i = 0; i < 3; i++)
            {
                var context = await listener.GetContextAsync();
                using var reader = new StreamReader(context.Request.InputStream);
                bodies.Add($"{context.Request.ContentType}|{await reader.ReadToEndAsync()}");
                context.Response.StatusCode = i < 2 ? 503 : 200;
                context.Response.Close();
            }
        });
        using var client = new HttpClient();
        var sink = new HttpCimSink(uri, client, Akka.Event.Logging.GetLogger(Sys, "test"), attempts: 4, firstBackoff: TimeSpan.FromMilliseconds(10));

        var delivered = await sink.PostAsync("HE-1", "<EventMessage/>");

        await server;
        Assert.True(delivered);
        Assert.Equal(3, bodies.Count);
        Assert.All(bodies, b => Assert.Equal("application/xml; charset=utf-8|<EventMessage/>", b));
    }

    [Fact]
    public async Task A_message_the_endpoint_never_accepts_is_logged_after_the_last_attempt()
    {
        var (listener, uri) = Listen();
        using var _ = listener;
        var server = Task.Run(async () =>
        {
            for (var i = 0; i < 2; i++)
            {
                var context = await listener.GetContextAsync();
                context.Response.StatusCode = 500;
                context.Response.Close();
            }
        });
        using var client = new HttpClient();
        var sink = new HttpCimSink(uri, client, Akka.Event.Logging.GetLogger(Sys, "test"), attempts: 2, firstBackoff: TimeSpan.FromMilliseconds(10));

        await EventFilter.Warning(contains: "CIM message HE-7 was not delivered to")
            .ExpectOneAsync(async () => Assert.False(await sink.PostAsync("HE-7", "<EventMessage/>")));

        await server;
    }
}
