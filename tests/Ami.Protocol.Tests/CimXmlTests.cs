using System.Xml;
using System.Xml.Linq;
using System.Xml.Schema;
using AmiSim.Protocol.Cim;
using Xunit;

namespace AmiSim.Protocol.Tests;

public sealed class CimXmlTests
{
    private static readonly DateTime At = new(2026, 1, 5, 3, 14, 7, 250, DateTimeKind.Utc);

    public static TheoryData<string, CimMessage> Messages => new()
    {
        { "events", new EventMessage(new CimHeader("created", "EndDeviceEvents", At, "AmiSim-HeadEnd", "HE-1", AckRequired: true), new EndDeviceEvents([
            new EndDeviceEvent("EV-1", At, "MTR0000000001", EndDeviceEventTypes.FirmwareUpgradeCompleted, null,
                [new EventDetail("programId", "FW-2026-01"), new EventDetail("version", "2.1")]),
            new EndDeviceEvent("EV-2", At.AddSeconds(3), "MTR0000000002", EndDeviceEventTypes.FirmwareUpgradeFailed, "ActivationFailed",
                [new EventDetail("programId", "FW-2026-01"), new EventDetail("version", "1.0"), new EventDetail("reason", null)]),
        ])) },
        { "config", new EventMessage(new CimHeader("changed", "MeterConfig", At, "AmiSim-HeadEnd", "HE-2"), new MeterConfig([
            new MeterConfigEntry("MTR0000000001", "2.1", null, "FW-2026-01"),
            new MeterConfigEntry("MTR0000000003", null, "LP-5MIN", "CFG-7"),
        ])) },
        { "reply ok", new ResponseMessage(new CimHeader("reply", "EndDeviceEvents", At, "AmiSim-MDM", "MDM-1", "HE-1"), new CimReply(ReplyResult.OK, [])) },
        { "reply partial", new ResponseMessage(new CimHeader("reply", "EndDeviceEvents", At, "AmiSim-MDM", "MDM-2", "HE-1"), new CimReply(ReplyResult.PARTIAL, [
            new CimError("2.4", "WARNING", "unknown meter", "MTR0000009999"),
        ])) },
        { "request", new RequestMessage(new CimHeader("get", "MeterConfig", At, "AmiSim-HeadEnd", "HE-3"), null) },
        { "async request", new RequestMessage(new CimHeader("get", "MeterConfig", At, "MDM-X", "RQ-7", ReplyAddress: "http://127.0.0.1:9/replies", AsyncReplyFlag: true,
            Replay: new ReplayDetection(At, "n-41")), null, new CimRequest(["MTR0000000001", "MTR0000000002"], [new EventDetail("detail", "full")])) },
    };

    [Theory]
    [MemberData(nameof(Messages))]
    public void Every_message_validates_and_reads_back_as_written(string name, CimMessage message)
    {
        var xml = CimXml.Write(message);

        var errors = new List<string>();
        XDocument.Parse(xml).Validate(CimXml.Schemas, (_, e) => errors.Add(e.Message));
        Assert.True(errors.Count == 0, $"{name}: {string.Join("; ", errors)}");
        var read = CimXml.Parse(xml);
        Assert.Equivalent(message, read, strict: true);
        Assert.Equal(xml, CimXml.Write(read));
    }

    [Fact]
    public void Malformed_xml_is_rejected_as_not_well_formed()
    {
        var error = Assert.Throws<CimFormatException>(() => CimXml.Parse("<EventMessage xmlns=\"http://iec.ch/TC57/2011/schema/message\"><Header>"));
        Assert.Contains("not well-formed", error.Message);
    }

    [Fact]
    public void A_message_in_another_namespace_is_rejected()
    {
        var xml = CimXml.Write((CimMessage)Messages.First()[1]).Replace(CimXml.MessageNs, "http://example.com/not-cim");
        var error = Assert.Throws<CimFormatException>(() => CimXml.Parse(xml));
        Assert.Contains("not-cim", error.Message);
    }

    [Fact]
    public void A_missing_required_element_is_rejected_with_its_line()
    {
        var xml = CimXml.Write((CimMessage)Messages.First()[1]);
        var document = XDocument.Parse(xml);
        document.Descendants(XName.Get("createdDateTime", CimXml.EndDeviceEventsNs)).First().Remove();
        var error = Assert.Throws<CimFormatException>(() => CimXml.Parse(document.ToString()));
        Assert.Contains("not valid", error.Message);
        Assert.Contains("line", error.Message);
    }

    [Fact]
    public void Elements_out_of_order_are_rejected()
    {
        var xml = CimXml.Write((CimMessage)Messages.First()[1]);
        var document = XDocument.Parse(xml);
        var header = document.Root!.Element(XName.Get("Header", CimXml.MessageNs))!;
        var verb = header.Element(XName.Get("Verb", CimXml.MessageNs))!;
        verb.Remove();
        header.Add(verb);
        Assert.Throws<CimFormatException>(() => CimXml.Parse(document.ToString()));
    }

