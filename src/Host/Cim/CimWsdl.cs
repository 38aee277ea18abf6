using System.Security;
using System.Text;
using AmiSim.Protocol.Cim;

namespace AmiSim.Host.Cim;

/// <summary>One operation of a CIM web service: the verb and noun its message carries, and which envelope (EventMessage or RequestMessage).</summary>
public sealed record CimOperation(string Verb, string Noun, string Input)
{
    /// <summary>The operation's name as IEC 61968-100's WSDLs spell it: verb and noun, capitalised ("CreatedEndDeviceEvents").</summary>
    public string Name => char.ToUpperInvariant(Verb[0]) + Verb[1..] + Noun;
}

/// <summary>
/// The WSDL 1.1 (SOAP 1.1, document/literal) of one of AmiSim's CIM endpoints: one port type whose
/// operations each take a message element of the 61968-100 envelope (its schema served beside the
/// WSDL) and answer a ResponseMessage, with the SOAPAction <see cref="CimSoap.Action"/> gives.
/// </summary>
public sealed record CimWsdl(string Service, IReadOnlyList<CimOperation> Operations)
{
    /// <summary>The MDM's operations (<c>amisim mdm</c>).</summary>
    public static readonly CimWsdl Mdm = new("AmiSimMdm",
    [
        new("created", "EndDeviceEvents", "EventMessage"), new("changed", "EndDeviceEvents", "EventMessage"),
        new("created", "MeterConfig", "EventMessage"), new("changed", "MeterConfig", "EventMessage"),
        new("get", "EndDeviceEvents", "RequestMessage"), new("get", "MeterConfig", "RequestMessage"),
    ]);

    /// <summary>The head-end's operations (<c>amisim run --cim-endpoint</c>).</summary>
    public static readonly CimWsdl HeadEnd = new("AmiSimHeadEnd",
    [
        new("create", "EndDeviceControls", "RequestMessage"), new("cancel", "EndDeviceControls", "RequestMessage"),
        new("get", "EndDeviceEvents", "RequestMessage"), new("get", "MeterConfig", "RequestMessage"),
    ]);

    private const string Tns = "http://amisim.dev/cim/";

    public string Render(Uri address)
    {
        var location = SecurityElement.Escape(address.ToString());
        var schemas = SecurityElement.Escape(address.GetLeftPart(UriPartial.Path));
        var text = new StringBuilder();
        text.Append($"""
            <?xml version="1.0" encoding="utf-8"?>
            <wsdl:definitions name="{Service}" targetNamespace="{Tns}{Service}" xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/"
                xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" xmlns:xs="http://www.w3.org/2001/XMLSchema"
                xmlns:msg="{CimXml.MessageNs}" xmlns:tns="{Tns}{Service}">
              <wsdl:types>
                <xs:schema targetNamespace="{Tns}{Service}/types">
                  <xs:import namespace="{CimXml.MessageNs}" schemaLocation="{schemas}?xsd=Message.xsd"/>
                  <xs:import namespace="{CimXml.EndDeviceEventsNs}" schemaLocation="{schemas}?xsd=EndDeviceEvents.xsd"/>
                  <xs:import namespace="{CimXml.MeterConfigNs}" schemaLocation="{schemas}?xsd=MeterConfig.xsd"/>
                  <xs:import namespace="{CimXml.EndDeviceControlsNs}" schemaLocation="{schemas}?xsd=EndDeviceControls.xsd"/>
                </xs:schema>
              </wsdl:types>
              <wsdl:message name="ResponseMessage"><wsdl:part name="body" element="msg:ResponseMessage"/></wsdl:message>
              <wsdl:message name="EventMessage"><wsdl:part name="body" element="msg:EventMessage"/></wsdl:message>
              <wsdl:message name="RequestMessage"><wsdl:part name="body" element="msg:RequestMessage"/></wsdl:message>
              <wsdl:portType name="{Service}Port">

            """);
        foreach (var op in Operations)
            text.Append($"""    <wsdl:operation name="{op.Name}"><wsdl:input message="tns:{op.Input}"/><wsdl:output message="tns:ResponseMessage"/></wsdl:operation>""").Append('\n');
        text.Append($"""
              </wsdl:portType>
              <wsdl:binding name="{Service}Binding" type="tns:{Service}Port">
                <soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>

            """);
        foreach (var op in Operations)
            text.Append($"""    <wsdl:operation name="{op.Name}"><soap:operation soapAction="{CimSoap.Action(op.Verb, op.Noun)}"/><wsdl:input><soap:body use="literal"/></wsdl:input><wsdl:output><soap:body use="literal"/></wsdl:output></wsdl:operation>""").Append('\n');
        text.Append($"""
              </wsdl:binding>
              <wsdl:service name="{Service}">
                <wsdl:port name="{Service}Port" binding="tns:{Service}Binding"><soap:address location="{location}"/></wsdl:port>
              </wsdl:service>
            </wsdl:definitions>

            """);
        return text.ToString();
    }
}
