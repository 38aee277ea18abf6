using AmiSim.Kernel;
using AmiSim.Protocol.Cim;
using System.Security.Cryptography;
using System.Text;
using MemoryPack;

namespace AmiSim.HeadEnd.Mdm;

/// <summary>What the MDM knows of one meter: its current program identity and what happened to it.</summary>
public sealed class MdmMeter(string mrid, string firmware)
{
    public string Mrid { get; } = mrid;

    public string Firmware { get; set; } = firmware;

    public string? ProgramId { get; set; }

    public string? ConfigId { get; set; }

    public List<MeterRecord> History { get; } = [];
}

/// <summary>One fact the MDM records about a meter, from an EndDeviceEvent or a MeterConfig entry.</summary>
[MemoryPackable]
public sealed partial record MeterRecord(
    string Meter,
    string Source,
    DateTime Time,
    string Kind,
    string? ProgramId,
    string? Firmware,
    string? ConfigId,
    string? Reason);

/// <summary>A batch of records from one message, as the journal keeps it.</summary>
/// <param name="Digest">the digest of the message's payload (<see cref="MdmState.DigestOf"/>): the same MessageID with another payload is refused. Null in journals written before it was kept.</param>
[MemoryPackable]
public sealed partial record MdmRecorded(string MessageId, IReadOnlyList<MeterRecord> Records, string? Digest = null) : IBinarySerialized;

/// <summary>What the MDM decided about a message: the reply, and what to record once durable (nothing for FAILED, a duplicate or a query).</summary>
public sealed record MdmDecision(ResponseMessage Reply, MdmRecorded? Recorded, bool Duplicate = false);

/// <summary>
/// The MDM's state and rules, without actors, for the MDM of a run and <c>amisim mdm</c> alike.
/// <list type="bullet">
/// <item>It records <c>create(d)</c> and <c>change(d)</c> of EndDeviceEvents and MeterConfig, and answers
/// <c>get</c> of either for the meters named in Request/ID; any other verb and noun is FAILED.</item>
/// <item>A message is recorded at most once, by MessageID (a message without one is known by its
/// payload's digest): the same MessageID again with the same payload is answered OK as already
/// recorded, with another payload FAILED. An event is recorded at most once (by its mRID, or its
/// meter, time and type when it has none).</item>
/// <item>A message with ReplayDetection is FAILED when <see cref="CimReplayGuard"/> says it is replayed or stale.</item>
/// <item>Events and meters the MDM does not know, or that name no meter, are answered PARTIAL with one
/// error each; a message that does not parse or validate is FAILED. FAILED records nothing.</item>
/// </list>
/// </summary>
public sealed class MdmState
{
    public const string Source = "AmiSim-MDM";

    /// <summary>The most meters one <c>get</c> answers.</summary>
    public const int MostMetersPerQuery = 10_000;

    private readonly Dictionary<string, MdmMeter> _meters;
    /// <summary>Recorded messages by MessageID, with their payload's digest (null: not known).</summary>
    private readonly Dictionary<string, string?> _messages = [];
    private readonly HashSet<string> _events = [];
    private readonly CimReplayGuard _replays = new();

    public MdmState(IEnumerable<(string Mrid, string Firmware)> fleet) =>
        _meters = fleet.ToDictionary(m => m.Mrid, m => new MdmMeter(m.Mrid, m.Firmware));

    public IReadOnlyDictionary<string, MdmMeter> Meters => _meters;

    public int MessagesRecorded => _messages.Count;

    /// <summary>Events recorded, each once.</summary>
    public int EventsRecorded => _events.Count;

    public MdmDecision Decide(string xml, DateTime now)
    {
        CimMessage message;
        try
        {
            message = CimXml.Parse(xml);
        }
        catch (CimFormatException error)
        {
            return Refused(now, error);
        }
        return Decide(message, now);
    }

    /// <summary>The reply to a message that could not be read: FAILED, with why.</summary>
    public static MdmDecision Refused(DateTime now, CimFormatException error) =>
        new(Reply(now, "?", "?", ReplyResult.FAILED, [new CimError("1.0", "FATAL", "malformed or invalid message", error.Message)]), null);

