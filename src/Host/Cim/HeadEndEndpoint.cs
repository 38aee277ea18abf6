using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using AmiSim.HeadEnd.Campaign;
using AmiSim.Host.Run;
using AmiSim.Host.Web;
using AmiSim.Kernel;
using AmiSim.Mesh.Topology;
using AmiSim.Protocol;
using AmiSim.Protocol.Cim;
using AmiSim.Protocol.Network;
using AmiSim.Protocol.Programs;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Serilog;

namespace AmiSim.Host.Cim;

/// <summary>What the head-end's endpoint knows of the run before it starts.</summary>
/// <param name="WaitsForStart">the campaign waits for the operator's start (campaign.start = operator): a create EndDeviceControls gives it.</param>
public sealed record HeadEndFacts(string CampaignId, ProgramManifest Manifest, NetworkTopology Topology, DateTime OriginUtc, bool WaitsForStart, TimeSpan ReplyPatience);

/// <summary>
/// The head-end's IEC 61968-100 web service (<c>amisim run --cim-endpoint</c>), and the run's
/// <see cref="IRunSupervisor"/>: an MDM (or any client) programs meters by sending it requests, which
/// act at the virtual time the run stands at, through the campaign's operator path, as the console's
/// actions do, and are recorded in the run folder the same way (operator-actions.jsonl), so that the
/// run is made again without the endpoint. Operations (the WSDL, <see cref="CimWsdl.HeadEnd"/>):
/// <list type="bullet">
/// <item><c>create EndDeviceControls</c>: program the meters it names (EndDevices/mRID, or the groups
/// "all" and "collector-N") with the loaded package; the EndDeviceControlType is
/// <see cref="EndDeviceControlTypes"/>'s code for the package's kind. It starts the campaign, which
/// waits for it (campaign.start = operator); one such request per run. The answer is an
/// acknowledgement; with a ReplyAddress, the result goes there once every named meter is final, a
/// ResponseMessage carrying the request's MessageID as CorrelationID.</item>
/// <item><c>cancel EndDeviceControls</c>: cancel the campaign.</item>
/// <item><c>get EndDeviceEvents</c> and <c>get MeterConfig</c>: the named meters' outcome events and
/// current program, as the head-end knows them after the run's last step.</item>
/// </list>
/// A request needs a MessageID; one seen before, a replayed or stale one, an unknown verb or noun, and
/// whatever <see cref="CimHttp"/> refuses is FAILED with the reason, and changes nothing.
/// </summary>
public sealed class HeadEndEndpoint : IRunSupervisor, IAsyncDisposable
{
    public const string Source = "AmiSim-HeadEnd";

    /// <summary>The file of every request and its answer, beside operator-actions.jsonl.</summary>
    public const string RequestsFile = "cim-requests.jsonl";

    /// <summary>The file of every call that delivers an asynchronous result.</summary>
    public const string RepliesFile = "cim-replies.jsonl";

    private readonly WebApplication _app;
    private readonly HeadEndFacts _facts;
    private readonly Dictionary<string, MeterId> _fleet;
    /// <summary>Each meter's firmware as the fleet was set up: what a get answers before the campaign has an outcome for it.</summary>
    private readonly Dictionary<long, string> _firmware;
    /// <summary>The run's steps, shared with the operator console when the run has both; its lock guards this endpoint's state too.</summary>
    private readonly RunSteps _steps;
    private readonly Lock _lock;
    private readonly ConsoleState _state;
    private readonly CimReplayGuard _replays = new();
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
    private string? _folder;
    private IReadOnlyList<MeterOutcome> _outcomes = [];
    /// <summary>The programming request taken: its MessageID, where its result goes, and its meters.</summary>
    private (string MessageId, Uri? ReplyTo, HashSet<long> Meters)? _request;
    private bool _resultSent;
    private CimServiceClient? _replies;

