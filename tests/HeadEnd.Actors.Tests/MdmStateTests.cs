using AmiSim.HeadEnd.Mdm;
using AmiSim.Protocol.Cim;
using Xunit;

namespace AmiSim.HeadEnd.Tests;

/// <summary>The MDM's rules without actors: what it records, what it refuses and why, and what it answers.</summary>
public sealed class MdmStateTests
{
    private static readonly DateTime Now = new(2026, 1, 5, 12, 0, 0, DateTimeKind.Utc);
    private const string Meter1 = "MTR0000000001";
    private const string Meter2 = "MTR0000000002";

    private static MdmState Fresh() => new([(Meter1, "1.0"), (Meter2, "1.0")]);

    private static EventMessage Events(string id, params EndDeviceEvent[] events) =>
        new(new CimHeader("created", "EndDeviceEvents", Now, "HES", id), new EndDeviceEvents(events));

    private static EndDeviceEvent Completed(string? mrid, string? meter, int minute = 0) =>
        new(mrid, Now.AddMinutes(minute), meter, EndDeviceEventTypes.FirmwareUpgradeCompleted, null, [new EventDetail("programId", "FW-1"), new EventDetail("version", "2.1")]);

    /// <summary>Decides and, as the MDM does once durable, applies.</summary>
    private static MdmDecision Take(MdmState state, CimMessage message, DateTime? at = null)
    {
        var decision = state.Decide(message, at ?? Now);
        if (decision.Recorded is { } recorded) state.Apply(recorded);
        return decision;
    }

    [Fact]
    public void The_same_MessageID_with_the_same_payload_is_already_recorded_and_with_another_is_FAILED()
    {
        var state = Fresh();
        Assert.Equal(ReplyResult.OK, Take(state, Events("HE-1", Completed("E1", Meter1))).Reply.Reply.Result);

        var again = Take(state, Events("HE-1", Completed("E1", Meter1)));
        var other = Take(state, Events("HE-1", Completed("E2", Meter2)));

        Assert.True(again.Duplicate);
        Assert.Equal(ReplyResult.OK, again.Reply.Reply.Result);
        Assert.Equal(ReplyResult.FAILED, other.Reply.Reply.Result);
        Assert.Equal("1.4", Assert.Single(other.Reply.Reply.Errors).Code);
        Assert.Null(other.Recorded);
        Assert.Empty(state.Meters[Meter2].History);
        Assert.Equal(1, state.EventsRecorded);
    }

    [Fact]
    public void A_replayed_nonce_or_a_stale_timestamp_is_FAILED_and_records_nothing()
    {
        var state = Fresh();
        CimMessage With(string id, DateTime stamped, string nonce) =>
            Events(id, Completed(id, Meter1)) with { Header = new CimHeader("created", "EndDeviceEvents", Now, "HES", id, Replay: new ReplayDetection(stamped, nonce)) };

        Assert.Equal(ReplyResult.OK, Take(state, With("A", Now, "n1")).Reply.Reply.Result);
        var replayed = Take(state, With("B", Now, "n1"));
        var stale = Take(state, With("C", Now.AddMinutes(-6), "n2"));
        var later = Take(state, With("D", Now.AddMinutes(6), "n1"), Now.AddMinutes(6));

        Assert.Equal(ReplyResult.FAILED, replayed.Reply.Reply.Result);
        Assert.Contains("replayed", replayed.Reply.Reply.Errors[0].Reason);
        Assert.Equal(ReplyResult.FAILED, stale.Reply.Reply.Result);
        Assert.Contains("stale", stale.Reply.Reply.Errors[0].Reason);
        Assert.Equal(ReplyResult.OK, later.Reply.Reply.Result); // the nonce was forgotten after the window
        Assert.Equal(2, state.EventsRecorded);
    }