    public MdmDecision Decide(CimMessage message, DateTime now)
    {
        var header = message.Header;
        var id = header.MessageId.Length > 0 ? header.MessageId : null;
        MdmDecision Failed(string code, string reason, string? details = null) =>
            new(Reply(now, header.Noun, id ?? "?", ReplyResult.FAILED, [new CimError(code, "FATAL", reason, details)]), null);

        if (message is not (EventMessage or RequestMessage))
            return Failed("1.3", $"the MDM takes EventMessage and RequestMessage, not {message.GetType().Name}");
        if (message.Payload is { } carried && carried.Noun != header.Noun)
            return Failed("1.2", "the header's Noun is not the payload's", $"Noun {header.Noun}, payload {carried.Noun}");
        if (_replays.Check(header, now) is { } replayed)
            return new MdmDecision(Reply(now, header.Noun, id ?? "?", ReplyResult.FAILED, [replayed]), null);
        if (header.Verb == "get") return Query(message, now);
        if (header.Verb is not ("create" or "created" or "change" or "changed") || header.Noun is not ("EndDeviceEvents" or "MeterConfig"))
            return Failed("1.3", $"the MDM does not take '{header.Verb} {header.Noun}'", "it records create(d) and change(d) of EndDeviceEvents and MeterConfig, and answers get of them");
        if (message.Payload is null)
            return Failed("1.2", "no payload: the MDM records what a message's Payload holds", header.Noun);

        var digest = DigestOf(message.Payload);
        id ??= "payload-" + digest;
        if (_messages.TryGetValue(id, out var known))
            return known is null || known == digest
                ? new MdmDecision(Reply(now, header.Noun, id, ReplyResult.OK, [new CimError("0.3", "INFORM", "duplicate message, already recorded", id)]), null, Duplicate: true)
                : Failed("1.4", "duplicate MessageID: a different message was recorded under it; nothing of this one is", id);

        var records = new List<MeterRecord>();
        var eventsInMessage = new HashSet<string>(StringComparer.Ordinal);
        var errors = new List<CimError>();
        var unknown = new SortedSet<string>(StringComparer.Ordinal);
        var unnamed = 0;
        switch (message.Payload)
        {
            case EndDeviceEvents events:
                foreach (var e in events.Events)
                {
                    if (e.MeterMrid is not { } meter) { unnamed++; continue; }
                    if (!_meters.ContainsKey(meter)) { unknown.Add(meter); continue; }
                    var key = EventKey(e);
                    if (_events.Contains(key) || !eventsInMessage.Add(key)) continue;
                    string? Detail(string name) => e.Details.FirstOrDefault(d => d.Name == name)?.Value;
                    records.Add(new MeterRecord(meter, key, e.CreatedDateTime, e.EventType, Detail("programId"), Detail("version"), Detail("configId"), e.Reason));
                }
                break;
            case MeterConfig config:
                foreach (var m in config.Meters)
                {
                    if (m.Mrid is not { } meter) { unnamed++; continue; }
                    if (!_meters.ContainsKey(meter)) { unknown.Add(meter); continue; }
                    records.Add(new MeterRecord(meter, id, header.Timestamp, "MeterConfig", m.ProgramId, m.FirmwareId, m.ConfigId, null));
                }
                break;
        }
        errors.AddRange(unknown.Select(m => new CimError("2.4", "WARNING", "unknown meter", m)));
        if (unnamed > 0) errors.Add(new CimError("2.5", "WARNING", "names no meter (Assets/mRID, Meter/mRID): not recorded", $"{unnamed} of the payload's entries"));
        var result = errors.Count == 0 ? ReplyResult.OK : ReplyResult.PARTIAL;
        return new MdmDecision(Reply(now, header.Noun, id, result, errors), new MdmRecorded(id, records, digest));
    }

    public void Apply(MdmRecorded recorded)
    {
        _messages[recorded.MessageId] = recorded.Digest;
        foreach (var record in recorded.Records)
        {
            if (record.Kind != "MeterConfig") _events.Add(record.Source);
            var meter = _meters[record.Meter];
            meter.History.Add(record);
            if (record.Kind == "MeterConfig")
            {
                if (record.Firmware is { } firmware) meter.Firmware = firmware;
                if (record.ProgramId is { } program) meter.ProgramId = program;
                if (record.ConfigId is { } config) meter.ConfigId = config;
            }
        }
    }

