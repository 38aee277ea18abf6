using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using AmiSim.Protocol;
using AmiSim.Protocol.Cim;
using Serilog;

namespace AmiSim.Host.Cim;

/// <summary>What became of the messages sent to a CIM web service (<see cref="CimServiceClient"/>): for the MDM, report.json's <c>mdmEndpoint</c>.</summary>
/// <param name="Undelivered">messages no answer came for before the run gave up waiting (each in the exchanges file).</param>
public sealed record MdmDeliveryReport(string Endpoint, int Messages, int Ok, int Partial, int Failed, int Undelivered, long Attempts, string ExchangesFile);

/// <summary>
/// The head-end as a client of a CIM web service: of a real MDM (<c>amisim run --mdm-endpoint URL</c>),
/// which gets every CIM message of the run as the campaign sends it, and of a request's ReplyAddress
/// (<see cref="HeadEndEndpoint"/>), which gets its asynchronous result. Each message goes as an IEC
/// 61968-100 web-service call (SOAP 1.1, the SOAPAction of its verb and noun) and the ResponseMessage
/// is read. A message is sent again, with backoff, until it is answered (OK, PARTIAL or FAILED), and
/// never once it is; every attempt is a line of the exchanges file (JSON lines). Runs on wall time
/// beside the simulation: the run's results are its own MDM's and do not wait for this one, which
/// gets the same messages.
/// </summary>
public sealed class CimServiceClient : IAsyncDisposable
{
    /// <summary>Calls in flight at once, by default: enough for an MDM that writes its journal in batches to take them together; a message waits its turn while the MDM is down.</summary>
    public const int DefaultSenders = 16;

    private static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan LongestBackoff = TimeSpan.FromSeconds(10);

    private readonly Uri _endpoint;
    private readonly HttpClient _http;
    private readonly Channel<(string Id, string Xml)> _queue = Channel.CreateUnbounded<(string, string)>(new UnboundedChannelOptions { SingleReader = false, SingleWriter = true });
    private readonly Task[] _senders;
    private readonly StreamWriter _exchanges;
    private readonly string _exchangesFile;
    private readonly CancellationTokenSource _giveUp = new();
    private readonly Lock _lock = new();
    private int _messages;
    private int _ok;
    private int _partial;
    private int _failed;
    private long _attempts;
    private int _unanswered;
    private bool _warned;
    private readonly bool _bareAcknowledges;
    private readonly string _receiver;

