using System.Net;
using AmiSim.HeadEnd.Campaign;
using AmiSim.Host.Cim;
using AmiSim.Kernel;
using AmiSim.Mesh.Topology;
using AmiSim.Protocol.C1219;
using AmiSim.Protocol.Cim;
using AmiSim.Protocol.Programs;
using Xunit;

namespace AmiSim.Host.Tests;

/// <summary>
/// The head-end's web service in-process, as curl sees it: what each request sets going (the actions
/// it hands the run between its steps), and every bad request refused with its reason, handing nothing.
/// </summary>
public sealed class HeadEndEndpointTests : IAsyncLifetime
{
    private static readonly NetworkTopology Topology = TopologyGenerator.Generate(new TopologySettings
    {
        Models = [("AM-100", 1.0)], Firmware = [(new FirmwareVersion(1, 0), 1.0)], Meters = 12, Collectors = 2,
    }, 3);

    private HeadEndEndpoint _endpoint = null!;

    private static HeadEndFacts Facts(bool waitsForStart = true) =>
        new("C1", ProgramManifest.ForFirmware("FW-9", new FirmwareVersion(2, 0), new byte[2048], 512), Topology, new DateTime(2026, 1, 5, 0, 0, 0, DateTimeKind.Utc), waitsForStart, TimeSpan.FromSeconds(5));

