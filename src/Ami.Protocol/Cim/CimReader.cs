using System.Xml;
using System.Xml.Schema;

namespace AmiSim.Protocol.Cim;

/// <summary>
/// Reads CIM messages straight from the schema-validating XML reader, element by element, into the
/// model: no element tree is built. What the schemas allow and AmiSim does not use is skipped.
/// </summary>
/// <remarks>
/// A document is read to its end whatever happens, so that every validation error is found: those
/// errors are what a refusal says first; what does not fit the model comes second; XML that is not
/// well formed is refused as that.
/// </remarks>
internal static class CimReader
{
    private const string Msg = CimXml.MessageNs;
    private const string Ede = CimXml.EndDeviceEventsNs;
    private const string Mc = CimXml.MeterConfigNs;
    private const string Edc = CimXml.EndDeviceControlsNs;

    /// <summary>
    /// Validates <paramref name="xml"/> against the CIM schemas (and SOAP 1.1's envelope) while
    /// <paramref name="read"/> reads it from its root element.
    /// <exception cref="CimFormatException">not XML, not valid, or not what <paramref name="read"/> reads; says which and where.</exception>
    /// </summary>
    public static T Validated<T>(string xml, Func<XmlReader, T> read)
    {
        var errors = new List<string>();
        var settings = new XmlReaderSettings
        {
            ValidationType = ValidationType.Schema, Schemas = CimXml.Schemas, DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null,
            IgnoreWhitespace = true, IgnoreComments = true, IgnoreProcessingInstructions = true,
        };
        settings.ValidationFlags |= XmlSchemaValidationFlags.ReportValidationWarnings;
        settings.ValidationEventHandler += (_, e) =>
        {
            // Lax extension points report what they do not know as warnings: that is what lax means.
            if (e.Severity == XmlSeverityType.Warning && e.Message.Contains("Could not find schema information", StringComparison.Ordinal)) return;
            errors.Add($"line {e.Exception.LineNumber}, position {e.Exception.LinePosition}: {e.Message}");
        };
        try
        {
            using var reader = XmlReader.Create(new StringReader(xml), settings);
            if (reader.MoveToContent() != XmlNodeType.Element) throw new CimFormatException("not well-formed XML: no root element");
            T result = default!;
            Exception? unread = null;
            try
            {
                result = read(reader);
            }
            catch (Exception error) when (error is not XmlException)
            {
                unread = error;
            }
            while (reader.Read()) { } // the rest is validated too
            if (errors.Count > 0) throw new CimFormatException("not valid against the CIM schemas: " + string.Join("; ", errors.Take(5)));
            return unread switch
            {
                null => result,
                CimFormatException shape => throw shape,
                _ => throw new CimFormatException($"not readable as a CIM message: {unread.Message}"),
            };
        }
        catch (XmlException error) when (error.Message.Contains("DTD", StringComparison.Ordinal))
        {
            throw new CimFormatException($"a DTD (<!DOCTYPE ...>, line {error.LineNumber}): a CIM message has none, and none is read");
        }
        catch (XmlException error)
        {
            throw new CimFormatException($"not well-formed XML: {error.Message}");
        }
    }

    /// <summary>The element's name as the refusals give it: {namespace}local.</summary>
    public static string NameOf(XmlReader reader) => reader.NamespaceURI.Length == 0 ? reader.LocalName : $"{{{reader.NamespaceURI}}}{reader.LocalName}";

    /// <summary>
    /// Moves past the element the reader is on, reading all of it: the validating reader's own Skip
    /// would leave its content unvalidated.
    /// </summary>
    public static void Pass(XmlReader reader)
    {
        if (reader.IsEmptyElement)
        {
            reader.Read();
            return;
        }
        var depth = reader.Depth;
        while (reader.Read() && reader.Depth > depth) { }
        if (reader.NodeType == XmlNodeType.EndElement && reader.Depth == depth) reader.Read();
    }

    /// <summary>Moves into the element the reader is on; false (and past it) when it is empty.</summary>
    public static bool Enter(XmlReader reader)
    {
        var empty = reader.IsEmptyElement;
        reader.Read();
        return !empty;
    }