    private HeadEndEndpoint(WebApplication app, Uri address, HeadEndFacts facts, RunSteps steps)
    {
        (_app, Address, _facts) = (app, address, facts);
        _fleet = facts.Topology.Meters.ToDictionary(m => m.Meter.Identification, m => m.Meter, StringComparer.Ordinal);
        _firmware = facts.Topology.Meters.ToDictionary(m => m.Meter.Value, m => m.Firmware.ToString());
        (_steps, _lock, _state) = (steps, steps.Lock, steps.State);
    }

    /// <summary>Where requests are posted (http://ADDRESS:PORT/cim).</summary>
    public Uri Address { get; private set; }

    /// <summary>Starts serving on <paramref name="endpoint"/>. <exception cref="IOException">the address cannot be bound.</exception></summary>
    /// <param name="steps">the run's steps when another side steers it too (the operator console); <paramref name="pace"/> is then theirs.</param>
    public static async Task<HeadEndEndpoint> StartAsync(IPEndPoint endpoint, HeadEndFacts facts, double? pace, RunSteps? steps = null)
    {
        HeadEndEndpoint? self = null;
        var (app, address) = await CimHttp.StartAsync(endpoint, app =>
        {
            app.MapPost(CimHttp.Path, (Func<HttpContext, Task<IResult>>)(http => self!.TakeAsync(http)));
            CimHttp.MapDescription(app, CimWsdl.HeadEnd, () => self!.Address);
        });
        self = new HeadEndEndpoint(app, address, facts, steps ?? new RunSteps(pace, facts.WaitsForStart));
        return self;
    }

    /// <summary>Requests, actions and result deliveries are recorded in <paramref name="runFolder"/> from now on.</summary>
    public void RecordTo(string runFolder)
    {
        lock (_lock) _folder = runFolder;
        _steps.RecordActionsTo(Path.Combine(runFolder, RunFolder.ActionsFile));
    }

    private async Task<IResult> TakeAsync(HttpContext http)
    {
        var incoming = await CimHttp.ReadAsync(http.Request, http.RequestAborted);
        ResponseMessage reply;
        var status = incoming.Status;
        if (incoming.Error is { } unread)
            reply = Failed("?", "?", "1.0", "malformed or invalid message", unread.Message);
        else
        {
            lock (_lock) reply = Decide(incoming.Message!, DateTime.UtcNow);
            _steps.Wake();
        }
        Record(incoming.Message, reply, http.Connection.RemoteIpAddress);
        return CimHttp.Answer(reply, incoming.Enveloped, status);
    }

    /// <summary>What to answer a request, and what it sets going; under the lock.</summary>
    private ResponseMessage Decide(CimMessage message, DateTime now)
    {
        var header = message.Header;
        if (message is not RequestMessage request)
            return Failed(header.Noun, header.MessageId, "1.3", $"the head-end takes RequestMessage, not {message.GetType().Name}", null);
        if (header.MessageId.Length == 0)
            return Failed(header.Noun, "?", "1.1", "a request needs a MessageID: its result carries it back as CorrelationID", null);
        if (_replays.Check(header, now) is { } replayed)
            return new ResponseMessage(Header(header.Noun, header.MessageId), new CimReply(ReplyResult.FAILED, [replayed]));
        if (!_seen.Add(header.MessageId))
            return Failed(header.Noun, header.MessageId, "1.4", "duplicate MessageID: a request with it was received before and is not acted on again", header.MessageId);
        return (header.Verb, header.Noun) switch
        {
            ("create", "EndDeviceControls") => Program(request),
            ("cancel", "EndDeviceControls") => Cancel(request),
            ("get", "EndDeviceEvents" or "MeterConfig") => Query(request),
            _ => Failed(header.Noun, header.MessageId, "1.3", $"the head-end does not take '{header.Verb} {header.Noun}'",
                "it takes create and cancel of EndDeviceControls, and get of EndDeviceEvents and MeterConfig (WSDL at " + CimHttp.Path + "?wsdl)"),
        };
    }

