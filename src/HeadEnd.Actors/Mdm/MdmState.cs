using AmiSim.Kernel;
using AmiSim.Protocol.Cim;
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
[MemoryPackable]
public sealed partial record MdmRecorded(string MessageId, IReadOnlyList<MeterRecord> Records) : IBinarySerialized;

/// <summary>What the MDM decided about a message: the reply, and what to record once durable (nothing for FAILED or a duplicate).</summary>
public sealed record MdmDecision(ResponseMessage Reply, MdmRecorded? Recorded, bool Duplicate = false);

/// <summary>
/// The MDM's state and rules, without actors. A message is recorded at most once (by MessageID) and
/// an event at most once (by its mRID); events for meters the MDM does not know are answered with
/// PARTIAL, one error per meter; a message that does not parse or validate is FAILED and records nothing.
/// </summary>
public sealed class MdmState
{
    public const string Source = "AmiSim-MDM";

    private readonly Dictionary<string, MdmMeter> _meters;
    private readonly HashSet<string> _messages = [];
    private readonly HashSet<string> _events = [];

    public MdmState(IEnumerable<(string Mrid, string Firmware)> fleet) =>
        _meters = fleet.ToDictionary(m => m.Mrid, m => new MdmMeter(m.Mrid, m.Firmware));

    public IReadOnlyDictionary<string, MdmMeter> Meters => _meters;

    public int MessagesRecorded => _messages.Count;

    public MdmDecision Decide(string xml, DateTime now)
    {
        CimMessage message;
        try
        {
            message = CimXml.Parse(xml);
        }
        catch (CimFormatException error)
        {
            return new MdmDecision(Reply(now, "?", "?", ReplyResult.FAILED, [new CimError("1.0", "FATAL", "malformed or invalid message", error.Message)]), null);
        }
        var header = message.Header;
        if (_messages.Contains(header.MessageId))
            return new MdmDecision(Reply(now, header.Noun, header.MessageId, ReplyResult.OK, [new CimError("0.3", "INFORM", "duplicate message, already recorded", header.MessageId)]), null, Duplicate: true);

        var records = new List<MeterRecord>();
        var eventsInMessage = new HashSet<string>(StringComparer.Ordinal);
        var unknown = new SortedSet<string>(StringComparer.Ordinal);
        switch (message.Payload)
        {
            case EndDeviceEvents events:
                foreach (var e in events.Events)
                {
                    if (!_meters.ContainsKey(e.MeterMrid)) { unknown.Add(e.MeterMrid); continue; }
                    if (_events.Contains(e.Mrid) || !eventsInMessage.Add(e.Mrid)) continue;
                    string? Detail(string name) => e.Details.FirstOrDefault(d => d.Name == name)?.Value;
                    records.Add(new MeterRecord(e.MeterMrid, e.Mrid, e.CreatedDateTime, e.EventType, Detail("programId"), Detail("version"), Detail("configId"), e.Reason));
                }
                break;
            case MeterConfig config:
                foreach (var m in config.Meters)
                {
                    if (!_meters.ContainsKey(m.Mrid)) { unknown.Add(m.Mrid); continue; }
                    records.Add(new MeterRecord(m.Mrid, header.MessageId, header.Timestamp, "MeterConfig", m.ProgramId, m.FirmwareId, m.ConfigId, null));
                }
                break;
            default:
                return new MdmDecision(Reply(now, header.Noun, header.MessageId, ReplyResult.FAILED,
                    [new CimError("1.2", "FATAL", "no payload AmiSim's MDM records", header.Noun)]), null);
        }
        var errors = unknown.Select(m => new CimError("2.4", "WARNING", "unknown meter", m)).ToList();
        var result = errors.Count == 0 ? ReplyResult.OK : ReplyResult.PARTIAL;
        return new MdmDecision(Reply(now, header.Noun, header.MessageId, result, errors), new MdmRecorded(header.MessageId, records));
    }

    public void Apply(MdmRecorded recorded)
    {
        _messages.Add(recorded.MessageId);
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

    private static ResponseMessage Reply(DateTime now, string noun, string correlation, ReplyResult result, IReadOnlyList<CimError> errors) =>
        new(new CimHeader("reply", noun, now, Source, $"MDM-{correlation}-{(int)result}", correlation), new CimReply(result, errors));
}
