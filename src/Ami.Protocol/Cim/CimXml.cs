using System.Globalization;
using System.Reflection;
using System.Text;
using System.Xml;
using System.Xml.Linq;
using System.Xml.Schema;

namespace AmiSim.Protocol.Cim;

/// <summary>
/// Writes and reads AmiSim's CIM messages as XML, element order as the schemas (Cim/Schemas) define,
/// and validates what it reads against them with System.Xml.Schema.
/// </summary>
public static class CimXml
{
    public const string MessageNs = "http://iec.ch/TC57/2011/schema/message";
    public const string EndDeviceEventsNs = "http://iec.ch/TC57/2011/EndDeviceEvents#";
    public const string MeterConfigNs = "http://iec.ch/TC57/2011/MeterConfig#";

    private static readonly XNamespace Msg = MessageNs;
    private static readonly XNamespace Ede = EndDeviceEventsNs;
    private static readonly XNamespace Mc = MeterConfigNs;
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
            writer.WriteStartElement(message switch
            {
                EventMessage => "EventMessage",
                RequestMessage => "RequestMessage",
                ResponseMessage => "ResponseMessage",
                _ => throw new ArgumentException($"unknown message type {message.GetType().Name}", nameof(message)),
            }, MessageNs);
            WriteHeader(writer, message.Header);
            if (message is ResponseMessage response) WriteReply(writer, response.Reply);
            if (message.Payload is { } payload)
            {
                writer.WriteStartElement("Payload", MessageNs);
                WritePayload(writer, payload);
                writer.WriteEndElement();
            }
            writer.WriteEndElement();
        }
        var xml = builder.ToString();
        if (builder.Capacity > 1 << 20) _buffer = null;
        return xml;
    }

    /// <summary>Validates and reads a message. <exception cref="CimFormatException">not XML, wrong namespace, or not valid against the schemas; says where.</exception></summary>
    public static CimMessage Parse(string xml)
    {
        XDocument document;
        try
        {
            var errors = new List<string>();
            var settings = new XmlReaderSettings { ValidationType = ValidationType.Schema, Schemas = Schemas, DtdProcessing = DtdProcessing.Prohibit };
            settings.ValidationFlags |= XmlSchemaValidationFlags.ReportValidationWarnings;
            settings.ValidationEventHandler += (_, e) => errors.Add($"line {e.Exception.LineNumber}, position {e.Exception.LinePosition}: {e.Message}");
            using var reader = XmlReader.Create(new StringReader(xml), settings);
            document = XDocument.Load(reader); // positions are reported by the validating reader, so the tree needs none
            if (errors.Count > 0) throw new CimFormatException("not valid against the CIM schemas: " + string.Join("; ", errors.Take(5)));
        }
        catch (XmlException error)
        {
            throw new CimFormatException($"not well-formed XML: {error.Message}");
        }
        var root = document.Root!;
        if (root.Name.Namespace != Msg) throw new CimFormatException($"the root element {root.Name} is not in {MessageNs}");
        var header = ReadHeader(root.Element(Msg + "Header")!);
        var payload = root.Element(Msg + "Payload")?.Elements().FirstOrDefault() is { } element ? ReadPayload(element) : null;
        return root.Name.LocalName switch
        {
            "EventMessage" => new EventMessage(header, payload),
            "RequestMessage" => new RequestMessage(header, payload),
            "ResponseMessage" => new ResponseMessage(header, ReadReply(root.Element(Msg + "Reply")!), payload),
            var name => throw new CimFormatException($"{name} is not a message AmiSim reads"),
        };
    }

    public static string Timestamp(DateTime utc) => utc.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static void WriteHeader(XmlWriter writer, CimHeader header)
    {
        writer.WriteStartElement("Header", MessageNs);
        writer.WriteElementString("Verb", MessageNs, header.Verb);
        writer.WriteElementString("Noun", MessageNs, header.Noun);
        writer.WriteElementString("Revision", MessageNs, header.Revision);
        writer.WriteElementString("Timestamp", MessageNs, Timestamp(header.Timestamp));
        writer.WriteElementString("Source", MessageNs, header.Source);
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

    private static void WritePayload(XmlWriter writer, ICimPayload payload)
    {
        switch (payload)
        {
            case EndDeviceEvents events:
                writer.WriteStartElement("EndDeviceEvents", EndDeviceEventsNs);
                foreach (var e in events.Events)
                {
                    writer.WriteStartElement("EndDeviceEvent", EndDeviceEventsNs);
                    writer.WriteElementString("mRID", EndDeviceEventsNs, e.Mrid);
                    writer.WriteElementString("createdDateTime", EndDeviceEventsNs, Timestamp(e.CreatedDateTime));
                    if (e.Reason is { } reason) writer.WriteElementString("reason", EndDeviceEventsNs, reason);
                    writer.WriteStartElement("Assets", EndDeviceEventsNs);
                    writer.WriteElementString("mRID", EndDeviceEventsNs, e.MeterMrid);
                    writer.WriteEndElement();
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
                    writer.WriteElementString("mRID", MeterConfigNs, meter.Mrid);
                    writer.WriteStartElement("SimpleEndDeviceFunction", MeterConfigNs);
                    if (meter.ConfigId is { } configId) writer.WriteElementString("configID", MeterConfigNs, configId);
                    if (meter.FirmwareId is { } firmwareId) writer.WriteElementString("firmwareID", MeterConfigNs, firmwareId);
                    if (meter.ProgramId is { } programId) writer.WriteElementString("programID", MeterConfigNs, programId);
                    writer.WriteEndElement();
                    writer.WriteEndElement();
                }
                writer.WriteEndElement();
                break;
            default:
                throw new ArgumentException($"unknown payload {payload.GetType().Name}", nameof(payload));
        }
    }

    private static CimHeader ReadHeader(XElement header)
    {
        string? Text(string name) => header.Element(Msg + name)?.Value;
        return new CimHeader(
            Text("Verb")!,
            Text("Noun")!,
            Text("Timestamp") is { } ts ? XmlConvert.ToDateTime(ts, XmlDateTimeSerializationMode.Utc) : default,
            Text("Source") ?? "",
            Text("MessageID") ?? throw new CimFormatException("Header/MessageID is required by AmiSim"),
            Text("CorrelationID"),
            Text("AckRequired") is { } ack ? XmlConvert.ToBoolean(ack) : null,
            Text("Revision") ?? "");
    }

    private static CimReply ReadReply(XElement reply) =>
        new(Enum.Parse<ReplyResult>(reply.Element(Msg + "Result")!.Value),
            reply.Elements(Msg + "Error").Select(e => new CimError(
                e.Element(Msg + "code")!.Value,
                e.Element(Msg + "level")?.Value ?? "",
                e.Element(Msg + "reason")?.Value ?? "",
                e.Element(Msg + "details")?.Value)).ToList());

    private static ICimPayload ReadPayload(XElement element)
    {
        if (element.Name == Ede + "EndDeviceEvents")
            return new EndDeviceEvents(element.Elements(Ede + "EndDeviceEvent").Select(e => new EndDeviceEvent(
                e.Element(Ede + "mRID")?.Value ?? throw new CimFormatException("EndDeviceEvent/mRID is required by AmiSim"),
                XmlConvert.ToDateTime(e.Element(Ede + "createdDateTime")!.Value, XmlDateTimeSerializationMode.Utc),
                e.Element(Ede + "Assets")?.Element(Ede + "mRID")?.Value ?? throw new CimFormatException($"EndDeviceEvent {e.Element(Ede + "mRID")!.Value}: Assets/mRID (the meter) is required"),
                e.Element(Ede + "EndDeviceEventType")!.Attribute("ref")!.Value,
                e.Element(Ede + "reason")?.Value,
                e.Elements(Ede + "EndDeviceEventDetails").Select(d => new EventDetail(d.Element(Ede + "name")!.Value, d.Element(Ede + "value")?.Value)).ToList())).ToList());
        if (element.Name == Mc + "MeterConfig")
            return new MeterConfig(element.Elements(Mc + "Meter").Select(m =>
            {
                var function = m.Element(Mc + "SimpleEndDeviceFunction")!;
                return new MeterConfigEntry(m.Element(Mc + "mRID")!.Value, function.Element(Mc + "firmwareID")?.Value,
                    function.Element(Mc + "configID")?.Value, function.Element(Mc + "programID")?.Value);
            }).ToList());
        throw new CimFormatException($"payload {element.Name} is not a noun AmiSim reads");
    }

    private static XmlSchemaSet LoadSchemas()
    {
        var set = new XmlSchemaSet();
        foreach (var name in new[] { "Message.xsd", "EndDeviceEvents.xsd", "MeterConfig.xsd" })
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