    private ResponseMessage Program(RequestMessage request)
    {
        var id = request.Header.MessageId;
        ResponseMessage No(string code, string reason, string? details = null) => Failed("EndDeviceControls", id, code, reason, details);
        if (request.Payload is not EndDeviceControls { Controls.Count: > 0 } controls) return No("1.2", "no EndDeviceControl in the payload: it names the meters to program");
        var manifest = _facts.Manifest;
        var code = manifest.Kind == ProgramKind.Firmware ? EndDeviceControlTypes.FirmwareProgram : EndDeviceControlTypes.ConfigurationProgram;
        if (controls.Controls.FirstOrDefault(c => c.ControlType != code) is { } other)
            return No("2.1", $"EndDeviceControlType {OutsideText.Clean(other.ControlType, 40)}: the head-end programs its loaded package, {manifest.Kind} {manifest.ProgramId} {manifest.Version}, with {code}");
        var meters = new SortedSet<long>();
        var errors = new List<CimError>();
        foreach (var control in controls.Controls)
        {
            foreach (var mrid in control.EndDevices)
                if (_fleet.TryGetValue(mrid, out var meter)) meters.Add(meter.Value);
                else errors.Add(new CimError("2.4", "WARNING", "unknown meter: not programmed", OutsideText.Clean(mrid, 60)));
            foreach (var group in control.EndDeviceGroups)
                if (Group(group) is { } members) meters.UnionWith(members);
                else errors.Add(new CimError("2.4", "WARNING", "unknown group (the head-end knows all and collector-N): not programmed", OutsideText.Clean(group, 60)));
        }
        if (meters.Count == 0) return No("2.4", "none of the meters named is known: nothing to program", errors.Count > 0 ? string.Join(", ", errors.Take(5).Select(e => e.Details)) : "no EndDevices or EndDeviceGroups");
        if (_state.Ended) return No("3.1", "the run has ended: its campaign takes no request now");
        if (_request is { } taken) return No("3.2", $"this run has taken its programming request already ({taken.MessageId}): one campaign per run");
        if (!_facts.WaitsForStart)
            return No("3.2", "the campaign started at once (campaign.start = at-once): run with --set amisim.scenario.campaign.start=operator for the head-end to wait for a request");
        Uri? replyTo = null;
        if (request.Header.AsyncReplyFlag != false && request.Header.ReplyAddress is { Length: > 0 } address)
        {
            if (!Uri.TryCreate(address, UriKind.Absolute, out replyTo) || replyTo.Scheme is not ("http" or "https"))
                return No("1.1", "ReplyAddress is not an http:// or https:// address: the result could not be sent", OutsideText.Clean(address, 100));
        }
        if (_state.Ask(OperatorAction.Start, $"CIM {id} from {OutsideText.Clean(request.Header.Source, 60)}", [.. meters]) is { } refused) return No("3.2", refused);
        _request = (id, replyTo, meters.ToHashSet());
        errors.Insert(0, new CimError("0.0", "INFORM", $"accepted: the campaign starts on {meters.Count} meters with {manifest.ProgramId} {manifest.Version}",
            replyTo is null ? "get EndDeviceEvents gives the outcomes" : $"the result goes to {replyTo} once every meter is final"));
        return new ResponseMessage(Header("EndDeviceControls", id), new CimReply(errors.Count == 1 ? ReplyResult.OK : ReplyResult.PARTIAL, errors));
    }

    /// <summary>The meters of a group: "all", or "collector-N"; null for a group the head-end does not know.</summary>
    private IEnumerable<long>? Group(string group)
    {
        if (group.Equals("all", StringComparison.OrdinalIgnoreCase)) return _fleet.Values.Select(m => m.Value);
        if (group.StartsWith("collector-", StringComparison.OrdinalIgnoreCase) && int.TryParse(group["collector-".Length..], out var collector)
            && _facts.Topology.Collectors.Any(c => c.Id == collector))
            return _facts.Topology.Meters.Where(m => m.Collector == collector).Select(m => m.Meter.Value);
        return null;
    }

