using Akka.Actor;
using Akka.Serialization;
using AmiSim.HeadEnd.Campaign;
using AmiSim.HeadEnd.Mdm;
using AmiSim.HeadEnd.Persistence;
using AmiSim.Kernel;
using Xunit;

namespace AmiSim.HeadEnd.Tests;

/// <summary>What the journals write goes through AmiSim's binary serializer and reads back unchanged.</summary>
public sealed class JournalSerializationTests : IDisposable
{
    private readonly ActorSystem _system = ActorSystem.Create("serialization", JournalConfig.PostgreSql("Host=unused"));

    public void Dispose() => _system.Dispose();

    private T RoundTrip<T>(T value) where T : notnull
    {
        var serializer = _system.Serialization.FindSerializerFor(value);
        Assert.IsType<BinarySerializer>(serializer);
        var manifest = Serialization.ManifestFor(serializer, value);
        var bytes = serializer.ToBinary(value);
        return Assert.IsType<T>(_system.Serialization.Deserialize(bytes, serializer.Identifier, manifest));
    }

    [Fact]
    public void Campaign_flush_and_snapshot_read_back_field_for_field()
    {
        var transitions = new[]
        {
            new MeterTransition(7, MeterPhase.Succeeded, "", 2, 3_600_000_000, "2.1.0"),
            new MeterTransition(long.MaxValue, MeterPhase.Failed, "activation failed: élan", 5, 1, ""),
        };
        var flushed = RoundTrip(new CampaignFlushed(transitions, 3, "Running"));
        Assert.Equal(transitions, flushed.Transitions);
        Assert.Equal((3, "Running"), (flushed.Wave, flushed.Status));

        var snapshot = RoundTrip(new CampaignSnapshot("Paused", 1, 500, transitions));
        Assert.Equal(transitions, snapshot.Meters);
        Assert.Equal(("Paused", 1, 500), (snapshot.Status, snapshot.Wave, snapshot.Flushes));
    }

    [Fact]
    public void The_plan_s_numbers_read_back_with_the_first_flush_and_the_snapshot_and_fold_into_the_durable_state()
    {
        var plan = new CampaignOutline([5, 40, 55], 3);
        var first = RoundTrip(new CampaignFlushed([new MeterTransition(1, MeterPhase.Skipped, "incompatible", 0, 0, "1.0")], 0, "running", plan));
        var later = RoundTrip(new CampaignFlushed([new MeterTransition(2, MeterPhase.Initiated, "", 1, 9, "1.0")], 2, "running"));

        Assert.Equal(plan, first.Plan);
        Assert.Null(later.Plan);
        Assert.Equal(plan, RoundTrip(new CampaignSnapshot("running", 1, 2, [], plan)).Plan);
        var state = DurableCampaignState.From([first, later]);
        Assert.Equal(plan, state.Plan);
        Assert.Equal(103 - 2, state.NotYetReported);
        Assert.Equal("wave 3 of 3", state.WaveText);
        Assert.Equal("all 3 waves done", DurableCampaignState.From([first, new CampaignFlushed([], 3, "completed")]).WaveText);
    }

    [Fact]
    public void Mdm_records_keep_their_nulls_and_times()
    {
        var records = new[]
        {
            new MeterRecord("MTR-1", "evt-1", new DateTime(2026, 1, 5, 3, 4, 5, DateTimeKind.Utc), "EndDeviceEvent", "P1", null, null, "flash"),
            new MeterRecord("MTR-2", "cfg-9", new DateTime(2026, 1, 6, 0, 0, 0, DateTimeKind.Utc), "MeterConfig", null, "2.1.0", "cfg", null),
        };
        var recorded = RoundTrip(new MdmRecorded("msg-42", records));
        Assert.Equal("msg-42", recorded.MessageId);
        Assert.Equal(records, recorded.Records);
        Assert.Equal(DateTimeKind.Utc, recorded.Records[0].Time.Kind);
    }

    [Fact]
    public void A_record_of_an_unknown_type_is_refused_by_name()
    {
        var serializer = (BinarySerializer)_system.Serialization.FindSerializerForType(typeof(CampaignFlushed));
        var error = Assert.ThrowsAny<Exception>(() => serializer.FromBinary([1, 2, 3], "AmiSim.Gone.Record, AmiSim.Gone"));
        Assert.Contains("AmiSim.Gone.Record", error.Message);
    }
}
