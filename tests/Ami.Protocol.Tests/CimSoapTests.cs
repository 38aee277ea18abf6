using AmiSim.Protocol.Cim;
using Xunit;

namespace AmiSim.Protocol.Tests;

/// <summary>CIM messages in SOAP 1.1 envelopes: written, wrapped, read back, and what is not an envelope refused with why.</summary>
public sealed class CimSoapTests
{
    private static readonly DateTime At = new(2026, 1, 5, 3, 14, 7, DateTimeKind.Utc);

    private static readonly EventMessage Message = new(new CimHeader("created", "EndDeviceEvents", At, "HES", "HE-1"),
        new EndDeviceEvents([new EndDeviceEvent("E1", At, "MTR0000000001", EndDeviceEventTypes.FirmwareUpgradeCompleted, null, [])]));

    [Fact]
    public void A_message_written_or_wrapped_in_an_envelope_reads_back_the_same()
    {
        var written = CimSoap.Read(CimSoap.Write(Message));
        var wrapped = CimSoap.Read(CimSoap.Wrap(CimXml.Write(Message)));

        Assert.True(written.Enveloped);
        Assert.Equivalent(Message, written.Message, strict: true);
        Assert.Equivalent(Message, wrapped.Message, strict: true);
    }

    [Fact]
    public void A_bare_message_is_read_and_said_to_be_bare()
    {
        var (message, enveloped) = CimSoap.Read(CimXml.Write(Message));
        Assert.False(enveloped);
        Assert.Equal("HE-1", message.Header.MessageId);
    }

    [Fact]
    public void A_soap_header_is_skipped()
    {
        var text = CimSoap.Write(Message).Replace("<soap:Body>", "<soap:Header><wsa:To xmlns:wsa=\"http://www.w3.org/2005/08/addressing\">x</wsa:To></soap:Header><soap:Body>");
        Assert.Equal("HE-1", CimSoap.Read(text).Message.Header.MessageId);
    }

    [Theory]
    [InlineData("<soap:Envelope xmlns:soap=\"http://www.w3.org/2003/05/soap-envelope\"><soap:Body/></soap:Envelope>", "SOAP 1.2")]
    [InlineData("<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body/></soap:Envelope>", "Body is empty")]
    [InlineData("<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"></soap:Envelope>", "Body")]
    [InlineData("<order xmlns=\"urn:shop\"/>", "neither a SOAP 1.1 Envelope")]
    [InlineData("not xml at all", "not well-formed")]
    [InlineData("<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body><x xmlns=\"urn:other\"/></soap:Body></soap:Envelope>", "urn:other")]
    public void What_is_not_an_envelope_holding_a_message_is_refused_with_why(string text, string why)
    {
        var error = Assert.Throws<CimFormatException>(() => CimSoap.Read(text));
        Assert.Contains(why, error.Message);
    }

    [Fact]
    public void A_body_with_two_elements_is_refused()
    {
        var text = CimSoap.Write(Message).Replace("</soap:Body>", "<extra xmlns=\"urn:x\"/></soap:Body>");
        Assert.Contains("more than one", Assert.Throws<CimFormatException>(() => CimSoap.Read(text)).Message);
    }

    [Fact]
    public void A_dtd_is_refused()
    {
        var text = "<?xml version=\"1.0\"?><!DOCTYPE lol [<!ENTITY a \"aaaa\">]>" + CimSoap.Write(Message)[CimSoap.Write(Message).IndexOf("?>", StringComparison.Ordinal)..][2..];
        Assert.Throws<CimFormatException>(() => CimSoap.Read(text));
    }
}