    [Theory]
    [InlineData("delete", "EndDeviceEvents")]
    [InlineData("created", "EndDeviceControls")]
    [InlineData("get", "UsagePointConfig")]
    public void A_verb_and_noun_the_MDM_does_not_take_is_FAILED_naming_them(string verb, string noun)
    {
        var state = Fresh();
        var decision = Take(state, new EventMessage(new CimHeader(verb, noun, Now, "HES", "X-1"), null));

        Assert.Equal(ReplyResult.FAILED, decision.Reply.Reply.Result);
        Assert.Contains($"{verb} {noun}", decision.Reply.Reply.Errors[0].Reason);
        Assert.Equal(0, state.MessagesRecorded);
    }

    [Fact]
    public void A_header_noun_that_is_not_the_payloads_is_FAILED()
    {
        var message = new EventMessage(new CimHeader("created", "MeterConfig", Now, "HES", "X-2"), new EndDeviceEvents([Completed("E1", Meter1)]));
        var decision = Take(Fresh(), message);
        Assert.Equal(ReplyResult.FAILED, decision.Reply.Reply.Result);
        Assert.Equal("1.2", decision.Reply.Reply.Errors[0].Code);
    }

    [Fact]
    public void Events_that_name_no_meter_are_PARTIAL_and_events_without_an_mRID_are_recorded_once()
    {
        var state = Fresh();
        var first = Take(state, Events("A", Completed(null, Meter1), Completed(null, null)));
        var second = Take(state, Events("B", Completed(null, Meter1), Completed(null, Meter1, minute: 1)));

        Assert.Equal(ReplyResult.PARTIAL, first.Reply.Reply.Result);
        Assert.Equal("2.5", Assert.Single(first.Reply.Reply.Errors).Code);
        Assert.Equal(ReplyResult.OK, second.Reply.Reply.Result);
        Assert.Equal(2, state.Meters[Meter1].History.Count);
    }

    [Fact]
    public void A_message_without_MessageID_is_known_by_its_payload()
    {
        var state = Fresh();
        var message = Events("", Completed("E1", Meter1));
        Take(state, message);
        var again = Take(state, message);

        Assert.True(again.Duplicate);
        Assert.StartsWith("payload-", again.Reply.Header.CorrelationId);
        Assert.Equal(1, state.MessagesRecorded);
    }

    [Fact]
    public void Get_answers_the_named_meters_program_and_events_and_names_the_unknown_ones()
    {
        var state = Fresh();
        Take(state, Events("A", Completed("E1", Meter1)));
        Take(state, new EventMessage(new CimHeader("changed", "MeterConfig", Now, "HES", "B"), new MeterConfig([new MeterConfigEntry(Meter1, "2.1", null, "FW-1")])));

        var config = Take(state, new RequestMessage(new CimHeader("get", "MeterConfig", Now, "MDM-client", "Q1"), null, new CimRequest([Meter1, "MTR-NOPE"], [])));
        var events = Take(state, new RequestMessage(new CimHeader("get", "EndDeviceEvents", Now, "MDM-client", "Q2"), null, new CimRequest([Meter1], [])));

        Assert.Equal(ReplyResult.PARTIAL, config.Reply.Reply.Result);
        Assert.Equal("MTR-NOPE", Assert.Single(config.Reply.Reply.Errors).Details);
        Assert.Equal(new MeterConfigEntry(Meter1, "2.1", null, "FW-1"), Assert.Single(((MeterConfig)config.Reply.Payload!).Meters));
        var e = Assert.Single(((EndDeviceEvents)events.Reply.Payload!).Events);
        Assert.Equal(("E1", Meter1, EndDeviceEventTypes.FirmwareUpgradeCompleted), (e.Mrid, e.MeterMrid, e.EventType));
        Assert.Equal(2, state.MessagesRecorded); // queries record nothing
        // And the answer is a valid message.
        Assert.IsType<ResponseMessage>(CimXml.Parse(CimXml.Write(config.Reply)));
    }
}
