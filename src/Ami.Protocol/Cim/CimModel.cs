namespace AmiSim.Protocol.Cim;

/// <summary>The IEC 61968-100 message header (the fields AmiSim uses; written in the standard's order).</summary>
/// <param name="ReplyAddress">where the asynchronous result of a request goes (with <paramref name="AsyncReplyFlag"/>).</param>
/// <param name="Replay">the sender's replay detection: when it sent the message and a value it never sends twice.</param>
public sealed record CimHeader(
    string Verb,
    string Noun,
    DateTime Timestamp,
    string Source,
    string MessageId,
    string? CorrelationId = null,
    bool? AckRequired = null,
    string Revision = "2.0",
    string? ReplyAddress = null,
    bool? AsyncReplyFlag = null,
    ReplayDetection? Replay = null);

/// <summary>Header/ReplayDetection: the time the sender stamped and its nonce.</summary>
public sealed record ReplayDetection(DateTime Timestamp, string Nonce);

/// <summary>A request's parameters (RequestMessage/Request): the objects it is about (ID) and its options.</summary>
public sealed record CimRequest(IReadOnlyList<string> Ids, IReadOnlyList<EventDetail> Options)
{
    public static readonly CimRequest None = new([], []);
}

public enum ReplyResult
{
    OK,
    PARTIAL,
    FAILED,
}

/// <summary>One error of a reply; <paramref name="Level"/> is INFORM, WARNING, FATAL or CATASTROPHIC.</summary>
public sealed record CimError(string Code, string Level, string Reason, string? Details = null);

public sealed record CimReply(ReplyResult Result, IReadOnlyList<CimError> Errors);

/// <summary>The noun's root element inside a message's Payload.</summary>
public interface ICimPayload
{
    string Noun { get; }
}

/// <summary>An envelope: EventMessage, RequestMessage or ResponseMessage.</summary>
public abstract record CimMessage(CimHeader Header, ICimPayload? Payload);

public sealed record EventMessage(CimHeader Header, ICimPayload? Payload) : CimMessage(Header, Payload);

public sealed record RequestMessage(CimHeader Header, ICimPayload? Payload, CimRequest? Request = null) : CimMessage(Header, Payload);

public sealed record ResponseMessage(CimHeader Header, CimReply Reply, ICimPayload? Payload = null) : CimMessage(Header, Payload);

/// <summary>What happened at meters (IEC 61968-9 EndDeviceEvents).</summary>
public sealed record EndDeviceEvents(IReadOnlyList<EndDeviceEvent> Events) : ICimPayload
{
    public string Noun => "EndDeviceEvents";
}

/// <summary>
/// One event at one meter. <paramref name="EventType"/> is type.domain.subDomain.eventOrAction
/// (<see cref="EndDeviceEventTypes"/>); <paramref name="MeterMrid"/> goes to Assets/mRID. Both mRIDs
/// are optional in the published schema: AmiSim always writes them, and reads messages without.
/// </summary>
public sealed record EndDeviceEvent(
    string? Mrid,
    DateTime CreatedDateTime,
    string? MeterMrid,
    string EventType,
    string? Reason,
    IReadOnlyList<EventDetail> Details);

public sealed record EventDetail(string Name, string? Value);

/// <summary>Meters' configuration (IEC 61968-9 MeterConfig): here, each meter's program identity after a change.</summary>
public sealed record MeterConfig(IReadOnlyList<MeterConfigEntry> Meters) : ICimPayload
{
    public string Noun => "MeterConfig";
}

/// <summary>A meter and its SimpleEndDeviceFunction's identities: firmware version, configuration and program.</summary>
/// <remarks><paramref name="Mrid"/> is optional in the published schema (a meter may be named only by Names); AmiSim always writes it.</remarks>
public sealed record MeterConfigEntry(string? Mrid, string? FirmwareId, string? ConfigId, string? ProgramId);

/// <summary>Commands to meters (IEC 61968-9 EndDeviceControls): here, to program them with a loaded package.</summary>
public sealed record EndDeviceControls(IReadOnlyList<EndDeviceControl> Controls) : ICimPayload
{
    public string Noun => "EndDeviceControls";
}

/// <summary>One command: its type (<see cref="EndDeviceControlTypes"/>), the meters (EndDevices/mRID) and groups (EndDeviceGroups/mRID) it is for.</summary>
public sealed record EndDeviceControl(string? Mrid, string ControlType, IReadOnlyList<string> EndDevices, IReadOnlyList<string> EndDeviceGroups, string? Reason = null);

/// <summary>EndDeviceControlType codes AmiSim's head-end takes.</summary>
public static class EndDeviceControlTypes
{
    /// <summary>Meter, firmware, program, start: program the meters with the loaded firmware package.</summary>
    public const string FirmwareProgram = "3.11.83.54";
    /// <summary>Meter, configuration, program, start: program the meters with the loaded configuration program.</summary>
    public const string ConfigurationProgram = "3.7.83.54";
}

/// <summary>EndDeviceEventType codes AmiSim sends (REFERENCE.md section 5).</summary>
public static class EndDeviceEventTypes
{
    public const string FirmwareUpgradeStarted = "3.11.83.54";
    public const string FirmwareUpgradeCompleted = "3.11.83.58";
    public const string FirmwareUpgradeFailed = "3.11.83.85";
    public const string FirmwareActivated = "3.11.283.4";
    /// <summary>Configuration (domain 7) program reprogrammed.</summary>
    public const string ConfigurationChanged = "3.7.83.213";
    public const string ConfigurationChangeFailed = "3.7.83.85";
}

/// <summary>A CIM message that is not well formed or does not validate; the message says where and why.</summary>
public sealed class CimFormatException(string message) : Exception(message);

/// <summary>A CIM message on its way between the head-end and the MDM: XML text, the boundary between them.</summary>
public sealed record CimDelivery(string Xml);