    /// <summary>Inside an element: moves to its next child element; false (and past the element's end) when there is none.</summary>
    public static bool NextChild(XmlReader reader)
    {
        while (true)
        {
            switch (reader.NodeType)
            {
                case XmlNodeType.Element:
                    return true;
                case XmlNodeType.EndElement:
                    reader.Read();
                    return false;
                case XmlNodeType.None when reader.EOF:
                    return false;
                default:
                    reader.Read(); // text where there should be none: the validator has said so
                    break;
            }
        }
    }

    /// <summary>The text of the element the reader is on (its child elements skipped); the reader moves past it.</summary>
    private static string Text(XmlReader reader)
    {
        if (!Enter(reader)) return "";
        string? text = null;
        while (reader.NodeType is not (XmlNodeType.EndElement or XmlNodeType.None))
        {
            if (reader.NodeType is XmlNodeType.Text or XmlNodeType.CDATA or XmlNodeType.SignificantWhitespace or XmlNodeType.Whitespace)
            {
                text = text is null ? reader.Value : text + reader.Value;
                reader.Read();
            }
            else if (reader.NodeType == XmlNodeType.Element) Pass(reader);
            else reader.Read();
        }
        if (reader.NodeType == XmlNodeType.EndElement) reader.Read();
        return text ?? "";
    }

    private static DateTime Time(XmlReader reader) => XmlConvert.ToDateTime(Text(reader), XmlDateTimeSerializationMode.Utc);

    /// <summary>Whether the reader is on a child element <paramref name="name"/> of namespace <paramref name="ns"/>.</summary>
    private static bool Is(XmlReader reader, string ns, string name) => reader.LocalName == name && reader.NamespaceURI == ns;

    /// <summary>The message element the reader is on (EventMessage, RequestMessage or ResponseMessage); the reader moves past it.</summary>
    public static CimMessage Message(XmlReader reader)
    {
        if (reader.NamespaceURI != Msg) throw new CimFormatException($"the root element {NameOf(reader)} is not in {Msg}");
        var kind = reader.LocalName;
        if (kind is not ("EventMessage" or "RequestMessage" or "ResponseMessage")) throw new CimFormatException($"{kind} is not a message AmiSim reads");
        CimHeader? header = null;
        CimRequest? request = null;
        CimReply? reply = null;
        ICimPayload? payload = null;
        if (Enter(reader))
            while (NextChild(reader))
            {
                if (reader.NamespaceURI != Msg) Pass(reader);
                else if (reader.LocalName == "Header") header = Header(reader);
                else if (reader.LocalName == "Request") request = Request(reader);
                else if (reader.LocalName == "Reply") reply = Reply(reader);
                else if (reader.LocalName == "Payload") payload = Payload(reader);
                else Pass(reader);
            }
        if (header is null) throw new CimFormatException($"the {kind} has no Header");
        return kind switch
        {
            "EventMessage" => new EventMessage(header, payload),
            "RequestMessage" => new RequestMessage(header, payload, request),
            _ => new ResponseMessage(header, reply ?? throw new CimFormatException("the ResponseMessage has no Reply"), payload),
        };
    }

    private static CimHeader Header(XmlReader reader)
    {
        string? verb = null, noun = null, source = null, messageId = null, correlation = null, revision = null, replyAddress = null;
        DateTime timestamp = default;
        bool? ack = null, async = null;
        ReplayDetection? replay = null;
        if (Enter(reader))
            while (NextChild(reader))
            {
                if (reader.NamespaceURI != Msg) { Pass(reader); continue; }
                switch (reader.LocalName)
                {
                    case "Verb": verb = Text(reader); break;
                    case "Noun": noun = Text(reader); break;
                    case "Revision": revision = Text(reader); break;
                    case "Timestamp": timestamp = Time(reader); break;
                    case "Source": source = Text(reader); break;
                    case "AsyncReplyFlag": async = XmlConvert.ToBoolean(Text(reader)); break;
                    case "ReplyAddress": replyAddress = Text(reader); break;
                    case "AckRequired": ack = XmlConvert.ToBoolean(Text(reader)); break;
                    case "MessageID": messageId = Text(reader); break;
                    case "CorrelationID": correlation = Text(reader); break;
                    case "ReplayDetection": replay = Replay(reader); break;
                    default: Pass(reader); break;
                }
            }
        return new CimHeader(verb ?? throw new CimFormatException("the Header has no Verb"), noun ?? throw new CimFormatException("the Header has no Noun"),
            timestamp, source ?? "", messageId ?? "", correlation, ack, revision ?? "", replyAddress, async, replay);
    }

