using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Configuration;
using AmiSim.HeadEnd.Mdm;
using AmiSim.HeadEnd.Persistence;
using AmiSim.Kernel;
using AmiSim.Protocol.Network;
using AmiSim.Protocol.Cim;
using Xunit;

namespace AmiSim.HeadEnd.Tests;

/// <summary>The MDM actor with its journal on a real SQLite file.</summary>
public sealed class MdmOnSqliteTests : MdmTests
{
    private readonly string _database = Path.Combine(Path.GetTempPath(), $"amisim-mdm-{Guid.NewGuid():N}.db");

    protected override Config Journal => JournalConfig.Sqlite(_database);

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        foreach (var file in Directory.GetFiles(Path.GetDirectoryName(_database)!, Path.GetFileName(_database) + "*")) File.Delete(file);
    }
}

/// <summary>The MDM actor with its journal on a real PostgreSQL 15 server (a throwaway one unless AMISIM_POSTGRES is set).</summary>
[Collection("postgres")]
public sealed class MdmOnPostgresTests(PostgresServer server) : MdmTests
{
    private readonly string _database = $"mdm{Guid.NewGuid():N}"[..15];

    protected override Config Journal =>
        JournalConfig.PostgreSql(new Npgsql.NpgsqlConnectionStringBuilder(server.ConnectionString) { Database = _database }.ConnectionString);

    public override async Task InitializeAsync()
    {
        // A database of its own per test: the journal's tables start empty.
        await using var connection = new Npgsql.NpgsqlConnection(server.ConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand($"CREATE DATABASE {_database}", connection);
        await command.ExecuteNonQueryAsync();
    }
}

/// <summary>The MDM actor, fed CIM XML by a stand-in head-end, with a real journal.</summary>
public abstract class MdmTests : IAsyncLifetime
{
    private static readonly LpId HeadEnd = new(AmiLps.HeadEnd, 0);
    private static readonly DateTime Epoch = new(2026, 1, 5, 0, 0, 0, DateTimeKind.Utc);
    private readonly List<ActorSystem> _systems = [];

    protected abstract Config Journal { get; }

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public virtual async Task DisposeAsync()
    {
        foreach (var system in _systems) await system.Terminate();
    }

    private sealed class Bed(Simulation simulation, ConcurrentQueue<ResponseMessage> replies)
    {
        public Simulation Simulation { get; } = simulation;

        public ConcurrentQueue<ResponseMessage> Replies { get; } = replies;

        public void Deliver(double seconds, string xml) => Simulation.Schedule(HeadEnd, SimTime.FromSeconds(seconds), new Outgoing(xml));

        public Task<T> AskMdm<T>(object query) => Simulation.AskLpAsync<T>(MdmSetup.Lp, query, TimeSpan.FromSeconds(5));
    }

    private sealed record Outgoing(string Xml);

    private sealed class Factory(MdmSetup setup, ConcurrentQueue<ResponseMessage> replies) : ILpFactory
    {
        public Props PropsFor(LpId id) => id.Kind == AmiLps.Mdm ? MdmActor.Props(setup) : Props.Create(() => new HeadEndStandIn(replies));
    }

    private sealed class HeadEndStandIn(ConcurrentQueue<ResponseMessage> replies) : SimActor
    {
        protected override void OnEvent(object payload)
        {
            if (payload is Outgoing outgoing) Send(MdmSetup.Lp, Lookahead, new CimDelivery(outgoing.Xml));
            else if (payload is CimDelivery reply) replies.Enqueue((ResponseMessage)CimXml.Parse(reply.Xml));
        }
    }

    private Bed Start(int meters = 3)
    {
        var system = ActorSystem.Create($"mdm{_systems.Count}", ConfigurationFactory.ParseString("akka.loglevel = WARNING").WithFallback(Journal));
        _systems.Add(system);
        var replies = new ConcurrentQueue<ResponseMessage>();
        var setup = new MdmSetup(Enumerable.Range(1, meters).Select(n => ($"MTR{n:D10}", "1.0")).ToList());
        var simulation = Simulation.Create(system, new KernelSettings { Lookahead = TimeSpan.FromMilliseconds(20), Partitions = 1, OriginUtc = Epoch }, new Factory(setup, replies));
        return new Bed(simulation, replies);
    }

    private static string Events(string messageId, params (string Event, int Meter, string Type, string Version)[] events) =>
        CimXml.Write(new EventMessage(new CimHeader("created", "EndDeviceEvents", Epoch, "AmiSim-HeadEnd", messageId, AckRequired: true),
            new EndDeviceEvents(events.Select(e => new EndDeviceEvent(e.Event, Epoch.AddMinutes(5), $"MTR{e.Meter:D10}", e.Type, null,
                [new EventDetail("programId", "FW-2"), new EventDetail("version", e.Version)])).ToList())));

    private static string Config(string messageId, params (int Meter, string Version)[] meters) =>
        CimXml.Write(new EventMessage(new CimHeader("changed", "MeterConfig", Epoch, "AmiSim-HeadEnd", messageId),
            new MeterConfig(meters.Select(m => new MeterConfigEntry($"MTR{m.Meter:D10}", m.Version, null, "FW-2")).ToList())));

