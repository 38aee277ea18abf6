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

    [Fact]
    public void A_bad_event_type_code_is_rejected()
    {
        var xml = CimXml.Write((CimMessage)Messages.First()[1]).Replace(EndDeviceEventTypes.FirmwareUpgradeCompleted, "upgrade-done");
        Assert.Throws<CimFormatException>(() => CimXml.Parse(xml));
    }
}
