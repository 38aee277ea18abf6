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

    public static string Write(CimMessage message)
    {
        var root = message switch
        {
            EventMessage => new XElement(Msg + "EventMessage", HeaderElement(message.Header)),
            RequestMessage => new XElement(Msg + "RequestMessage", HeaderElement(message.Header)),
            ResponseMessage response => new XElement(Msg + "ResponseMessage", HeaderElement(message.Header), ReplyElement(response.Reply)),
            _ => throw new ArgumentException($"unknown message type {message.GetType().Name}", nameof(message)),
        };
        if (message.Payload is { } payload) root.Add(new XElement(Msg + "Payload", PayloadElement(payload)));
        var document = new XDocument(new XDeclaration("1.0", "utf-8", null), root);
        var builder = new StringBuilder();
        using (var writer = XmlWriter.Create(new Utf8StringWriter(builder), new XmlWriterSettings { Indent = true, Encoding = Encoding.UTF8 }))
            document.Save(writer);
        return builder.ToString();
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

    private static XElement HeaderElement(CimHeader header)
    {
        var element = new XElement(Msg + "Header",
            new XElement(Msg + "Verb", header.Verb),
            new XElement(Msg + "Noun", header.Noun),
            new XElement(Msg + "Revision", header.Revision),
            new XElement(Msg + "Timestamp", Timestamp(header.Timestamp)),
            new XElement(Msg + "Source", header.Source));
        if (header.AckRequired is { } ack) element.Add(new XElement(Msg + "AckRequired", ack ? "true" : "false"));
        element.Add(new XElement(Msg + "MessageID", header.MessageId));
        if (header.CorrelationId is { } correlation) element.Add(new XElement(Msg + "CorrelationID", correlation));
        return element;
    }

    private static XElement ReplyElement(CimReply reply) =>
        new(Msg + "Reply",
            new XElement(Msg + "Result", reply.Result.ToString()),
            reply.Errors.Select(e => new XElement(Msg + "Error",
                new XElement(Msg + "code", e.Code),
                new XElement(Msg + "level", e.Level),
                new XElement(Msg + "reason", e.Reason),
                e.Details is null ? null : new XElement(Msg + "details", e.Details))));

    private static XElement PayloadElement(ICimPayload payload) => payload switch
    {
        EndDeviceEvents events => new XElement(Ede + "EndDeviceEvents", events.Events.Select(e =>
            new XElement(Ede + "EndDeviceEvent",
                new XElement(Ede + "mRID", e.Mrid),
                new XElement(Ede + "createdDateTime", Timestamp(e.CreatedDateTime)),
                e.Reason is null ? null : new XElement(Ede + "reason", e.Reason),
                new XElement(Ede + "Assets", new XElement(Ede + "mRID", e.MeterMrid)),
                e.Details.Select(d => new XElement(Ede + "EndDeviceEventDetails",
                    new XElement(Ede + "name", d.Name),
                    d.Value is null ? null : new XElement(Ede + "value", d.Value))),
                new XElement(Ede + "EndDeviceEventType", new XAttribute("ref", e.EventType))))),
        MeterConfig config => new XElement(Mc + "MeterConfig", config.Meters.Select(m =>
            new XElement(Mc + "Meter",
                new XElement(Mc + "mRID", m.Mrid),
                new XElement(Mc + "SimpleEndDeviceFunction",
                    m.ConfigId is null ? null : new XElement(Mc + "configID", m.ConfigId),
                    m.FirmwareId is null ? null : new XElement(Mc + "firmwareID", m.FirmwareId),
                    m.ProgramId is null ? null : new XElement(Mc + "programID", m.ProgramId))))),
        _ => throw new ArgumentException($"unknown payload {payload.GetType().Name}", nameof(payload)),
    };

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
