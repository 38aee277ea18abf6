using System.Globalization;
using System.Reflection;
using System.Text;
using System.Xml;
using System.Xml.Schema;

namespace AmiSim.Protocol.Cim;

/// <summary>
/// Writes and reads AmiSim's CIM messages as XML, element order as the schemas (Cim/Schemas) define,
/// and validates what it reads against them with System.Xml.Schema while reading it (<see cref="CimReader"/>).
/// </summary>
public static class CimXml
{
    public const string MessageNs = "http://iec.ch/TC57/2011/schema/message";
    public const string EndDeviceEventsNs = "http://iec.ch/TC57/2011/EndDeviceEvents#";
    public const string MeterConfigNs = "http://iec.ch/TC57/2011/MeterConfig#";
    public const string EndDeviceControlsNs = "http://iec.ch/TC57/2011/EndDeviceControls#";

    private static readonly Lazy<XmlSchemaSet> SchemaSet = new(LoadSchemas);

    /// <summary>The schemas of every message AmiSim writes and reads.</summary>
    public static XmlSchemaSet Schemas => SchemaSet.Value;

    private static readonly XmlWriterSettings WriterSettings = new() { Indent = true, Encoding = Encoding.UTF8 };

    /// <summary>The calling thread's text buffer for <see cref="Write"/>, kept between messages unless one made it large.</summary>
    [ThreadStatic] private static StringBuilder? _buffer;

    /// <summary>The message as an indented UTF-8 XML document, written straight from the model (no element tree).</summary>
    public static string Write(CimMessage message)
    {
        var builder = _buffer ??= new StringBuilder(16 * 1024);
        builder.Clear();
        using (var writer = XmlWriter.Create(new Utf8StringWriter(builder), WriterSettings))
        {
            writer.WriteStartDocument();
            WriteMessage(writer, message);
        }
        var xml = builder.ToString();
        if (builder.Capacity > 1 << 20) _buffer = null;
        return xml;
    }

    /// <summary>Writes the message's element (EventMessage, RequestMessage or ResponseMessage) at the writer's place: a document's root, or inside an envelope.</summary>
    public static void WriteMessage(XmlWriter writer, CimMessage message)
    {
        writer.WriteStartElement(message switch
        {
            EventMessage => "EventMessage",
            RequestMessage => "RequestMessage",
            ResponseMessage => "ResponseMessage",
            _ => throw new ArgumentException($"unknown message type {message.GetType().Name}", nameof(message)),
        }, MessageNs);
        WriteHeader(writer, message.Header);
        if (message is ResponseMessage response) WriteReply(writer, response.Reply);
        if (message is RequestMessage { Request: { } request }) WriteRequest(writer, request);
        if (message.Payload is { } payload)
        {
            writer.WriteStartElement("Payload", MessageNs);
            WritePayload(writer, payload);
            writer.WriteEndElement();
        }
        writer.WriteEndElement();
    }

    /// <summary>Validates and reads a message (bare: see <see cref="CimSoap.Read"/> for one in an envelope). <exception cref="CimFormatException">not XML, wrong namespace, or not valid against the schemas; says where.</exception></summary>
    public static CimMessage Parse(string xml) => CimReader.Validated(xml, CimReader.Message);

    public static string Timestamp(DateTime utc) => utc.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static void WriteHeader(XmlWriter writer, CimHeader header)
    {
        writer.WriteStartElement("Header", MessageNs);
        writer.WriteElementString("Verb", MessageNs, header.Verb);
        writer.WriteElementString("Noun", MessageNs, header.Noun);
        writer.WriteElementString("Revision", MessageNs, header.Revision);
        if (header.Replay is { } replay)
        {
            writer.WriteStartElement("ReplayDetection", MessageNs);
            writer.WriteElementString("Timestamp", MessageNs, Timestamp(replay.Timestamp));
            writer.WriteElementString("Nonce", MessageNs, replay.Nonce);
            writer.WriteEndElement();
        }
        writer.WriteElementString("Timestamp", MessageNs, Timestamp(header.Timestamp));
        writer.WriteElementString("Source", MessageNs, header.Source);
        if (header.AsyncReplyFlag is { } async) writer.WriteElementString("AsyncReplyFlag", MessageNs, async ? "true" : "false");
        if (header.ReplyAddress is { } replyAddress) writer.WriteElementString("ReplyAddress", MessageNs, replyAddress);
        if (header.AckRequired is { } ack) writer.WriteElementString("AckRequired", MessageNs, ack ? "true" : "false");
        writer.WriteElementString("MessageID", MessageNs, header.MessageId);
        if (header.CorrelationId is { } correlation) writer.WriteElementString("CorrelationID", MessageNs, correlation);
        writer.WriteEndElement();
    }

    private static void WriteReply(XmlWriter writer, CimReply reply)
    {
        writer.WriteStartElement("Reply", MessageNs);
        writer.WriteElementString("Result", MessageNs, reply.Result.ToString());
        foreach (var error in reply.Errors)
        {
            writer.WriteStartElement("Error", MessageNs);
            writer.WriteElementString("code", MessageNs, error.Code);
            writer.WriteElementString("level", MessageNs, error.Level);
            writer.WriteElementString("reason", MessageNs, error.Reason);
            if (error.Details is { } details) writer.WriteElementString("details", MessageNs, details);
            writer.WriteEndElement();
        }
        writer.WriteEndElement();
    }

