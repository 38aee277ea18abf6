using System.Net;
using System.Text;
using AmiSim.Protocol;
using AmiSim.Protocol.Cim;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AmiSim.Host.Cim;

/// <summary>
/// What AmiSim's two CIM web-service endpoints (the head-end's, <c>amisim run --cim-endpoint</c>, and
/// the MDM's, <c>amisim mdm</c>) share: Kestrel on one address, POST of a CIM message in a SOAP 1.1
/// envelope (or bare) to <see cref="Path"/>, the WSDL and schemas on GET, and the HTTP answers.
/// </summary>
/// <remarks>
/// The HTTP status says whether the message was read; the ResponseMessage says what became of it:
/// 200 with OK, PARTIAL or FAILED for a message that was read; 400 with FAILED for one that was not
/// (not XML, not an envelope, not valid); 413 for a body over <see cref="MostBodyBytes"/>; 415 for a
/// media type other than XML; 503 when the answer could not be given in time (nothing was taken: send
/// it again). Every answer is in the form it was asked in: an envelope for an envelope, bare for bare.
/// </remarks>
public static class CimHttp
{
    public const string Path = "/cim";

    /// <summary>The largest body taken: about 30,000 events in one message.</summary>
    public const long MostBodyBytes = 16L << 20;

    /// <summary>Starts Kestrel on <paramref name="endpoint"/> with <paramref name="map"/>'s routes. <exception cref="IOException">the address cannot be bound.</exception></summary>
    public static async Task<(WebApplication App, Uri Address)> StartAsync(IPEndPoint endpoint, Action<WebApplication> map)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(endpoint);
            kestrel.Limits.MaxRequestBodySize = MostBodyBytes;
            kestrel.Limits.MaxConcurrentConnections = 256;
            kestrel.Limits.MaxRequestHeadersTotalSize = 32 * 1024;
            kestrel.AddServerHeader = false;
        });
        var app = builder.Build();
        map(app);
        await app.StartAsync();
        var bound = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        var host = endpoint.Address.Equals(IPAddress.Any) ? "127.0.0.1" : endpoint.Address.Equals(IPAddress.IPv6Any) ? "[::1]" : bound.Host;
        return (app, new Uri($"http://{host}:{bound.Port}{Path}"));
    }

    /// <summary>A request's message: read, or why not (the answer to give is then <see cref="Refusal"/>'s).</summary>
    public sealed record Incoming(CimMessage? Message, bool Enveloped, CimFormatException? Error, int Status);

    /// <summary>Reads the request's body as a CIM message; never throws for what the client sent.</summary>
    public static async Task<Incoming> ReadAsync(HttpRequest request, CancellationToken cancellation)
    {
        var type = request.ContentType ?? "";
        if (type.Length > 0 && !(type.Contains("xml", StringComparison.OrdinalIgnoreCase)))
            return new Incoming(null, true, new CimFormatException($"the body is {OutsideText.Clean(type, 80)}: a CIM message is XML (text/xml for SOAP 1.1)"), StatusCodes.Status415UnsupportedMediaType);
        string text;
        try
        {
            using var reader = new StreamReader(request.Body, Encoding.UTF8);
            text = await reader.ReadToEndAsync(cancellation);
        }
        catch (BadHttpRequestException error) when (error.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return new Incoming(null, true, new CimFormatException($"the body is larger than {MostBodyBytes >> 20} MiB: send fewer events per message"), StatusCodes.Status413PayloadTooLarge);
        }
        try
        {
            var (message, enveloped) = CimSoap.Read(text);
            return new Incoming(message, enveloped, null, StatusCodes.Status200OK);
        }
        catch (CimFormatException error)
        {
            // Answered bare only when it was plainly a bare message.
            var enveloped = text.Contains(CimSoap.EnvelopeNs, StringComparison.Ordinal) || !text.Contains(CimXml.MessageNs, StringComparison.Ordinal);
            return new Incoming(null, enveloped, error, StatusCodes.Status400BadRequest);
        }
    }

    /// <summary>The HTTP answer carrying <paramref name="reply"/>, in the form the request came in.</summary>
    public static IResult Answer(ResponseMessage reply, bool enveloped, int status = StatusCodes.Status200OK) =>
        Results.Text(enveloped ? CimSoap.Write(reply) : CimXml.Write(reply), CimSoap.MediaType + "; charset=utf-8", Encoding.UTF8, status);

    /// <summary>A FAILED reply from <paramref name="source"/> to a message that could not be taken.</summary>
    public static ResponseMessage Failed(string source, string noun, string correlation, string code, string reason, string? details) =>
        new(new CimHeader("reply", noun, DateTime.UtcNow, source, $"{source}-{Guid.NewGuid():N}", correlation), new CimReply(ReplyResult.FAILED, [new CimError(code, "FATAL", reason, details)]));

    /// <summary>Serves the WSDL at <c>GET /cim?wsdl</c> and its schemas at <c>GET /cim?xsd=NAME</c>.</summary>
    public static void MapDescription(WebApplication app, CimWsdl wsdl, Func<Uri> address)
    {
        app.MapGet(Path, (HttpContext http) =>
        {
            if (http.Request.Query.ContainsKey("wsdl")) return Results.Text(wsdl.Render(address()), "text/xml; charset=utf-8", Encoding.UTF8);
            if (http.Request.Query["xsd"].FirstOrDefault() is { } name)
                return CimXml.SchemaText(name) is { } schema
                    ? Results.Text(schema, "text/xml; charset=utf-8", Encoding.UTF8)
                    : Results.Text($"no schema {OutsideText.Clean(name, 60)}: {string.Join(", ", CimXml.SchemaNames)}", "text/plain; charset=utf-8", Encoding.UTF8, StatusCodes.Status404NotFound);
            return Results.Text($"{wsdl.Service}: POST IEC 61968-100 messages in SOAP 1.1 envelopes here; WSDL at {Path}?wsdl\n", "text/plain; charset=utf-8", Encoding.UTF8);
        });
    }
}