    private static ReplayDetection Replay(XmlReader reader)
    {
        DateTime? timestamp = null;
        string? nonce = null;
        if (Enter(reader))
            while (NextChild(reader))
            {
                if (Is(reader, Msg, "Timestamp")) timestamp = Time(reader);
                else if (Is(reader, Msg, "Nonce")) nonce = Text(reader);
                else Pass(reader);
            }
        return new ReplayDetection(timestamp ?? throw new CimFormatException("ReplayDetection has no Timestamp"), nonce ?? throw new CimFormatException("ReplayDetection has no Nonce"));
    }

    private static CimRequest Request(XmlReader reader)
    {
        var ids = new List<string>();
        var options = new List<EventDetail>();
        if (Enter(reader))
            while (NextChild(reader))
            {
                if (Is(reader, Msg, "ID")) ids.Add(Text(reader).Trim());
                else if (Is(reader, Msg, "Option")) options.Add(NameValue(reader, Msg, "Option"));
                else Pass(reader);
            }
        return new CimRequest(ids, options);
    }

    /// <summary>An element of a name and an optional value (Request/Option, EndDeviceEventDetails).</summary>
    private static EventDetail NameValue(XmlReader reader, string ns, string element)
    {
        string? name = null, value = null;
        if (Enter(reader))
            while (NextChild(reader))
            {
                if (Is(reader, ns, "name")) name = Text(reader);
                else if (Is(reader, ns, "value")) value = Text(reader);
                else Pass(reader);
            }
        return new EventDetail(name ?? throw new CimFormatException($"{element} has no name"), value);
    }

    private static CimReply Reply(XmlReader reader)
    {
        ReplyResult? result = null;
        var errors = new List<CimError>();
        if (Enter(reader))
            while (NextChild(reader))
            {
                if (Is(reader, Msg, "Result")) result = Enum.Parse<ReplyResult>(Text(reader));
                else if (Is(reader, Msg, "Error")) errors.Add(Error(reader));
                else Pass(reader);
            }
        return new CimReply(result ?? throw new CimFormatException("the Reply has no Result"), errors);
    }

    private static CimError Error(XmlReader reader)
    {
        string? code = null, level = null, reason = null, details = null;
        if (Enter(reader))
            while (NextChild(reader))
            {
                if (reader.NamespaceURI != Msg) { Pass(reader); continue; }
                switch (reader.LocalName)
                {
                    case "code": code = Text(reader); break;
                    case "level": level = Text(reader); break;
                    case "reason": reason = Text(reader); break;
                    case "details": details = Text(reader); break;
                    default: Pass(reader); break;
                }
            }
        return new CimError(code ?? throw new CimFormatException("an Error has no code"), level ?? "", reason ?? "", details);
    }

    /// <summary>The noun's root element in Payload; null when the payload holds none (OperationSet, Compressed are refused).</summary>
    private static ICimPayload? Payload(XmlReader reader)
    {
        ICimPayload? payload = null;
        string? other = null;
        if (Enter(reader))
            while (NextChild(reader))
            {
                if (reader.NamespaceURI == Msg || payload is not null)
                {
                    other ??= reader.NamespaceURI == Msg ? reader.LocalName : null;
                    Pass(reader);
                }
                else if (Is(reader, Ede, "EndDeviceEvents")) payload = Events(reader);
                else if (Is(reader, Mc, "MeterConfig")) payload = Config(reader);
                else if (Is(reader, Edc, "EndDeviceControls")) payload = Controls(reader);
                else throw new CimFormatException($"payload {NameOf(reader)} is not a noun AmiSim reads");
            }
        return payload ?? (other is not null ? throw new CimFormatException($"Payload/{other} is not a payload AmiSim reads (it reads the noun's element itself)") : null);
    }

    private static EndDeviceEvents Events(XmlReader reader) => new(Each(reader, Ede, "EndDeviceEvent", Event));

