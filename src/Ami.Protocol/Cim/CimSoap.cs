using System.Text;
using System.Xml;

namespace AmiSim.Protocol.Cim;

/// <summary>
/// IEC 61968-100's web-service form: a CIM message as the only child of a SOAP 1.1 envelope's Body.
/// Reading also takes a bare CIM message (a POST of the message itself), so that a client that does
/// not wrap is answered too; <see cref="Read"/> says which it was, to answer in the same form.
/// </summary>
public static class CimSoap
{
    public const string EnvelopeNs = "http://schemas.xmlsoap.org/soap/envelope/";
    private const string Soap12Ns = "http://www.w3.org/2003/05/soap-envelope";
    private const string Declaration = """<?xml version="1.0" encoding="utf-8"?>""";

    /// <summary>SOAP 1.1's media type; a request's SOAPAction header names the operation (<see cref="Action"/>).</summary>
    public const string MediaType = "text/xml";

    /// <summary>The operation's SOAPAction for a verb and noun, as the WSDL names it ("http://iec.ch/61968/created/EndDeviceEvents").</summary>
    public static string Action(string verb, string noun) => $"http://iec.ch/61968/{verb}/{noun}";

    /// <summary>The message in a SOAP 1.1 envelope.</summary>
    public static string Write(CimMessage message)
    {
        var text = new StringBuilder(4096).Append(Declaration);
        using (var writer = XmlWriter.Create(new StringWriter(text), new XmlWriterSettings { OmitXmlDeclaration = true }))
        {
            writer.WriteStartElement("soap", "Envelope", EnvelopeNs);
            writer.WriteStartElement("soap", "Body", EnvelopeNs);
            CimXml.WriteMessage(writer, message);
            writer.WriteEndElement();
            writer.WriteEndElement();
        }
        return text.ToString();
    }

    /// <summary>A message already written as a document (<see cref="CimXml.Write"/>) in a SOAP 1.1 envelope, without reading it again.</summary>
    public static string Wrap(string messageXml)
    {
        var body = messageXml.StartsWith("<?xml", StringComparison.Ordinal) ? messageXml[(messageXml.IndexOf("?>", StringComparison.Ordinal) + 2)..].TrimStart() : messageXml;
        return $"""{Declaration}<soap:Envelope xmlns:soap="{EnvelopeNs}"><soap:Body>{body}</soap:Body></soap:Envelope>""";
    }

    /// <summary>
    /// Reads a SOAP 1.1 envelope holding a CIM message in its Body, or a bare CIM message, and validates the message.
    /// <exception cref="CimFormatException">not XML, not an envelope or a message, or a message that does not validate; says which.</exception>
    /// </summary>
    public static (CimMessage Message, bool Enveloped) Read(string text)
    {
        try
        {
            return CimReader.Validated(text, ReadRoot);
        }
        catch (CimFormatException) when (text.Contains(Soap12Ns, StringComparison.Ordinal))
        {
            throw new CimFormatException("a SOAP 1.2 envelope: this endpoint speaks SOAP 1.1 (namespace " + EnvelopeNs + ")");
        }
    }

    private static (CimMessage, bool) ReadRoot(XmlReader reader)
    {
        if (reader.NamespaceURI == CimXml.MessageNs) return (CimReader.Message(reader), false);
        if (reader.LocalName != "Envelope" || reader.NamespaceURI != EnvelopeNs)
            throw new CimFormatException($"the root element {CimReader.NameOf(reader)} is neither a SOAP 1.1 Envelope nor a message in {CimXml.MessageNs}");
        CimMessage? message = null;
        var body = false;
        if (CimReader.Enter(reader))
            while (CimReader.NextChild(reader))
            {
                if (body || reader.LocalName != "Body" || reader.NamespaceURI != EnvelopeNs)
                {
                    CimReader.Pass(reader); // the SOAP Header, which AmiSim does not act on
                    continue;
                }
                body = true;
                if (CimReader.Enter(reader))
                    while (CimReader.NextChild(reader))
                    {
                        if (message is not null) throw new CimFormatException($"the SOAP Body holds more than one element ({reader.LocalName} after the message)");
                        message = CimReader.Message(reader);
                    }
            }
        if (!body) throw new CimFormatException("the SOAP envelope has no Body");
        return (message ?? throw new CimFormatException("the SOAP Body is empty: it holds the CIM message"), true);
    }
}
