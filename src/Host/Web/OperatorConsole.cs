using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AmiSim.HeadEnd.Campaign;
using AmiSim.Host.Run;
using AmiSim.Kernel;
using AmiSim.Protocol;
using AmiSim.Protocol.Network;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using OxyPlot;
using OxyPlot.Axes;
using OxyPlot.Series;
using Microsoft.Extensions.Logging;

namespace AmiSim.Host.Web;

/// <summary>What the console says about the run that does not change while it runs.</summary>
/// <param name="WaitsForStart">the campaign waits for the operator's start (campaign.start = operator, no start scripted).</param>
public sealed record ConsoleFacts(string Scenario, long? Seed, string Package, int Meters, int Collectors, string Distribution, bool WaitsForStart = false);

/// <summary>
/// The Metering Department's console (<c>amisim run --console</c>): a web page served by this process
/// (Kestrel) that shows the campaign live (server-sent events) and takes the operator's actions and the
/// simulation's pace. It is the run's <see cref="IRunSupervisor"/>: actions are taken between the run's
/// steps at the virtual time the run stands at.
/// </summary>
/// <remarks>
/// The security rules: actions (and, on an address other than loopback, reading too) need the token
/// printed at start, as <c>Authorization: Bearer TOKEN</c> (the page reads it from the URL's fragment,
/// which no request carries); a request without it is refused with 401, with a wrong one 403; a request
/// from a page of another origin (its Origin header) 403; every refusal is logged. Bodies are JSON of at
/// most 4 KiB.
/// </remarks>
public sealed class OperatorConsole : IRunSupervisor, IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConsoleFacts _facts;
    private readonly bool _loopback;
    /// <summary>The run's steps, shared with the head-end's CIM endpoint when the run has both; its lock guards this console's state too.</summary>
    private readonly RunSteps _steps;
    private readonly Lock _lock;
    private readonly ConsoleState _state;
    private readonly List<JsonObject> _curve = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private string _snapshot = "{}";
    private RunProbe? _probe;
    /// <summary>Meter reads in progress at once, at most; more are refused (429) rather than queued.</summary>
    private readonly SemaphoreSlim _reads = new(4, 4);

    /// <summary>Shows a run folder's final state (amisim console --db): no run to act on.</summary>
    private readonly bool _readOnly;
    /// <summary>The run's report.html once it is written; the page links to it.</summary>
    private string? _report;

    private OperatorConsole(WebApplication app, ConsoleFacts facts, bool loopback, string token, RunSteps steps, bool readOnly)
    {
        (_app, _facts, _loopback, Token, _steps, _readOnly) = (app, facts, loopback, token, steps, readOnly);
        (_lock, _state) = (steps.Lock, steps.State);
        _snapshot = Snapshot(SimTime.Zero, null, [], ended: false);
    }

    /// <summary>The token actions need.</summary>
    public string Token { get; }

    /// <summary>The page's address, the token in its fragment.</summary>
    public Uri Url { get; private set; } = new("http://127.0.0.1/");

    /// <summary>The paces the page offers: virtual seconds per wall second; null is as fast as possible.</summary>
    public static readonly IReadOnlyList<double?> Paces = [1, 60, 3600, null];

    /// <summary>Reads a pace: 1, 60, 3600 (any number from 0.1 to 1e7) or max. <exception cref="FormatException">names what it expected.</exception></summary>
    public static double? ParsePace(string text) =>
        text.Trim().Equals("max", StringComparison.OrdinalIgnoreCase) ? null
        : double.TryParse(text.Trim().TrimEnd('x', 'X'), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var pace) && pace is >= 0.1 and <= 1e7 ? pace
        : throw new FormatException($"a pace is a number of virtual seconds per wall second from 0.1 to 10000000 (such as 1, 60 or 3600) or max, not '{text}'");

    /// <summary>Reads ADDRESS:PORT (port 0: any free one). <exception cref="FormatException">names what it expected.</exception></summary>
    public static IPEndPoint ParseEndpoint(string text)
    {
        const string Expected = "expected ADDRESS:PORT such as 127.0.0.1:8080 (port 0: any free one)";
        var colon = text.LastIndexOf(':');
        if (colon < 0 || colon < text.LastIndexOf(']')) throw new FormatException($"no port: {Expected}");
        var (address, port) = (text[..colon], text[(colon + 1)..]);
        if (!int.TryParse(port, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var number) || number > IPEndPoint.MaxPort)
            throw new FormatException($"the port '{OutsideText.Clean(port, 20)}' is not a number from 0 to 65535: {Expected}");
        if (address.Equals("localhost", StringComparison.OrdinalIgnoreCase)) address = "127.0.0.1";
        var bare = address.StartsWith('[') && address.EndsWith(']') ? address[1..^1] : address;
        if (bare.Length == 0 || !IPAddress.TryParse(bare, out var ip) || (ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 && bare == address))
            throw new FormatException($"'{OutsideText.Clean(address, 60)}' is not an IP address (127.0.0.1, 0.0.0.0, [::1]; localhost for loopback): {Expected}");
        return new IPEndPoint(ip, number);
    }

    /// <summary>Starts serving on <paramref name="endpoint"/>. <exception cref="IOException">the address cannot be bound.</exception></summary>
    /// <param name="readOnly">a run folder's final state (<see cref="ShowFinal"/>), not a run: actions and the clock are refused.</param>
    /// <param name="steps">the run's steps when another side steers it too (the head-end's CIM endpoint); <paramref name="pace"/> is then theirs.</param>
    public static async Task<OperatorConsole> StartAsync(IPEndPoint endpoint, ConsoleFacts facts, double? pace, string? token = null, bool readOnly = false, RunSteps? steps = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(endpoint);
            kestrel.Limits.MaxRequestBodySize = 4096;
            kestrel.Limits.MaxConcurrentConnections = 64;
            kestrel.Limits.MaxRequestHeadersTotalSize = 16 * 1024;
            kestrel.AddServerHeader = false;
        });
        var app = builder.Build();
        var console = new OperatorConsole(app, facts, IPAddress.IsLoopback(endpoint.Address), token ?? Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)), steps ?? new RunSteps(pace, facts.WaitsForStart), readOnly);
        console.Map(app);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        // A page on an address other than loopback needs the token to be read, so the address carries it in its query too.
        var port = new Uri(address.Replace("[::]", "localhost", StringComparison.Ordinal).Replace("0.0.0.0", "localhost", StringComparison.Ordinal)).Port;
        var host = IPAddress.IsLoopback(endpoint.Address) ? endpoint.Address.ToString()
            : endpoint.Address.Equals(IPAddress.Any) || endpoint.Address.Equals(IPAddress.IPv6Any) ? Dns.GetHostName() : endpoint.Address.ToString();
        if (host.Contains(':')) host = $"[{host}]";
        console.Url = new Uri(IPAddress.IsLoopback(endpoint.Address)
            ? $"http://{host}:{port}/#token={console.Token}"
            : $"http://{host}:{port}/?token={console.Token}#token={console.Token}");
        return console;
    }

    private void Map(WebApplication app)
    {
        app.MapGet("/", (HttpContext http) => Readable(http) ?? Results.Content(ConsolePage.With(Current()), "text/html; charset=utf-8"));
        app.MapGet("/api/state", (HttpContext http) => Readable(http) ?? Results.Content(Current(), "application/json"));
        app.MapGet("/api/events", (Func<HttpContext, Task>)Events);
        app.MapGet("/api/meters/{id}", (Func<HttpContext, string, Task<IResult>>)Meter);
        app.MapGet("/report", (HttpContext http) => Readable(http) ?? (Report() is { } file
            ? Results.File(file, "text/html; charset=utf-8")
            : Results.Json(new { error = "the run's report is written when the run ends" }, statusCode: StatusCodes.Status404NotFound)));
        app.MapPost("/api/actions", (Func<HttpContext, Task<IResult>>)Act);
        app.MapPost("/api/clock", (Func<HttpContext, Task<IResult>>)Clock);
        // Every other request: its status with a reason, as JSON (the routes' own 404 and 405 carry no body).
        app.Use(async (http, next) =>
        {
            await next(http);
            if (http.Response is { StatusCode: 404 or 405, HasStarted: false })
                await http.Response.WriteAsJsonAsync(new { error = http.Response.StatusCode == 404
                    ? $"no {http.Request.Path}: the console serves /, /api/state, /api/events, /api/meters/METER, and POST /api/actions and /api/clock"
                    : $"{http.Request.Method} {http.Request.Path}: not allowed here" });
        });
    }

    private string? Report()
    {
        lock (_lock) return _report;
    }

    /// <summary>The run's report.html is written: the page links to it.</summary>
    /// <summary>From now on, each action the run takes is appended to <paramref name="file"/> (<see cref="RunFolder.ActionsFile"/>) as it is taken.</summary>
    public void RecordActionsTo(string file) => _steps.RecordActionsTo(file);

    public void ReportWritten(string file)
    {
        lock (_lock) _report = file;
        Publish();
    }

    /// <summary>Shows <paramref name="view"/>, a run folder's final state, with its completion curve from its meters' finishing times.</summary>
    public void ShowFinal(RunFolderView view)
    {
        lock (_lock)
        {
            _state.Ended = true;
            _state.Restore(view.Actions);
            _report = view.ReportHtml;
            _shown = (view.End, view.Summary, view.Outcomes);
            var targeted = view.Outcomes.Where(o => o.Phase != MeterPhase.Skipped && o.FinishedMicros > 0).OrderBy(o => o.FinishedMicros).ToList();
            var (succeeded, failed) = (0, 0);
            var every = Math.Max(1, targeted.Count / 1000);
            for (var i = 0; i < targeted.Count; i++)
            {
                if (targeted[i].Phase == MeterPhase.Succeeded) succeeded++;
                else if (targeted[i].Phase.IsError()) failed++;
                if (i % every == 0 || i == targeted.Count - 1)
                    _curve.Add(new JsonObject { ["hour"] = Math.Round(new SimTime(targeted[i].FinishedMicros).SinceOrigin.TotalHours, 4), ["succeeded"] = succeeded, ["failed"] = failed });
            }
        }
        Publish();
    }

    private string Current()
    {
        lock (_lock) return _snapshot;
    }

    /// <summary>Null when the request may read; else its refusal. On loopback reading is open.</summary>
    private IResult? Readable(HttpContext http) => _loopback ? null : Authorized(http, inQuery: true);

    /// <summary>
    /// Null when the request carries the token from this page's own origin; else its refusal, logged.
    /// Actions take it in the Authorization header only; reads also in the query's <c>token</c> (an
    /// event stream cannot send a header).
    /// </summary>
    private IResult? Authorized(HttpContext http, bool inQuery = false)
    {
        var origin = http.Request.Headers.Origin.ToString();
        var own = $"{http.Request.Scheme}://{http.Request.Host}";
        if (origin.Length > 0 && !string.Equals(origin, own, StringComparison.OrdinalIgnoreCase))
            return Refused(http, StatusCodes.Status403Forbidden, $"a request from another origin ({origin}) is refused");
        var header = http.Request.Headers.Authorization.ToString();
        var given = header.StartsWith("Bearer ", StringComparison.Ordinal) ? header["Bearer ".Length..].Trim() : inQuery ? http.Request.Query["token"].ToString() : "";
        if (given.Length == 0 && http.Request.Query.ContainsKey("token"))
            return Refused(http, StatusCodes.Status401Unauthorized, "actions take the token in the Authorization header (Bearer TOKEN), not in the address");
        if (given.Length == 0) return Refused(http, StatusCodes.Status401Unauthorized, "the console's token is needed (Authorization: Bearer TOKEN; it was printed at start)");
        if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(Token)))
            return Refused(http, StatusCodes.Status403Forbidden, "wrong token");
        return null;
    }

    private static IResult Refused(HttpContext http, int status, string why)
    {
        Logging.File.Warning("Console: {Method} {Path} from {Remote} refused ({Status}): {Why}", http.Request.Method, http.Request.Path.ToString(), http.Connection.RemoteIpAddress?.ToString(), status, why);
        return Results.Json(new { error = why }, statusCode: status);
    }

    private static async Task<(JsonObject? Body, IResult? Error)> ReadBody(HttpContext http)
    {
        if (!(http.Request.ContentType ?? "").StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
            return (null, Results.Json(new { error = "the body must be JSON (Content-Type: application/json)" }, statusCode: StatusCodes.Status415UnsupportedMediaType));
        try
        {
            return (await JsonNode.ParseAsync(http.Request.Body) as JsonObject ?? throw new JsonException("not an object"), null);
        }
        catch (JsonException error)
        {
            return (null, Results.Json(new { error = $"the body is not a JSON object{(error.Message.StartsWith("not an object", StringComparison.Ordinal) ? "" : " (it is not JSON)")}, such as {{\"action\": \"pause\"}}" }, statusCode: StatusCodes.Status400BadRequest));
        }
        catch (Microsoft.AspNetCore.Http.BadHttpRequestException error)
        {
            return (null, Results.Json(new { error = error.Message }, statusCode: error.StatusCode));
        }
    }

    private static string? Text(JsonObject body, string key) => body[key] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    private IResult ReadOnly() =>
        Results.Json(new { error = "this console shows a run folder's final state (amisim console --db): there is no run to act on" }, statusCode: StatusCodes.Status409Conflict);

    private async Task<IResult> Act(HttpContext http)
    {
        if (Authorized(http) is { } refused) return refused;
        if (_readOnly) return ReadOnly();
        var (body, error) = await ReadBody(http);
        if (error is not null) return error;
        var name = Text(body!, "action");
        var action = OperatorActions.Parse(name);
        if (action is null) return Results.Json(new { error = $"action: expected start, pause, resume, cancel or retry-failed, not '{name ?? "(none)"}'" }, statusCode: StatusCodes.Status400BadRequest);
        var by = Text(body!, "operator") is { Length: > 0 and <= 64 } who && who.All(c => !char.IsControl(c)) ? who : "console";
        lock (_lock)
        {
            if (_state.Ask(action.Value, $"{by} ({http.Connection.RemoteIpAddress})") is { } why) return Results.Json(new { error = why }, statusCode: StatusCodes.Status409Conflict);
        }
        Wake();
        return Results.Json(new { queued = name, at = "the current virtual time, before the next step" }, statusCode: StatusCodes.Status202Accepted);
    }

    private async Task<IResult> Clock(HttpContext http)
    {
        if (Authorized(http) is { } refused) return refused;
        if (_readOnly) return ReadOnly();
        var (body, error) = await ReadBody(http);
        if (error is not null) return error;
        bool? held = null;
        double? pace = null;
        if (body!["hold"] is { } hold)
        {
            if (hold is JsonValue value && value.TryGetValue<bool>(out var flag)) held = flag;
            else return Results.Json(new { error = "hold: expected true or false" }, statusCode: StatusCodes.Status400BadRequest);
        }
        var paceText = body["pace"] is null ? null : Text(body, "pace") ?? (body["pace"] is JsonValue number && number.TryGetValue<double>(out var n) ? n.ToString(System.Globalization.CultureInfo.InvariantCulture) : "");
        if (paceText is not null)
        {
            try
            {
                pace = ParsePace(paceText);
            }
            catch (FormatException invalid)
            {
                return Results.Json(new { error = $"pace: {invalid.Message}" }, statusCode: StatusCodes.Status400BadRequest);
            }
        }
        if (held is null && paceText is null) return Results.Json(new { error = "expected {\"pace\": \"60\"} (a number or max) or {\"hold\": true}" }, statusCode: StatusCodes.Status400BadRequest);
        lock (_lock)
        {
            if (_state.Ended) return Results.Json(new { error = "the run has ended; the console shows its final state" }, statusCode: StatusCodes.Status409Conflict);
            if (held is { } h) _state.SetHeld(h);
            if (paceText is not null) _state.SetPace(pace);
        }
        Serilog.Log.Information("Console: clock {Change:l} from {Remote:l}", held is { } x ? (x ? "held" : "released") + (paceText is null ? "" : $", pace {paceText}") : $"pace {paceText}", http.Connection.RemoteIpAddress?.ToString());
        Wake();
        Publish();
        lock (_lock) return Results.Json(new { pace = _state.Pace?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "max", hold = _state.Held });
    }

    /// <summary>Reads a meter as the page names it: its number (17) or its identification (MTR0000000017); null for anything else.</summary>
    public static MeterId? ParseMeter(string text)
    {
        text = text.Trim();
        if (long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var number) && number > 0) return new MeterId(number);
        return MeterId.TryParseMrid(text.ToUpperInvariant(), out var meter) && meter.Value > 0 ? meter : null;
    }

    /// <summary>
    /// One meter: its place in the campaign as the run last showed it, and its ST1 and MT100 read through
    /// PSEM from the live run at the virtual time it stands at (none once the run has stopped).
    /// </summary>
    private async Task<IResult> Meter(HttpContext http, string id)
    {
        if (Readable(http) is { } refused) return refused;
        if (ParseMeter(id) is not { } meter)
            return Results.Json(new { error = $"meter: expected a meter's number (such as 17) or its identification (such as MTR0000000017), not '{OutsideText.Clean(id, 40)}'" }, statusCode: StatusCodes.Status400BadRequest);
        RunProbe? probe;
        MeterOutcome? outcome;
        lock (_lock) (probe, outcome) = (_probe, _shown.Outcomes.FirstOrDefault(o => o.Meter == meter.Value));
        if (probe is null && !_readOnly)
            return Results.Json(new { error = "the run is still starting: its meters can be read in a moment" }, statusCode: StatusCodes.Status503ServiceUnavailable);
        var simulated = probe?.Simulates(meter) ?? false;
        if (outcome is null && !simulated)
            return Results.Json(new { error = $"no meter {meter.Value} in this run's campaign or network" }, statusCode: StatusCodes.Status404NotFound);
        var answer = new JsonObject
        {
            ["meter"] = meter.Value, ["identification"] = meter.Identification,
            ["campaign"] = outcome is null ? null : new JsonObject
            {
                ["collector"] = outcome.Collector > 0 ? outcome.Collector : null, ["wave"] = outcome.Wave >= 0 ? outcome.Wave + 1 : null, ["phase"] = outcome.Phase.ToString(), ["final"] = outcome.Phase.IsFinal(),
                ["reason"] = outcome.Reason, ["attempts"] = outcome.Attempts, ["firmwareAfter"] = outcome.FirmwareAfter,
                ["finishedAt"] = outcome.FinishedMicros > 0 ? new SimTime(outcome.FinishedMicros).ToString() : null,
            },
        };
        if (!simulated)
        {
            answer["tablesNote"] = probe is null ? "this console shows a finished run's journal: no live meter to read" : "the network has no route to this meter: nothing simulates it";
            return Results.Json(answer);
        }
        if (!_reads.Wait(0)) return Results.Json(new { error = "too many meter reads at once; try again" }, statusCode: StatusCodes.Status429TooManyRequests);
        try
        {
            var tables = await probe!.ReadAsync(meter, http.RequestAborted);
            answer["tablesAt"] = tables.At.ToString();
            if (tables.Unreadable is { } why) answer["tablesNote"] = why;
            if (tables.St1 is { } st1)
                answer["st1"] = new JsonObject
                {
                    ["manufacturer"] = OutsideText.Clean(st1.Manufacturer.Trim()), ["model"] = OutsideText.Clean(st1.Model.Trim()), ["hardware"] = $"{st1.HwVersion}.{st1.HwRevision}",
                    ["firmware"] = st1.Firmware.ToString(), ["serial"] = OutsideText.Clean(st1.SerialNumber.Trim()),
                };
            if (tables.Transfer is { } transfer)
                answer["mt100"] = new JsonObject
                {
                    ["status"] = transfer.Status.ToString(), ["image"] = OutsideText.Clean(transfer.ImageId.Trim()), ["version"] = transfer.ImageVersion.ToString(),
                    ["blocks"] = transfer.BlockCount, ["missing"] = transfer.MissingCount, ["lastFailure"] = transfer.LastFailure.ToString(),
                };
            return Results.Json(answer);
        }
        catch (TimeoutException slow)
        {
            return Results.Json(new { error = $"the meter could not be read now: {slow.Message}; try again" }, statusCode: StatusCodes.Status503ServiceUnavailable);
        }
        finally
        {
            _reads.Release();
        }
    }

    public void Attach(RunProbe probe)
    {
        lock (_lock) _probe = probe;
    }

    private async Task Events(HttpContext http)
    {
        if (Readable(http) is { } refused)
        {
            await refused.ExecuteAsync(http);
            return;
        }
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        var stop = http.RequestAborted;
        string? sent = null;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                Task changed;
                string now;
                lock (_lock) (changed, now) = (_changed.Task, _snapshot);
                if (!ReferenceEquals(now, sent))
                {
                    await http.Response.WriteAsync($"data: {now}\n\n", stop);
                    await http.Response.Body.FlushAsync(stop);
                    sent = now;
                }
                await Task.WhenAny(changed, Task.Delay(TimeSpan.FromSeconds(15), stop));
                if (!changed.IsCompleted) await http.Response.WriteAsync(": still here\n\n", stop);
            }
        }
        catch (OperationCanceledException)
        {
            // The page went away.
        }
    }

    private void Wake() => _steps.Wake();

    public TimeSpan NextStep(TimeSpan longest) => _steps.NextStep(longest);

    public Task<IReadOnlyList<TakenAction>> BetweenStepsAsync(SimTime now, CancellationToken cancellation) => _steps.BetweenStepsAsync(now, cancellation);

    public Task ShowAsync(SimTime now, CampaignSummary summary, IReadOnlyList<MeterOutcome> outcomes, bool ended)
    {
        lock (_lock)
        {
            _steps.Observe(summary.Status, ended);
            // A head-end that is down knows nothing until it restarts: the page keeps what it showed last, saying why.
            if (summary.Status == CampaignStatus.Down && _shown.Summary is { } before)
                (summary, outcomes) = (before with { Status = CampaignStatus.Down, PauseReason = "the head-end is down (a crash): it restarts from its journal, and takes no action until then" }, _shown.Outcomes);
            _shown = (now, summary, outcomes);
        }
        Publish();
        return Task.CompletedTask;
    }

    /// <summary>What the run last showed, drawn again (with the pace, the hold and the actions as they are now).</summary>
    private (SimTime Now, CampaignSummary? Summary, IReadOnlyList<MeterOutcome> Outcomes) _shown = (SimTime.Zero, null, []);

    private void Publish()
    {
        (SimTime Now, CampaignSummary? Summary, IReadOnlyList<MeterOutcome> Outcomes) shown;
        bool ended;
        lock (_lock) (shown, ended) = (_shown, _state.Ended);
        var snapshot = Snapshot(shown.Now, shown.Summary, shown.Outcomes, ended);
        TaskCompletionSource changed;
        lock (_lock)
        {
            _snapshot = snapshot;
            (changed, _changed) = (_changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        }
        changed.TrySetResult();
    }

    /// <summary>The page's data at <paramref name="now"/> as JSON (virtual hours; counts of targeted meters, skipped ones left out).</summary>
    private string Snapshot(SimTime now, CampaignSummary? summary, IReadOnlyList<MeterOutcome> outcomes, bool ended)
    {
        var targeted = outcomes.Where(o => o.Phase != MeterPhase.Skipped).ToList();
        var hours = now.SinceOrigin.TotalHours;
        JsonObject Progress(IEnumerable<MeterOutcome> meters)
        {
            var list = meters.ToList();
            return new JsonObject { ["meters"] = list.Count, ["started"] = list.Count(m => m.Phase != MeterPhase.Pending), ["final"] = list.Count(m => m.Phase.IsFinal()), ["succeeded"] = list.Count(m => m.Phase == MeterPhase.Succeeded), ["failed"] = list.Count(m => m.Phase.IsError()) };
        }
        lock (_lock)
        {
            if (summary is not null && !_readOnly)
            {
                var point = new JsonObject { ["hour"] = Math.Round(hours, 4), ["succeeded"] = targeted.Count(m => m.Phase == MeterPhase.Succeeded), ["failed"] = targeted.Count(m => m.Phase.IsError()) };
                if (_curve.Count == 0 || hours > (double)_curve[^1]["hour"]!) _curve.Add(point);
                if (_curve.Count > 2000)
                {
                    // Every other point, so the page stays small.
                    var kept = _curve.Where((_, i) => i % 2 == 0).ToList();
                    _curve.Clear();
                    _curve.AddRange(kept);
                }
            }
            var waves = targeted.Where(o => o.Wave >= 0).GroupBy(o => o.Wave).OrderBy(g => g.Key).Select(g => { var w = Progress(g); w["wave"] = g.Key + 1; return (JsonNode)w; });
            var collectors = targeted.Where(o => o.Wave >= 0).GroupBy(o => o.Collector).OrderBy(g => g.Key).Select(g => { var c = Progress(g); c["id"] = g.Key; return (JsonNode)c; });
            var failures = targeted.Where(o => o.Phase.IsError() || o.Phase == MeterPhase.Canceled).GroupBy(o => (o.Phase, o.Reason)).OrderByDescending(g => g.Count())
                .Take(10).Select(g => (JsonNode)new JsonObject
                {
                    ["state"] = g.Key.Phase.ToString(), ["reason"] = g.Key.Reason, ["count"] = g.Count(),
                    ["first"] = new JsonArray([.. g.Take(5).Select(m => (JsonNode)JsonValue.Create(m.Meter))]),
                });
            // A run folder's journal lists the meters that reported; the campaign's counts hold those that did not, as pending.
            JsonObject Targeted()
            {
                var progress = Progress(targeted);
                progress["meters"] = Math.Max(targeted.Count, summary?.Phases.Where(p => p.Key != MeterPhase.Skipped).Sum(p => p.Value) ?? 0);
                return progress;
            }
            var page = new JsonObject
            {
                ["scenario"] = _facts.Scenario, ["seed"] = _facts.Seed, ["package"] = _facts.Package, ["meters"] = _facts.Meters, ["collectors"] = _facts.Collectors,
                ["distribution"] = _facts.Distribution, ["virtualTime"] = now.ToString(), ["virtualHours"] = Math.Round(hours, 4),
                ["status"] = summary?.Status.Name() ?? (_facts.WaitsForStart ? CampaignStatus.Created.Name() : "starting"), ["reason"] = summary?.PauseReason ?? "", ["wave"] = summary is null || summary.Status == CampaignStatus.Created ? 0 : Math.Min(summary.Wave, summary.Waves), ["waves"] = summary?.Waves ?? 0,
                ["sessionsInUse"] = summary?.MostSessionsPerCollector ?? 0,
                ["outcomes"] = new JsonObject([.. (summary?.Phases ?? new Dictionary<MeterPhase, int>()).OrderBy(p => p.Key).Select(p => KeyValuePair.Create(p.Key.ToString(), (JsonNode?)p.Value))]),
                ["targeted"] = Targeted(), ["wavesProgress"] = new JsonArray([.. waves]), ["collectorsProgress"] = new JsonArray([.. collectors]),
                ["failures"] = new JsonArray([.. failures]), ["completion"] = new JsonArray([.. _curve.Select(p => p.DeepClone())]),
                ["completionSvg"] = CompletionSvg(Math.Max(targeted.Count, summary?.Phases.Where(p => p.Key != MeterPhase.Skipped).Sum(p => p.Value) ?? 0), hours),
                ["actions"] = new JsonArray([.. _state.Taken.Select(a => (JsonNode)new JsonObject { ["at"] = a.At.ToString(), ["action"] = a.Action.Name(), ["by"] = a.By })]),
                ["pace"] = _state.Pace?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "max", ["held"] = _state.Held, ["ended"] = ended,
                ["waitingForStart"] = _state.WaitingForStart, ["readOnly"] = _readOnly, ["placesKnown"] = targeted.Count == 0 || targeted.Any(o => o.Wave >= 0), ["report"] = _report is not null,
            };
            return page.ToJsonString();
        }
    }

    /// <summary>The completion curve so far (succeeded, failed or timed out, of <paramref name="targeted"/>) up to virtual <paramref name="hours"/>, as SVG.</summary>
    private string CompletionSvg(int targeted, double hours)
    {
        var model = new PlotModel();
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Bottom, Title = "virtual hours", Minimum = 0, Maximum = Math.Max(1, hours) });
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Left, Title = "meters", AxisTitleDistance = 12, Minimum = 0, Maximum = Math.Max(1, targeted), MinimumMajorStep = 1, MinimumMinorStep = 1, StringFormat = "N0" });
        foreach (var (key, title, colour) in new[] { ("succeeded", "succeeded", OxyColor.FromRgb(0x2e, 0x9e, 0x4f)), ("failed", "failed or timed out", OxyColor.FromRgb(0xd6, 0x27, 0x28)) })
        {
            var series = new LineSeries { Title = title, Color = colour, StrokeThickness = 2 };
            series.Points.Add(new DataPoint(0, 0));
            series.Points.AddRange(_curve.Select(p => new DataPoint(p["hour"]!.GetValue<double>(), p[key]!.GetValue<int>())));
            model.Series.Add(series);
        }
        return SvgChart.WithLegend(model, 900, 280, "curve-");
    }

    public async ValueTask DisposeAsync()
    {
        using (var stop = new CancellationTokenSource(TimeSpan.FromSeconds(2))) await _app.StopAsync(stop.Token);
        await _app.DisposeAsync();
    }
}