    [Fact]
    public async Task Events_and_configuration_of_known_meters_are_recorded_and_answered_OK()
    {
        var bed = Start();
        bed.Deliver(1, Events("HE-1", ("EV-1", 1, EndDeviceEventTypes.FirmwareUpgradeCompleted, "2.0"), ("EV-2", 2, EndDeviceEventTypes.FirmwareUpgradeCompleted, "2.0")));
        bed.Deliver(2, Config("HE-2", (1, "2.0"), (2, "2.0")));

        await bed.Simulation.RunAsync();

        Assert.Equal([ReplyResult.OK, ReplyResult.OK], bed.Replies.Select(r => r.Reply.Result));
        Assert.Equal(["HE-1", "HE-2"], bed.Replies.Select(r => r.Header.CorrelationId));
        var versions = await bed.AskMdm<MdmQueries.MetersPerVersion>(MdmQueries.GetMetersPerVersion.Instance);
        Assert.Equal(new Dictionary<string, int> { ["1.0"] = 1, ["2.0"] = 2 }, versions.Counts);
        var meter = await bed.AskMdm<MdmQueries.MeterView>(new MdmQueries.GetMeter("MTR0000000001"));
        Assert.Equal(("2.0", "FW-2"), (meter.Firmware, meter.ProgramId));
        Assert.Equal([EndDeviceEventTypes.FirmwareUpgradeCompleted, "MeterConfig"], meter.History.Select(h => h.Kind));
    }

    [Fact]
    public async Task Unknown_meters_get_PARTIAL_with_one_error_each_and_the_known_ones_are_recorded()
    {
        var bed = Start();
        bed.Deliver(1, Events("HE-1", ("EV-1", 1, EndDeviceEventTypes.FirmwareUpgradeCompleted, "2.0"),
            ("EV-2", 77, EndDeviceEventTypes.FirmwareUpgradeCompleted, "2.0"), ("EV-3", 78, EndDeviceEventTypes.FirmwareUpgradeFailed, "1.0")));

        await bed.Simulation.RunAsync();

        var reply = Assert.Single(bed.Replies).Reply;
        Assert.Equal(ReplyResult.PARTIAL, reply.Result);
        Assert.Equal(["MTR0000000077", "MTR0000000078"], reply.Errors.Select(e => e.Details));
        Assert.Single((await bed.AskMdm<MdmQueries.MeterView>(new MdmQueries.GetMeter("MTR0000000001"))).History);
    }

    [Theory]
    [InlineData("<EventMessage><Header>", "not well-formed")]
    [InlineData("<EventMessage xmlns=\"urn:other\"><Header><Verb>created</Verb><Noun>EndDeviceEvents</Noun></Header></EventMessage>", "")]
    [InlineData("<EventMessage xmlns=\"http://iec.ch/TC57/2011/schema/message\"><Header><Noun>EndDeviceEvents</Noun></Header></EventMessage>", "not valid")]
    public async Task A_malformed_or_invalid_message_is_FAILED_with_the_reason_and_records_nothing(string xml, string reason)
    {
        var bed = Start();
        bed.Deliver(1, xml);

        await bed.Simulation.RunAsync();

        var reply = Assert.Single(bed.Replies).Reply;
        Assert.Equal(ReplyResult.FAILED, reply.Result);
        Assert.Contains(reason, Assert.Single(reply.Errors).Details);
        Assert.Equal(0, (await bed.AskMdm<MdmQueries.MetersPerVersion>(MdmQueries.GetMetersPerVersion.Instance)).MessagesRecorded);
    }

    [Fact]
    public async Task A_redelivered_message_or_event_is_recorded_once()
    {
        var bed = Start();
        var message = Events("HE-1", ("EV-1", 1, EndDeviceEventTypes.FirmwareUpgradeCompleted, "2.0"));
        bed.Deliver(1, message);
        bed.Deliver(2, message);
        bed.Deliver(3, Events("HE-9", ("EV-1", 1, EndDeviceEventTypes.FirmwareUpgradeCompleted, "2.0")));

        await bed.Simulation.RunAsync();

        Assert.All(bed.Replies, r => Assert.Equal(ReplyResult.OK, r.Reply.Result));
        Assert.Single((await bed.AskMdm<MdmQueries.MeterView>(new MdmQueries.GetMeter("MTR0000000001"))).History);
    }

    [Fact]
    public async Task An_MDM_that_no_message_reached_answers_with_the_fleet_it_was_set_up_with()
    {
        var bed = Start(); // a campaign with nothing to report: its LP never gets an event, so it never starts

        await bed.Simulation.RunAsync();

        var meters = await bed.AskMdm<List<MdmQueries.MeterView>>(MdmQueries.GetAllMeters.Instance);
        Assert.Equal(["MTR0000000001", "MTR0000000002", "MTR0000000003"], meters.Select(m => m.Mrid));
        Assert.All(meters, m => Assert.Equal(("1.0", null, 0), (m.Firmware, m.ProgramId, m.History.Count)));
        var versions = await bed.AskMdm<MdmQueries.MetersPerVersion>(MdmQueries.GetMetersPerVersion.Instance);
        Assert.Equal(new Dictionary<string, int> { ["1.0"] = 3 }, versions.Counts);
        Assert.Equal(0, versions.MessagesRecorded);
    }

    [Fact]
    public async Task The_MDM_recovers_its_records_from_the_journal_after_a_restart()
    {
        var first = Start();
        first.Deliver(1, Config("HE-1", (1, "2.0"), (3, "2.1")));
        await first.Simulation.RunAsync();
        await _systems[0].Terminate();

        var second = Start();
        second.Deliver(1, Config("HE-1", (1, "9.9"))); // the same MessageID again: already recorded before the restart
        await second.Simulation.RunAsync();

        var versions = await second.AskMdm<MdmQueries.MetersPerVersion>(MdmQueries.GetMetersPerVersion.Instance);
        Assert.Equal(new Dictionary<string, int> { ["1.0"] = 1, ["2.0"] = 1, ["2.1"] = 1 }, versions.Counts);
        Assert.Equal(1, versions.MessagesRecorded);
    }
}