    public async Task InitializeAsync() => _endpoint = await HeadEndEndpoint.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), Facts(), pace: null);

    public async Task DisposeAsync() => await _endpoint.DisposeAsync();

    private static string Request(string verb, string noun, string id, string payload = "", string header = "") => $"""
        <soap:Envelope xmlns:soap="{CimSoap.EnvelopeNs}"><soap:Body><RequestMessage xmlns="{CimXml.MessageNs}"><Header><Verb>{verb}</Verb><Noun>{noun}</Noun>{header}{(id.Length > 0 ? $"<MessageID>{id}</MessageID>" : "")}</Header>{payload}</RequestMessage></soap:Body></soap:Envelope>
        """;

    private static string Controls(string type = "3.11.83.54", params string[] meters) =>
        $"""<Payload><EndDeviceControls xmlns="{CimXml.EndDeviceControlsNs}"><EndDeviceControl><EndDeviceControlType ref="{type}"/>{string.Concat(meters.Where(m => !m.StartsWith("MTR")).Select(m => $"<EndDeviceGroups><mRID>{m}</mRID></EndDeviceGroups>"))}{string.Concat(meters.Where(m => m.StartsWith("MTR")).Select(m => $"<EndDevices><mRID>{m}</mRID></EndDevices>"))}</EndDeviceControl></EndDeviceControls></Payload>""";

    private async Task<ResponseMessage> Send(string body)
    {
        var (_, answer) = await Curl.PostAsync(_endpoint.Address, body);
        return Assert.IsType<ResponseMessage>(CimSoap.Read(answer).Message);
    }

    /// <summary>The actions the run would take now; none when the campaign still waits (the held clock waits on, until this gives up).</summary>
    private async Task<IReadOnlyList<AmiSim.Host.Run.TakenAction>> Actions()
    {
        using var give = new CancellationTokenSource(TimeSpan.FromMilliseconds(400));
        try
        {
            return await _endpoint.BetweenStepsAsync(SimTime.FromSeconds(60), give.Token);
        }
        catch (OperationCanceledException)
        {
            return [];
        }
    }

    private static string Meter(int index) => Topology.Meters[index].Meter.Identification;

    [Fact]
    public async Task A_create_naming_meters_and_a_collector_starts_the_campaign_on_those_alone()
    {
        var collector = Topology.Collectors[1].Id;
        var reply = await Send(Request("create", "EndDeviceControls", "REQ-1", Controls("3.11.83.54", Meter(0), Meter(1), "MTR0000099999", $"collector-{collector}")));

        Assert.Equal((ReplyResult.PARTIAL, "REQ-1"), (reply.Reply.Result, reply.Header.CorrelationId));
        Assert.Contains(reply.Reply.Errors, e => e.Details == "MTR0000099999");
        var start = Assert.Single(await Actions());
        Assert.Equal(OperatorAction.Start, start.Action);
        var expected = Topology.Meters.Where(m => m.Collector == collector).Select(m => m.Meter.Value).Concat([Topology.Meters[0].Meter.Value, Topology.Meters[1].Meter.Value]).Distinct().Order();
        Assert.Equal(expected, start.Meters!);
        Assert.Contains("REQ-1", start.By);
    }

    public static TheoryData<string, string, string> BadRequests => new()
    {
        { "no MessageID", Request("create", "EndDeviceControls", "", Controls("3.11.83.54", "all")), "needs a MessageID" },
        { "unknown verb and noun", Request("delete", "EndDeviceControls", "B-1", Controls("3.11.83.54", "all")), "delete EndDeviceControls" },
        { "another noun", Request("create", "UsagePoints", "B-2"), "create UsagePoints" },
        { "wrong control type", Request("create", "EndDeviceControls", "B-3", Controls("3.8.0.215", "all")), "3.11.83.54" },
        { "no known meter", Request("create", "EndDeviceControls", "B-4", Controls("3.11.83.54", "MTR0000099999", "collector-77")), "none of the meters" },
        { "no control", Request("create", "EndDeviceControls", "B-5", $"""<Payload><EndDeviceControls xmlns="{CimXml.EndDeviceControlsNs}"/></Payload>"""), "no EndDeviceControl" },
        { "a reply address that is no URL", Request("create", "EndDeviceControls", "B-6", Controls("3.11.83.54", "all"), "<AsyncReplyFlag>true</AsyncReplyFlag><ReplyAddress>file:///etc/passwd</ReplyAddress>"), "ReplyAddress" },
        { "an event, not a request", $"""<soap:Envelope xmlns:soap="{CimSoap.EnvelopeNs}"><soap:Body><EventMessage xmlns="{CimXml.MessageNs}"><Header><Verb>created</Verb><Noun>EndDeviceEvents</Noun><MessageID>B-7</MessageID></Header></EventMessage></soap:Body></soap:Envelope>""", "takes RequestMessage" },
        { "a payload that does not validate", Request("create", "EndDeviceControls", "B-8", $"""<Payload><EndDeviceControls xmlns="{CimXml.EndDeviceControlsNs}"><EndDeviceControl><EndDevices><mRID>x</mRID></EndDevices></EndDeviceControl></EndDeviceControls></Payload>"""), "not valid" },
        { "not XML", "<<<", "not well-formed" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task A_bad_request_is_FAILED_with_its_reason_and_hands_the_run_nothing(string what, string body, string reason)
    {
        var reply = await Send(body);

        Assert.True(reply.Reply.Result == ReplyResult.FAILED, $"{what}: {reply.Reply.Result}");
        Assert.Contains(reason, string.Join(" | ", reply.Reply.Errors.Select(e => e.Reason + " " + e.Details)));
        Assert.Empty(await Actions());
    }

    [Fact]
    public async Task A_second_create_a_repeated_MessageID_and_a_replayed_nonce_are_FAILED()
    {
        var nonce = $"<ReplayDetection><Timestamp>{CimXml.Timestamp(DateTime.UtcNow)}</Timestamp><Nonce>k1</Nonce></ReplayDetection>";
        Assert.Equal(ReplyResult.OK, (await Send(Request("create", "EndDeviceControls", "R-1", Controls("3.11.83.54", "all"), nonce))).Reply.Result);

        var again = await Send(Request("create", "EndDeviceControls", "R-1", Controls("3.11.83.54", "all")));
        var second = await Send(Request("create", "EndDeviceControls", "R-2", Controls("3.11.83.54", "all")));
        var replayed = await Send(Request("get", "MeterConfig", "R-3", "", nonce));

        Assert.Contains("duplicate MessageID", again.Reply.Errors[0].Reason);
        Assert.Contains("one campaign per run", second.Reply.Errors[0].Reason);
        Assert.Contains("replayed", replayed.Reply.Errors[0].Reason);
        Assert.Single(await Actions()); // the first create's start, once
    }

    [Fact]
    public async Task A_create_to_a_campaign_that_started_at_once_is_FAILED_saying_how_to_make_it_wait()
    {
        await using var endpoint = await HeadEndEndpoint.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), Facts(waitsForStart: false), pace: null);
        var (_, answer) = await Curl.PostAsync(endpoint.Address, Request("create", "EndDeviceControls", "A-1", Controls("3.11.83.54", "all")));
        var reply = Assert.IsType<ResponseMessage>(CimSoap.Read(answer).Message);
        Assert.Equal(ReplyResult.FAILED, reply.Reply.Result);
        Assert.Contains("campaign.start=operator", reply.Reply.Errors[0].Reason);
    }

    [Fact]
    public async Task Get_MeterConfig_before_the_run_answers_the_fleet_as_it_is()
    {
        var reply = await Send(Request("get", "MeterConfig", "G-1", $"<Request><ID>{Meter(3)}</ID></Request>"));
        var meter = Assert.Single(((MeterConfig)reply.Payload!).Meters);
        Assert.Equal((Meter(3), "1.0", (string?)null), (meter.Mrid, meter.FirmwareId, meter.ProgramId));
    }
}