    /// <summary>A message valid under the published 61968-100 envelope and 61968-9 EndDeviceEvents, using what AmiSim refused before.</summary>
    private const string Published = """
        <?xml version="1.0" encoding="utf-8"?>
        <EventMessage xmlns="http://iec.ch/TC57/2011/schema/message" xmlns:ede="http://iec.ch/TC57/2011/EndDeviceEvents#" xmlns:x="urn:vendor:extension">
          <Header>
            <Verb>executed</Verb>
            <Noun>EndDeviceEvents</Noun>
            <Revision>2.0</Revision>
            <ReplayDetection><Timestamp>2026-01-05T03:14:07Z</Timestamp><Nonce>9f1c</Nonce></ReplayDetection>
            <Context>PRODUCTION</Context>
            <Timestamp>2026-01-05T03:14:07Z</Timestamp>
            <Source>VendorHES</Source>
            <User><UserID>ops</UserID><Organization>Utility</Organization></User>
            <CorrelationID>c-1</CorrelationID>
            <Comment>no MessageID: it is optional</Comment>
            <Property><Name>region</Name><Value>north</Value></Property>
            <Property><Name>batch</Name><Value>7</Value></Property>
            <x:trace>abc</x:trace>
          </Header>
          <Payload>
            <ede:EndDeviceEvents>
              <ede:EndDeviceEvent>
                <ede:createdDateTime>2026-01-05T03:10:00Z</ede:createdDateTime>
                <ede:severity>low</ede:severity>
                <ede:Assets><ede:Names><ede:name>serial 4471</ede:name></ede:Names></ede:Assets>
                <ede:EndDeviceEventType ref="vendor/firmware-done"/>
                <ede:Names><ede:name>evt</ede:name></ede:Names>
                <ede:status><ede:value>ok</ede:value></ede:status>
                <ede:UsagePoint><ede:mRID>UP-1</ede:mRID></ede:UsagePoint>
              </ede:EndDeviceEvent>
              <ede:EndDeviceEventType><ede:mRID>vendor/firmware-done</ede:mRID><ede:domain>11</ede:domain></ede:EndDeviceEventType>
            </ede:EndDeviceEvents>
          </Payload>
        </EventMessage>
        """;

    [Fact]
    public void A_message_valid_under_the_published_schemas_is_read_with_what_AmiSim_refused_before()
    {
        var message = CimXml.Parse(Published.Trim());

        Assert.Equal("executed", message.Header.Verb);
        Assert.Equal("", message.Header.MessageId);
        Assert.Equal("9f1c", message.Header.Replay!.Nonce);
        var e = Assert.Single(((EndDeviceEvents)message.Payload!).Events);
        Assert.Null(e.Mrid);
        Assert.Null(e.MeterMrid);
        Assert.Equal("vendor/firmware-done", e.EventType);
    }

    [Theory]
    [InlineData("closed")]
    [InlineData("delete")]
    [InlineData("deleted")]
    [InlineData("close")]
    public void Every_verb_of_the_published_envelope_is_accepted(string verb)
    {
        var message = CimXml.Parse(Published.Trim().Replace("<Verb>executed</Verb>", $"<Verb>{verb}</Verb>"));
        Assert.Equal(verb, message.Header.Verb);
    }

    [Fact]
    public void Empty_events_and_a_meter_configuration_with_other_properties_are_valid()
    {
        var empty = CimXml.Parse(Published.Trim().Replace(Published[Published.IndexOf("<ede:EndDeviceEvent>", StringComparison.Ordinal)..(Published.IndexOf("</ede:EndDeviceEvents>", StringComparison.Ordinal))], ""));
        Assert.Empty(((EndDeviceEvents)empty.Payload!).Events);

        var config = CimXml.Parse("""
            <EventMessage xmlns="http://iec.ch/TC57/2011/schema/message"><Header><Verb>changed</Verb><Noun>MeterConfig</Noun><MessageID>M-1</MessageID></Header>
              <Payload><MeterConfig xmlns="http://iec.ch/TC57/2011/MeterConfig#">
                <Meter><serialNumber>4471</serialNumber><mRID>MTR0000000001</mRID><amrSystem>AmiSim</amrSystem>
                  <EndDeviceInfo><AssetModel><modelNumber>X</modelNumber></AssetModel></EndDeviceInfo>
                  <SimpleEndDeviceFunction><enabled>true</enabled></SimpleEndDeviceFunction>
                  <SimpleEndDeviceFunction><firmwareID>2.1</firmwareID><programID>FW-2026-01</programID></SimpleEndDeviceFunction>
                </Meter>
              </MeterConfig></Payload></EventMessage>
            """);
        Assert.Equal(new MeterConfigEntry("MTR0000000001", "2.1", null, "FW-2026-01"), Assert.Single(((MeterConfig)config.Payload!).Meters));
    }

    [Theory]
    [InlineData("<ede:severity>low</ede:severity>", "<ede:colour>red</ede:colour>", "colour")]
    [InlineData("<Verb>executed</Verb>", "<Verb>destroy</Verb>", "destroy")]
    [InlineData("<Context>PRODUCTION</Context>", "<Context>PRODUCTION</Context><Context>TEST</Context>", "Context")]
    [InlineData("<User><UserID>ops</UserID><Organization>Utility</Organization></User>", "<User><Organization>Utility</Organization></User>", "Organization")]
    // Parts AmiSim does not read (it passes over them) are validated all the same, however deep.
    [InlineData("<ede:Assets><ede:Names><ede:name>serial 4471</ede:name></ede:Names></ede:Assets>", "<ede:Assets><ede:Names><ede:nickname>x</ede:nickname></ede:Names></ede:Assets>", "nickname")]
    [InlineData("<ede:status><ede:value>ok</ede:value></ede:status>", "<ede:status><ede:value>ok</ede:value><ede:value>again</ede:value></ede:status>", "value")]
    public void What_the_published_schemas_do_not_allow_is_still_refused_with_where(string part, string replacement, string named)
    {
        var error = Assert.Throws<CimFormatException>(() => CimXml.Parse(Published.Trim().Replace(part, replacement)));
        Assert.Contains("not valid", error.Message);
        Assert.Contains(named, error.Message);
    }
}