    private static EndDeviceEvent Event(XmlReader reader)
    {
        string? mrid = null, meter = null, type = null, reason = null;
        DateTime? created = null;
        var details = new List<EventDetail>(2);
        if (Enter(reader))
            while (NextChild(reader))
            {
                if (reader.NamespaceURI != Ede) { Pass(reader); continue; }
                switch (reader.LocalName)
                {
                    case "mRID": mrid = Text(reader); break;
                    case "createdDateTime": created = Time(reader); break;
                    case "reason": reason = Text(reader); break;
                    case "Assets": meter ??= FirstMrid(reader, Ede); break;
                    case "EndDeviceEventDetails": details.Add(NameValue(reader, Ede, "EndDeviceEventDetails")); break;
                    case "EndDeviceEventType":
                        type = reader.GetAttribute("ref");
                        Pass(reader);
                        break;
                    default: Pass(reader); break;
                }
            }
        return new EndDeviceEvent(mrid, created ?? throw new CimFormatException("an EndDeviceEvent has no createdDateTime"), meter,
            type ?? throw new CimFormatException("an EndDeviceEvent has no EndDeviceEventType ref"), reason, details);
    }

    /// <summary>Each child <paramref name="name"/> of the element the reader is on, read by <paramref name="read"/>; other children are passed over.</summary>
    private static List<T> Each<T>(XmlReader reader, string ns, string name, Func<XmlReader, T> read)
    {
        var items = new List<T>();
        if (Enter(reader))
            while (NextChild(reader))
            {
                if (Is(reader, ns, name)) items.Add(read(reader));
                else Pass(reader);
            }
        return items;
    }

    /// <summary>The mRID of the element the reader is on (Assets, EndDevices, EndDeviceGroups); null when it has none.</summary>
    private static string? FirstMrid(XmlReader reader, string ns)
    {
        string? mrid = null;
        if (Enter(reader))
            while (NextChild(reader))
            {
                if (mrid is null && Is(reader, ns, "mRID")) mrid = Text(reader);
                else Pass(reader);
            }
        return mrid;
    }

    private static MeterConfig Config(XmlReader reader) => new(Each(reader, Mc, "Meter", ConfigMeter));

    /// <summary>A meter may have several functions: its identities are the first each one gives.</summary>
    private static MeterConfigEntry ConfigMeter(XmlReader reader)
    {
        string? mrid = null, firmware = null, config = null, program = null;
        if (Enter(reader))
            while (NextChild(reader))
            {
                if (Is(reader, Mc, "mRID")) mrid = Text(reader);
                else if (Is(reader, Mc, "SimpleEndDeviceFunction") && Enter(reader))
                    while (NextChild(reader))
                    {
                        if (Is(reader, Mc, "firmwareID")) firmware ??= Text(reader);
                        else if (Is(reader, Mc, "configID")) config ??= Text(reader);
                        else if (Is(reader, Mc, "programID")) program ??= Text(reader);
                        else Pass(reader);
                    }
                else Pass(reader);
            }
        return new MeterConfigEntry(mrid, firmware, config, program);
    }

    private static EndDeviceControls Controls(XmlReader reader) => new(Each(reader, Edc, "EndDeviceControl", Control));

    private static EndDeviceControl Control(XmlReader reader)
    {
        string? mrid = null, type = null, reason = null;
        var devices = new List<string>();
        var groups = new List<string>();
        if (Enter(reader))
            while (NextChild(reader))
            {
                if (reader.NamespaceURI != Edc) { Pass(reader); continue; }
                switch (reader.LocalName)
                {
                    case "mRID": mrid = Text(reader); break;
                    case "reason": reason = Text(reader); break;
                    case "EndDeviceControlType":
                        type = reader.GetAttribute("ref");
                        Pass(reader);
                        break;
                    case "EndDevices":
                        if (FirstMrid(reader, Edc) is { } device) devices.Add(device);
                        break;
                    case "EndDeviceGroups":
                        if (FirstMrid(reader, Edc) is { } group) groups.Add(group);
                        break;
                    default: Pass(reader); break;
                }
            }
        return new EndDeviceControl(mrid, type ?? throw new CimFormatException("an EndDeviceControl has no EndDeviceControlType ref"), devices, groups, reason);
    }
}
