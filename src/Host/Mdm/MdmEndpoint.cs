using System.Net;
using Akka.Actor;
using AmiSim.HeadEnd.Mdm;
using AmiSim.Host.Cim;
using AmiSim.Protocol;
using AmiSim.Protocol.Cim;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Serilog;

namespace AmiSim.Host.Mdm;

/// <summary>
/// <c>amisim mdm</c>'s web service: IEC 61968-100 messages over HTTP (<see cref="CimHttp"/>) to the
/// <see cref="MdmService"/> actor, whose answer is the reply; its WSDL (<see cref="CimWsdl.Mdm"/>) on GET.
/// </summary>
public sealed class MdmEndpoint : IAsyncDisposable
{
    /// <summary>How long a message may wait for the journal before the sender is told to send it again (503).</summary>
    public static readonly TimeSpan AnswerWithin = TimeSpan.FromSeconds(10);

    /// <summary>Refusals logged one by one; later ones are counted in the summary.</summary>
    private const int LoggedRefusals = 20;

    private readonly WebApplication _app;
    private int _refusals;

    private MdmEndpoint(WebApplication app, Uri address) => (_app, Address) = (app, address);

    /// <summary>Where messages are posted (http://ADDRESS:PORT/cim).</summary>
    public Uri Address { get; }

    /// <summary>Starts serving on <paramref name="endpoint"/>. <exception cref="IOException">the address cannot be bound.</exception></summary>
    public static async Task<MdmEndpoint> StartAsync(IPEndPoint endpoint, IActorRef service)
    {
        MdmEndpoint? self = null;
        var (app, address) = await CimHttp.StartAsync(endpoint, app =>
        {
            app.MapPost(CimHttp.Path, (Func<HttpContext, Task<IResult>>)(http => self!.TakeAsync(http, service)));
            CimHttp.MapDescription(app, CimWsdl.Mdm, () => self!.Address);
        });
        self = new MdmEndpoint(app, address);
        return self;
    }

    private async Task<IResult> TakeAsync(HttpContext http, IActorRef service)
    {
        Interlocked.Increment(ref _requests);
        var incoming = await CimHttp.ReadAsync(http.Request, http.RequestAborted);
        if (incoming.Error is { } unread)
        {
            var refused = MdmState.Refused(DateTime.UtcNow, unread).Reply;
            Refusal(http, refused);
            return CimHttp.Answer(refused, incoming.Enveloped, incoming.Status);
        }
        MdmService.Answer answer;
        try
        {
            answer = await service.Ask<MdmService.Answer>(new MdmService.Deliver(incoming.Message, null), AnswerWithin, http.RequestAborted);
        }
        catch (AskTimeoutException)
        {
            var header = incoming.Message!.Header;
            return CimHttp.Answer(CimHttp.Failed(MdmState.Source, header.Noun, header.MessageId, "5.0", "not recorded in time: nothing of it was taken; send it again", null),
                incoming.Enveloped, StatusCodes.Status503ServiceUnavailable);
        }
        if (answer.Reply.Reply.Result == ReplyResult.FAILED) Refusal(http, answer.Reply);
        return CimHttp.Answer(answer.Reply, incoming.Enveloped);
    }

    private void Refusal(HttpContext http, ResponseMessage reply)
    {
        if (Interlocked.Increment(ref _refusals) > LoggedRefusals) return;
        var error = reply.Reply.Errors.FirstOrDefault();
        Log.Warning("MDM: refused message {Message} from {Client}: {Reason}{Details}{More}", OutsideText.Clean(reply.Header.CorrelationId ?? "?", 80), http.Connection.RemoteIpAddress?.ToString() ?? "?",
            error?.Reason ?? "?", error?.Details is { } details ? ": " + OutsideText.Clean(details, 300) : "", _refusals == LoggedRefusals ? " (later refusals are counted, not told)" : "");
    }

    /// <summary>Messages answered FAILED so far.</summary>
    public int Refusals => Volatile.Read(ref _refusals);

    /// <summary>Requests posted so far, whatever their answer.</summary>
    public int Requests => Volatile.Read(ref _requests);

    private int _requests;

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