    private ResponseMessage Cancel(RequestMessage request)
    {
        var id = request.Header.MessageId;
        if (_state.Ended) return Failed("EndDeviceControls", id, "3.1", "the run has ended: there is nothing to cancel", null);
        if (_state.Ask(OperatorAction.Cancel, $"CIM {id} from {OutsideText.Clean(request.Header.Source, 60)}") is { } refused)
            return Failed("EndDeviceControls", id, "3.2", refused, null);
        return new ResponseMessage(Header("EndDeviceControls", id), new CimReply(ReplyResult.OK, [new CimError("0.0", "INFORM", "accepted: the campaign is canceled at the run's next step", null)]));
    }

    private ResponseMessage Query(RequestMessage request)
    {
        var header = request.Header;
        var named = request.Request?.Ids ?? [];
        var wanted = named.Count > 0 ? named.Distinct(StringComparer.Ordinal).ToList() : [.. _fleet.Keys.Order(StringComparer.Ordinal)];
        if (wanted.Count > HeadEnd.Mdm.MdmState.MostMetersPerQuery)
            return Failed(header.Noun, header.MessageId, "1.6", $"a get answers at most {HeadEnd.Mdm.MdmState.MostMetersPerQuery:N0} meters: name them in Request/ID", $"{wanted.Count:N0} asked");
        var outcomes = _outcomes.ToDictionary(o => o.Meter);
        var known = wanted.Where(_fleet.ContainsKey).Select(m => _fleet[m]).ToList();
        var errors = wanted.Where(m => !_fleet.ContainsKey(m)).Select(m => new CimError("2.4", "WARNING", "unknown meter", OutsideText.Clean(m, 60))).ToList();
        var manifest = _facts.Manifest;
        ICimPayload payload;
        if (header.Noun == "MeterConfig")
            payload = new MeterConfig(known.Select(m =>
            {
                var outcome = outcomes.GetValueOrDefault(m.Value);
                var done = outcome?.Phase == MeterPhase.Succeeded;
                return manifest.Kind == ProgramKind.Firmware
                    ? new MeterConfigEntry(m.Identification, outcome?.FirmwareAfter ?? _firmware[m.Value], null, done ? manifest.ProgramId : null)
                    : new MeterConfigEntry(m.Identification, outcome?.FirmwareAfter ?? _firmware[m.Value], done ? $"{manifest.ProgramId} {manifest.Version}" : null, done ? manifest.ProgramId : null);
            }).ToList());
        else
            payload = new EndDeviceEvents(known.Select(m => outcomes.GetValueOrDefault(m.Value)).OfType<MeterOutcome>()
                .Where(o => o.Phase is MeterPhase.Succeeded or MeterPhase.Failed or MeterPhase.TimedOut)
                .Select(o => CampaignReporting.EventOf(_facts.CampaignId, manifest, new MeterId(o.Meter), o.Phase, o.Attempts, new SimTime(o.FinishedMicros).ToUtc(_facts.OriginUtc), o.Reason, o.FirmwareAfter))
                .ToList());
        var result = errors.Count == 0 ? ReplyResult.OK : known.Count > 0 ? ReplyResult.PARTIAL : ReplyResult.FAILED;
        return new ResponseMessage(Header(header.Noun, header.MessageId), new CimReply(result, errors), payload);
    }

    private static CimHeader Header(string noun, string correlation) =>
        new("reply", noun, DateTime.UtcNow, Source, $"{Source}-{Guid.NewGuid():N}", correlation);

    private static ResponseMessage Failed(string noun, string correlation, string code, string reason, string? details) =>
        new(Header(noun, correlation), new CimReply(ReplyResult.FAILED, [new CimError(code, "FATAL", reason, details)]));

    // ---- the run ---------------------------------------------------------------------------

    /// <summary>The endpoint reads no meter's tables: what it answers comes from the campaign's outcomes (<see cref="ShowAsync"/>).</summary>
    public void Attach(RunProbe probe)
    {
    }

    public TimeSpan NextStep(TimeSpan longest) => _steps.NextStep(longest);

    public Task<IReadOnlyList<TakenAction>> BetweenStepsAsync(SimTime now, CancellationToken cancellation) => _steps.BetweenStepsAsync(now, cancellation);