    private static void WriteRequest(XmlWriter writer, CimRequest request)
    {
        writer.WriteStartElement("Request", MessageNs);
        foreach (var option in request.Options)
        {
            writer.WriteStartElement("Option", MessageNs);
            writer.WriteElementString("name", MessageNs, option.Name);
            if (option.Value is { } value) writer.WriteElementString("value", MessageNs, value);
            writer.WriteEndElement();
        }
        foreach (var id in request.Ids) writer.WriteElementString("ID", MessageNs, id);
        writer.WriteEndElement();
    }

    private static void WritePayload(XmlWriter writer, ICimPayload payload)
    {
        switch (payload)
        {
            case EndDeviceEvents events:
                writer.WriteStartElement("EndDeviceEvents", EndDeviceEventsNs);
                foreach (var e in events.Events)
                {
                    writer.WriteStartElement("EndDeviceEvent", EndDeviceEventsNs);
                    if (e.Mrid is { } mrid) writer.WriteElementString("mRID", EndDeviceEventsNs, mrid);
                    writer.WriteElementString("createdDateTime", EndDeviceEventsNs, Timestamp(e.CreatedDateTime));
                    if (e.Reason is { } reason) writer.WriteElementString("reason", EndDeviceEventsNs, reason);
                    if (e.MeterMrid is { } meterMrid)
                    {
                        writer.WriteStartElement("Assets", EndDeviceEventsNs);
                        writer.WriteElementString("mRID", EndDeviceEventsNs, meterMrid);
                        writer.WriteEndElement();
                    }
                    foreach (var detail in e.Details)
                    {
                        writer.WriteStartElement("EndDeviceEventDetails", EndDeviceEventsNs);
                        writer.WriteElementString("name", EndDeviceEventsNs, detail.Name);
                        if (detail.Value is { } value) writer.WriteElementString("value", EndDeviceEventsNs, value);
                        writer.WriteEndElement();
                    }
                    writer.WriteStartElement("EndDeviceEventType", EndDeviceEventsNs);
                    writer.WriteAttributeString("ref", e.EventType);
                    writer.WriteEndElement();
                    writer.WriteEndElement();
                }
                writer.WriteEndElement();
                break;
            case MeterConfig config:
                writer.WriteStartElement("MeterConfig", MeterConfigNs);
                foreach (var meter in config.Meters)
                {
                    writer.WriteStartElement("Meter", MeterConfigNs);
                    if (meter.Mrid is { } meterMrid) writer.WriteElementString("mRID", MeterConfigNs, meterMrid);
                    writer.WriteStartElement("SimpleEndDeviceFunction", MeterConfigNs);
                    if (meter.ConfigId is { } configId) writer.WriteElementString("configID", MeterConfigNs, configId);
                    if (meter.FirmwareId is { } firmwareId) writer.WriteElementString("firmwareID", MeterConfigNs, firmwareId);
                    if (meter.ProgramId is { } programId) writer.WriteElementString("programID", MeterConfigNs, programId);
                    writer.WriteEndElement();
                    writer.WriteEndElement();
                }
                writer.WriteEndElement();
                break;
            case EndDeviceControls controls:
                writer.WriteStartElement("EndDeviceControls", EndDeviceControlsNs);
                foreach (var control in controls.Controls)
                {
                    writer.WriteStartElement("EndDeviceControl", EndDeviceControlsNs);
                    if (control.Mrid is { } mrid) writer.WriteElementString("mRID", EndDeviceControlsNs, mrid);
                    if (control.Reason is { } reason) writer.WriteElementString("reason", EndDeviceControlsNs, reason);
                    writer.WriteStartElement("EndDeviceControlType", EndDeviceControlsNs);
                    writer.WriteAttributeString("ref", control.ControlType);
                    writer.WriteEndElement();
                    foreach (var (element, ids) in new[] { ("EndDeviceGroups", control.EndDeviceGroups), ("EndDevices", control.EndDevices) })
                        foreach (var id in ids)
                        {
                            writer.WriteStartElement(element, EndDeviceControlsNs);
                            writer.WriteElementString("mRID", EndDeviceControlsNs, id);
                            writer.WriteEndElement();
                        }
                    writer.WriteEndElement();
                }
                writer.WriteEndElement();
                break;
            default:
                throw new ArgumentException($"unknown payload {payload.GetType().Name}", nameof(payload));
        }
    }

    /// <summary>The schemas' file names, as <see cref="SchemaText"/> takes them.</summary>
    public static IReadOnlyList<string> SchemaNames { get; } = ["Message.xsd", "EndDeviceEvents.xsd", "MeterConfig.xsd", "EndDeviceControls.xsd", "SoapEnvelope.xsd"];

    /// <summary>A schema's text (to serve with a WSDL); null for a name not in <see cref="SchemaNames"/>.</summary>
    public static string? SchemaText(string name)
    {
        if (!SchemaNames.Contains(name)) return null;
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("cim/" + name)!;
        return new StreamReader(stream).ReadToEnd();
    }

    private static XmlSchemaSet LoadSchemas()
    {
        var set = new XmlSchemaSet();
        foreach (var name in SchemaNames)
        {
            using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("cim/" + name)
                               ?? throw new InvalidOperationException($"schema cim/{name} is not embedded");
            set.Add(XmlSchema.Read(stream, null)!);
        }
        set.Compile();
        return set;
    }

    private sealed class Utf8StringWriter(StringBuilder builder) : StringWriter(builder, CultureInfo.InvariantCulture)
    {
        public override Encoding Encoding => Encoding.UTF8;
    }
}