    /// <summary>How many meters run each firmware version.</summary>
    public IReadOnlyDictionary<string, int> MetersPerVersion() =>
        _meters.Values.GroupBy(m => m.Firmware).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count());

    /// <summary>A payload's digest: SHA-256 of its content as AmiSim reads it, so that the same content written another way has the same digest.</summary>
    public static string DigestOf(ICimPayload payload)
    {
        var text = new StringBuilder();
        switch (payload)
        {
            case EndDeviceEvents events:
                foreach (var e in events.Events)
                {
                    text.Append('E').Append(e.Mrid).Append('|').Append(CimXml.Timestamp(e.CreatedDateTime)).Append('|').Append(e.MeterMrid).Append('|').Append(e.EventType).Append('|').Append(e.Reason);
                    foreach (var d in e.Details) text.Append('|').Append(d.Name).Append('=').Append(d.Value);
                    text.Append('\n');
                }
                break;
            case MeterConfig config:
                foreach (var m in config.Meters) text.Append('M').Append(m.Mrid).Append('|').Append(m.FirmwareId).Append('|').Append(m.ConfigId).Append('|').Append(m.ProgramId).Append('\n');
                break;
        }
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..32];
    }

    /// <summary>An event's identity: its mRID, or its meter, time and type when it has none.</summary>
    private static string EventKey(EndDeviceEvent e) => e.Mrid ?? $"{e.MeterMrid}@{CimXml.Timestamp(e.CreatedDateTime)}/{e.EventType}";

    /// <summary><c>get MeterConfig</c> and <c>get EndDeviceEvents</c>: the meters named in Request/ID (every meter when none is named, up to <see cref="MostMetersPerQuery"/>).</summary>
    private MdmDecision Query(CimMessage message, DateTime now)
    {
        var header = message.Header;
        var id = header.MessageId.Length > 0 ? header.MessageId : "?";
        var named = (message as RequestMessage)?.Request?.Ids ?? [];
        if (header.Noun is not ("MeterConfig" or "EndDeviceEvents"))
            return new MdmDecision(Reply(now, header.Noun, id, ReplyResult.FAILED, [new CimError("1.3", "FATAL", $"the MDM does not answer 'get {header.Noun}'", "it answers get of MeterConfig and EndDeviceEvents")]), null);
        var wanted = named.Count > 0 ? named.Distinct(StringComparer.Ordinal).ToList() : _meters.Keys.Order(StringComparer.Ordinal).ToList();
        if (wanted.Count > MostMetersPerQuery)
            return new MdmDecision(Reply(now, header.Noun, id, ReplyResult.FAILED, [new CimError("1.6", "FATAL", $"a get answers at most {MostMetersPerQuery:N0} meters: name them in Request/ID", $"{wanted.Count:N0} asked")]), null);
        var found = wanted.Where(_meters.ContainsKey).Select(m => _meters[m]).ToList();
        var errors = wanted.Where(m => !_meters.ContainsKey(m)).Select(m => new CimError("2.4", "WARNING", "unknown meter", m)).ToList();
        ICimPayload payload = header.Noun == "MeterConfig"
            ? new MeterConfig(found.Select(m => new MeterConfigEntry(m.Mrid, m.Firmware, m.ConfigId, m.ProgramId)).ToList())
            : new EndDeviceEvents(found.SelectMany(m => m.History.Where(r => r.Kind != "MeterConfig").Select(r => new EndDeviceEvent(r.Source, r.Time, m.Mrid, r.Kind, r.Reason,
                new[] { ("programId", r.ProgramId), ("version", r.Firmware), ("configId", r.ConfigId) }.Where(d => d.Item2 is not null).Select(d => new EventDetail(d.Item1, d.Item2)).ToList()))).ToList());
        var result = errors.Count == 0 ? ReplyResult.OK : found.Count > 0 ? ReplyResult.PARTIAL : ReplyResult.FAILED;
        return new MdmDecision(Reply(now, header.Noun, id, result, errors) with { Payload = payload }, null);
    }

    private static ResponseMessage Reply(DateTime now, string noun, string correlation, ReplyResult result, IReadOnlyList<CimError> errors) =>
        new(new CimHeader("reply", noun, now, Source, $"MDM-{correlation}-{(int)result}", correlation), new CimReply(result, errors));
}