    public Task ShowAsync(SimTime now, CampaignSummary summary, IReadOnlyList<MeterOutcome> outcomes, bool ended)
    {
        (Uri To, ResponseMessage Result)? due = null;
        string? folder;
        lock (_lock)
        {
            _steps.Observe(summary.Status, ended);
            if (summary.Status != CampaignStatus.Down) _outcomes = outcomes;
            folder = _folder;
            if (_request is { ReplyTo: { } to } request && !_resultSent && summary.Status != CampaignStatus.Down)
            {
                var mine = outcomes.Where(o => request.Meters.Contains(o.Meter)).ToList();
                if (mine.Count > 0 && mine.All(o => o.Phase.IsFinal()) || ended || summary.Status is CampaignStatus.Completed or CampaignStatus.Canceled)
                {
                    _resultSent = true;
                    due = (to, Result(request.MessageId, mine));
                }
            }
        }
        if (due is { } send)
        {
            _replies ??= new CimServiceClient(send.To, Path.Combine(folder ?? Path.GetTempPath(), RepliesFile), bareAcknowledges: true, receiver: "ReplyAddress");
            _replies.Send(send.Result.Header.MessageId, CimXml.Write(send.Result));
            Log.Information("CIM result of {Request} sent to {ReplyAddress}: {Result}", send.Result.Header.CorrelationId, send.To, send.Result.Reply.Result.ToString());
        }
        return Task.CompletedTask;
    }

    /// <summary>The asynchronous result of the programming request: OK when every meter it named succeeded, PARTIAL when some did, FAILED when none; one error per meter that did not.</summary>
    private static ResponseMessage Result(string requestId, IReadOnlyList<MeterOutcome> outcomes)
    {
        var succeeded = outcomes.Count(o => o.Phase == MeterPhase.Succeeded);
        var errors = new List<CimError>
        {
            new("0.0", "INFORM", $"{succeeded} of {outcomes.Count} meters succeeded",
                string.Join(", ", outcomes.GroupBy(o => o.Phase).OrderBy(g => g.Key).Select(g => $"{g.Count()} {g.Key}"))),
        };
        errors.AddRange(outcomes.Where(o => o.Phase != MeterPhase.Succeeded).OrderBy(o => o.Meter)
            .Select(o => new CimError("2.6", "WARNING", $"{o.Phase}{(o.Reason.Length > 0 ? ": " + o.Reason : "")}", new MeterId(o.Meter).Identification)));
        var result = succeeded == outcomes.Count && outcomes.Count > 0 ? ReplyResult.OK : succeeded > 0 ? ReplyResult.PARTIAL : ReplyResult.FAILED;
        return new ResponseMessage(Header("EndDeviceControls", requestId), new CimReply(result, errors));
    }

    private void Record(CimMessage? request, ResponseMessage reply, IPAddress? client)
    {
        string? folder;
        lock (_lock) folder = _folder;
        if (folder is null) return;
        var line = new JsonObject
        {
            ["at"] = DateTime.UtcNow.ToString("O"),
            ["client"] = client?.ToString(),
            ["verb"] = request?.Header.Verb,
            ["noun"] = request?.Header.Noun,
            ["messageId"] = request is null ? null : OutsideText.Clean(request.Header.MessageId, 100),
            ["result"] = reply.Reply.Result.ToString(),
            ["reason"] = reply.Reply.Errors.FirstOrDefault() is { } first ? OutsideText.Clean(first.Reason, 300) : null,
        };
        lock (_lock) File.AppendAllText(Path.Combine(folder, RequestsFile), line.ToJsonString() + "\n");
    }

    public async ValueTask DisposeAsync()
    {
        if (_replies is not null)
        {
            var delivered = await _replies.FinishAsync(_facts.ReplyPatience);
            if (delivered.Undelivered > 0) Log.Warning("CIM result to {Endpoint} was not delivered ({File})", delivered.Endpoint, delivered.ExchangesFile);
            await _replies.DisposeAsync();
        }
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