    /// <param name="exchangesFile">where every attempt is written (created).</param>
    /// <param name="bareAcknowledges">an HTTP 2xx with no ResponseMessage in its body counts as the answer (OK): for a ReplyAddress, whose receiver need not answer in CIM.</param>
    /// <param name="senders">calls in flight at once (<see cref="DefaultSenders"/>).</param>
    /// <param name="receiver">what the endpoint is, as warnings name it ("MDM endpoint", "ReplyAddress").</param>
    public CimServiceClient(Uri endpoint, string exchangesFile, HttpMessageHandler? handler = null, bool bareAcknowledges = false, int senders = DefaultSenders, string receiver = "MDM endpoint")
    {
        _receiver = receiver;
        _bareAcknowledges = bareAcknowledges;
        _endpoint = endpoint;
        _exchangesFile = exchangesFile;
        _http = new HttpClient(handler ?? new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5), ConnectTimeout = TimeSpan.FromSeconds(5) })
        {
            Timeout = TimeSpan.FromSeconds(30),
            MaxResponseContentBufferSize = 4 << 20,
        };
        _exchanges = new StreamWriter(new FileStream(exchangesFile, FileMode.Create, FileAccess.Write, FileShare.Read), new UTF8Encoding(false)) { AutoFlush = true }; // a line is on disk as soon as it is written: the file tells a run in progress too
        _senders = Enumerable.Range(0, senders).Select(_ => Task.Run(SendAllAsync)).ToArray();
    }

    /// <summary>Queues a message (in the campaign's order); it is sent as soon as a sender is free.</summary>
    public void Send(string messageId, string xml)
    {
        Interlocked.Increment(ref _messages);
        Interlocked.Increment(ref _unanswered);
        _queue.Writer.TryWrite((messageId, xml));
    }

    /// <summary>
    /// Waits until every message is answered, or <paramref name="patience"/> has passed (then the
    /// messages still unanswered are given up on and counted undelivered), and says what became of them.
    /// </summary>
    public async Task<MdmDeliveryReport> FinishAsync(TimeSpan patience)
    {
        _queue.Writer.TryComplete();
        var all = Task.WhenAll(_senders);
        if (await Task.WhenAny(all, Task.Delay(patience)) != all) await _giveUp.CancelAsync();
        await all;
        lock (_lock) _exchanges.Flush();
        var report = new MdmDeliveryReport(_endpoint.ToString(), _messages, _ok, _partial, _failed, Volatile.Read(ref _unanswered), Interlocked.Read(ref _attempts), Path.GetFileName(_exchangesFile));
        if (report.Undelivered > 0)
            Log.Warning("{Receiver} {Endpoint}: {Undelivered} of {Messages} CIM messages were not answered within {Patience} after the run (listed in {File})", _receiver, _endpoint, report.Undelivered, report.Messages, patience, report.ExchangesFile);
        return report;
    }

    private async Task SendAllAsync()
    {
        await foreach (var (id, xml) in _queue.Reader.ReadAllAsync())
        {
            if (_giveUp.IsCancellationRequested)
            {
                Write(id, 0, 0, null, "given up", "the run stopped waiting for the MDM before this was sent", null);
                continue;
            }
            await DeliverAsync(id, xml);
        }
    }

    /// <summary>Sends one message until it is answered, or the run gives up.</summary>
    private async Task DeliverAsync(string id, string xml)
    {
        var envelope = CimSoap.Wrap(xml);
        var action = Action(xml);
        var backoff = FirstBackoff;
        for (var attempt = 1; ; attempt++)
        {
            Interlocked.Increment(ref _attempts);
            var clock = Stopwatch.StartNew();
            string? why;
            int status = 0;
            try
            {
                using var content = new StringContent(envelope, Encoding.UTF8);
                content.Headers.ContentType = new MediaTypeHeaderValue(CimSoap.MediaType) { CharSet = "utf-8" };
                using var request = new HttpRequestMessage(HttpMethod.Post, _endpoint) { Content = content };
                request.Headers.TryAddWithoutValidation("SOAPAction", $"\"{action}\"");
                using var response = await _http.SendAsync(request, _giveUp.Token);
                status = (int)response.StatusCode;
                var body = await response.Content.ReadAsStringAsync(_giveUp.Token);
                // 503 is the MDM saying it took nothing and wants it again, whatever its body says.
                if (status != 503 && Reply(body, id) is { } reply)
                {
                    Answered(reply.Reply.Result);
                    Write(id, attempt, status, clock.Elapsed, reply.Reply.Result.ToString(), null, reply.Reply.Errors);
                    return;
                }
                if (_bareAcknowledges && response.IsSuccessStatusCode && body.Trim().Length == 0)
                {
                    Answered(ReplyResult.OK);
                    Write(id, attempt, status, clock.Elapsed, "OK", "HTTP 2xx with no body, taken as the acknowledgement", null);
                    return;
                }
                why = $"HTTP {status}, no ResponseMessage to {id} in the body";
            }
            catch (OperationCanceledException) when (_giveUp.IsCancellationRequested)
            {
                Write(id, attempt, status, clock.Elapsed, "given up", "the run stopped waiting for the MDM", null);
                return;
            }
            catch (TaskCanceledException)
            {
                why = "timed out";
            }
            catch (HttpRequestException error)
            {
                why = OutsideText.Clean(error.Message, 200);
            }
            Write(id, attempt, status, clock.Elapsed, "no answer", why, null);
            if (!_warned)
            {
                _warned = true;
                Log.Warning("{Receiver} {Endpoint}: no answer to {Message} ({Why}); sending again with backoff until it answers (every attempt in {File})", _receiver, _endpoint, id, why, Path.GetFileName(_exchangesFile));
            }
            try
            {
                await Task.Delay(backoff, _giveUp.Token); // wall-clock retry of an external endpoint, not simulated time
            }
            catch (OperationCanceledException)
            {
                Write(id, attempt, 0, null, "given up", "the run stopped waiting for the MDM", null);
                return;
            }
            backoff = backoff * 2 > LongestBackoff ? LongestBackoff : backoff * 2;
        }
    }

    private void Answered(ReplyResult result)
    {
        Interlocked.Decrement(ref _unanswered);
        _ = result switch
        {
            ReplyResult.OK => Interlocked.Increment(ref _ok),
            ReplyResult.PARTIAL => Interlocked.Increment(ref _partial),
            _ => Interlocked.Increment(ref _failed),
        };
    }

    /// <summary>The MDM's ResponseMessage to message <paramref name="id"/> in a body; null when the body holds none (an error page, another message's reply).</summary>
    private static ResponseMessage? Reply(string body, string id)
    {
        try
        {
            // The answer to this message: correlated to it, or to none (a receiver that does not echo the MessageID), or a FAILED to what it could not read.
            return CimSoap.Read(body).Message is ResponseMessage reply && (reply.Header.CorrelationId is null || reply.Header.CorrelationId == id || reply.Header.CorrelationId == "?" && reply.Reply.Result == ReplyResult.FAILED) ? reply : null;
        }
        catch (CimFormatException)
        {
            return null;
        }
    }

    /// <summary>The SOAPAction of a message the campaign wrote: its header's verb and noun.</summary>
    private static string Action(string xml)
    {
        static string Between(string text, string open, string close)
        {
            var start = text.IndexOf(open, StringComparison.Ordinal);
            if (start < 0) return "";
            start += open.Length;
            var end = text.IndexOf(close, start, StringComparison.Ordinal);
            return end < 0 ? "" : text[start..end];
        }
        return CimSoap.Action(Between(xml, "<Verb>", "</Verb>"), Between(xml, "<Noun>", "</Noun>"));
    }

    private void Write(string id, int attempt, int status, TimeSpan? took, string outcome, string? why, IReadOnlyList<CimError>? errors)
    {
        var line = new JsonObject
        {
            ["message"] = id,
            ["attempt"] = attempt,
            ["at"] = DateTime.UtcNow.ToString("O"),
            ["outcome"] = outcome,
        };
        if (status != 0) line["http"] = status;
        if (took is { } t) line["ms"] = Math.Round(t.TotalMilliseconds, 1);
        if (why is not null) line["why"] = why;
        if (errors is { Count: > 0 })
            line["errors"] = new JsonArray(errors.Take(20).Select(e => (JsonNode)new JsonObject { ["code"] = e.Code, ["level"] = e.Level, ["reason"] = OutsideText.Clean(e.Reason, 200), ["details"] = OutsideText.Clean(e.Details, 200) }).ToArray());
        var text = line.ToJsonString(new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        lock (_lock) _exchanges.WriteLine(text);
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _giveUp.CancelAsync();
        await Task.WhenAll(_senders);
        lock (_lock) _exchanges.Dispose();
        _http.Dispose();
        _giveUp.Dispose();
    }
}
