using System.Net;
using System.Xml.Linq;
using System.Xml.Schema;
using Akka.Actor;
using Akka.Configuration;
using AmiSim.HeadEnd.Persistence;
using AmiSim.Host.Mdm;
using AmiSim.Protocol.Cim;
using Xunit;

namespace AmiSim.Host.Tests;

/// <summary>
/// The MDM's web service (<c>amisim mdm</c>'s endpoint and actor, on a SQLite journal) as curl sees
/// it: what it records, and every kind of bad input refused with its reason, changing nothing.
/// </summary>
public sealed class MdmEndpointTests : IAsyncLifetime
{
    private const string Meter = "MTR0000000001";
    private readonly string _db = Path.Combine(Path.GetTempPath(), $"amisim-mdm-endpoint-{Guid.NewGuid():N}.db");
    private ActorSystem _system = null!;
    private IActorRef _service = null!;
    private MdmEndpoint _endpoint = null!;

    public async Task InitializeAsync()
    {
        _system = ActorSystem.Create("mdm-endpoint", ConfigurationFactory.ParseString("akka.loglevel = WARNING").WithFallback(JournalConfig.Sqlite(_db)));
        _service = _system.ActorOf(MdmService.Props([(Meter, "1.0"), ("MTR0000000002", "1.0")]));
        _endpoint = await MdmEndpoint.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), _service);
    }

    public async Task DisposeAsync()
    {
        await _endpoint.DisposeAsync();
        await _system.Terminate();
        foreach (var file in Directory.GetFiles(Path.GetTempPath(), Path.GetFileName(_db) + "*")) File.Delete(file);
    }

    private Task<MdmService.Totals> Totals() => _service.Ask<MdmService.Totals>(MdmService.GetTotals.Instance, TimeSpan.FromSeconds(10));

    private static string Envelope(string message) =>
        $"""<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>{message}</soap:Body></soap:Envelope>""";

    private static string Events(string id, string eventMrid, string extraHeader = "", string verb = "created", string noun = "EndDeviceEvents") => $"""
        <EventMessage xmlns="http://iec.ch/TC57/2011/schema/message"><Header><Verb>{verb}</Verb><Noun>{noun}</Noun>{extraHeader}<MessageID>{id}</MessageID></Header>
        <Payload><EndDeviceEvents xmlns="http://iec.ch/TC57/2011/EndDeviceEvents#"><EndDeviceEvent><mRID>{eventMrid}</mRID><createdDateTime>2026-01-05T03:00:00Z</createdDateTime>
        <Assets><mRID>{Meter}</mRID></Assets><EndDeviceEventType ref="3.11.83.58"/></EndDeviceEvent></EndDeviceEvents></Payload></EventMessage>
        """;

    private static ResponseMessage Reply(string body) => Assert.IsType<ResponseMessage>(CimSoap.Read(body).Message);

    [Fact]
    public async Task A_message_with_what_the_published_schemas_allow_is_recorded_and_get_answers_it()
    {
        var header = $"""
            <ReplayDetection><Timestamp>{CimXml.Timestamp(DateTime.UtcNow)}</Timestamp><Nonce>curl-1</Nonce></ReplayDetection><Context>TESTING</Context>
            <Source>VendorHES</Source><User><UserID>ops</UserID></User>
            """;
        var (status, body) = await Curl.PostAsync(_endpoint.Address, Envelope(Events("HES-1", "EV-1", header)), soapAction: CimSoap.Action("created", "EndDeviceEvents"));

        Assert.Equal(200, status);
        Assert.Equal(ReplyResult.OK, Reply(body).Reply.Result);
        Assert.Equal("HES-1", Reply(body).Header.CorrelationId);
        var get = Envelope($"""<RequestMessage xmlns="http://iec.ch/TC57/2011/schema/message"><Header><Verb>get</Verb><Noun>EndDeviceEvents</Noun><MessageID>Q-1</MessageID></Header><Request><ID>{Meter}</ID></Request></RequestMessage>""");
        var (_, answer) = await Curl.PostAsync(_endpoint.Address, get);
        var e = Assert.Single(((EndDeviceEvents)Reply(answer).Payload!).Events);
        Assert.Equal(("EV-1", Meter), (e.Mrid, e.MeterMrid));
        Assert.Equal((1, 1), ((await Totals()).Messages, (await Totals()).Events));
    }

    public static TheoryData<string, string, int, string> BadInputs => new()
    {
        { "not XML", "this is not xml", 400, "not well-formed" },
        { "wrong namespace", Envelope("""<EventMessage xmlns="urn:wrong"><Header/></EventMessage>"""), 400, "urn:wrong" },
        { "unknown verb", Envelope(Events("B-1", "EV-9").Replace("<Verb>created</Verb>", "<Verb>destroy</Verb>")), 400, "destroy" },
        { "unknown noun", Envelope("""<EventMessage xmlns="http://iec.ch/TC57/2011/schema/message"><Header><Verb>created</Verb><Noun>UsagePointConfig</Noun><MessageID>B-2</MessageID></Header></EventMessage>"""), 200, "created UsagePointConfig" },
        { "unknown payload", Envelope("""<EventMessage xmlns="http://iec.ch/TC57/2011/schema/message"><Header><Verb>created</Verb><Noun>Gizmos</Noun><MessageID>B-3</MessageID></Header><Payload><Gizmos xmlns="urn:gizmo"/></Payload></EventMessage>"""), 400, "Gizmos" },
        { "SOAP 1.2", """<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body/></e:Envelope>""", 400, "SOAP 1.2" },
        { "entity expansion", """<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><x>&b;</x>""", 400, "DTD" },
        { "stale replay stamp", Envelope(Events("B-4", "EV-8", "<ReplayDetection><Timestamp>2020-01-01T00:00:00Z</Timestamp><Nonce>x</Nonce></ReplayDetection>")), 200, "stale" },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public async Task Bad_input_is_FAILED_with_its_reason_and_changes_nothing(string what, string body, int expectedStatus, string reason)
    {
        var (status, answer) = await Curl.PostAsync(_endpoint.Address, body);

        Assert.True(expectedStatus == status, $"{what}: HTTP {status}, {answer}");
        var reply = Reply(answer);
        Assert.Equal(ReplyResult.FAILED, reply.Reply.Result);
        Assert.Contains(reason, string.Join(" ", reply.Reply.Errors.Select(e => e.Reason + " " + e.Details)), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(0, (await Totals()).Messages);
    }

    [Fact]
    public async Task A_body_that_is_not_XML_by_its_media_type_or_too_large_is_refused_before_it_is_read()
    {
        var (json, jsonAnswer) = await Curl.PostAsync(_endpoint.Address, "{\"verb\":\"created\"}", "application/json");
        var (huge, hugeAnswer) = await Curl.PostAsync(_endpoint.Address, Envelope(Events("BIG", "EV-B") + new string(' ', 17 << 20)));

        Assert.Equal(415, json);
        Assert.Contains("application/json", Reply(jsonAnswer).Reply.Errors[0].Details);
        Assert.Equal(413, huge);
        Assert.Contains("larger than 16 MiB", Reply(hugeAnswer).Reply.Errors[0].Details);
        Assert.Equal(0, (await Totals()).Messages);
    }

    [Fact]
    public async Task A_resent_message_is_answered_as_recorded_but_another_under_its_MessageID_or_a_replayed_nonce_is_FAILED()
    {
        var nonce = $"<ReplayDetection><Timestamp>{CimXml.Timestamp(DateTime.UtcNow)}</Timestamp><Nonce>n-7</Nonce></ReplayDetection>";
        await Curl.PostAsync(_endpoint.Address, Envelope(Events("R-1", "EV-1", nonce)));

        var (_, resent) = await Curl.PostAsync(_endpoint.Address, Envelope(Events("R-1", "EV-1")));
        var (_, other) = await Curl.PostAsync(_endpoint.Address, Envelope(Events("R-1", "EV-2")));
        var (_, replayed) = await Curl.PostAsync(_endpoint.Address, Envelope(Events("R-2", "EV-3", nonce)));

        Assert.Equal((ReplyResult.OK, "0.3"), (Reply(resent).Reply.Result, Reply(resent).Reply.Errors[0].Code));
        Assert.Equal((ReplyResult.FAILED, "1.4"), (Reply(other).Reply.Result, Reply(other).Reply.Errors[0].Code));
        Assert.Equal(ReplyResult.FAILED, Reply(replayed).Reply.Result);
        Assert.Contains("replayed", Reply(replayed).Reply.Errors[0].Reason);
        Assert.Equal((1, 1), ((await Totals()).Messages, (await Totals()).Events));
    }

    [Fact]
    public async Task A_bare_message_is_answered_bare()
    {
        var (status, body) = await Curl.PostAsync(_endpoint.Address, Events("BARE-1", "EV-1"), "application/xml");
        Assert.Equal(200, status);
        Assert.StartsWith("<?xml", body);
        Assert.DoesNotContain(CimSoap.EnvelopeNs, body);
        Assert.Equal(ReplyResult.OK, ((ResponseMessage)CimXml.Parse(body)).Reply.Result);
    }

    [Fact]
    public async Task The_WSDL_names_the_operations_and_its_schemas_are_served()
    {
        var (status, wsdl) = await Curl.GetAsync(new Uri(_endpoint.Address + "?wsdl"));
        Assert.Equal(200, status);
        XNamespace w = "http://schemas.xmlsoap.org/wsdl/";
        var operations = XDocument.Parse(wsdl).Root!.Element(w + "portType")!.Elements(w + "operation").Select(o => (string)o.Attribute("name")!).ToList();
        Assert.Equal(["CreatedEndDeviceEvents", "ChangedEndDeviceEvents", "CreatedMeterConfig", "ChangedMeterConfig", "GetEndDeviceEvents", "GetMeterConfig"], operations);

        var (schemaStatus, schema) = await Curl.GetAsync(new Uri(_endpoint.Address + "?xsd=Message.xsd"));
        Assert.Equal(200, schemaStatus);
        Assert.Equal(CimXml.MessageNs, XmlSchema.Read(new StringReader(schema), null)!.TargetNamespace);
        Assert.Equal(404, (await Curl.GetAsync(new Uri(_endpoint.Address + "?xsd=../../etc/passwd"))).Status);
    }
}
