using System.ComponentModel;
using System.Diagnostics;
using AmiSim.Host.Cim;
using AmiSim.Protocol.Cim;
using AmiSim.Protocol.Network;
using Spectre.Console;
using Spectre.Console.Cli;

namespace AmiSim.Bench;

/// <summary>
/// CIM messages per second from the head-end's client (<see cref="CimServiceClient"/>, as <c>amisim run
/// --mdm-endpoint</c> sends them) to an MDM web service (<c>amisim mdm</c>): EndDeviceEvents messages of
/// a number of events each, for meters 1..N (the MDM's fleet must have them), every one answered before
/// the clock stops.
/// </summary>
internal sealed class CimBenchmark : AsyncCommand<CimBenchmark.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--endpoint")]
        [Description("The MDM's address, such as http://127.0.0.1:8061/cim.")]
        public string Endpoint { get; init; } = "";

        [CommandOption("--messages")]
        [DefaultValue(5_000)]
        public int Messages { get; init; }

        [CommandOption("--events")]
        [Description("Events per message.")]
        [DefaultValue(100)]
        public int Events { get; init; }

        [CommandOption("--meters")]
        [Description("Meters the events are spread over (the MDM's fleet).")]
        [DefaultValue(100_000)]
        public int Meters { get; init; }

        [CommandOption("--stages")]
        [Description("Instead of sending: time each stage of the MDM's work on the messages in this process (read, decide, journal record, answer).")]
        public bool Stages { get; init; }

        [CommandOption("--senders")]
        [Description("Calls in flight at once.")]
        [DefaultValue(CimServiceClient.DefaultSenders)]
        public int Senders { get; init; }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        var at = new DateTime(2026, 1, 5, 0, 0, 0, DateTimeKind.Utc);
        var run = Guid.NewGuid().ToString("N")[..8];
        var messages = Enumerable.Range(0, settings.Messages).Select(i =>
        {
            var events = Enumerable.Range(0, settings.Events).Select(j =>
            {
                var n = (long)i * settings.Events + j;
                return new EndDeviceEvent($"B{run}-{n}", at.AddSeconds(n), new MeterId(n % settings.Meters + 1).Identification, EndDeviceEventTypes.FirmwareUpgradeCompleted, null,
                    [new EventDetail("programId", "FW-BENCH"), new EventDetail("version", "2.0")]);
            }).ToList();
            var id = $"B{run}-{i:D6}";
            return (Id: id, Xml: CimXml.Write(new EventMessage(new CimHeader("created", "EndDeviceEvents", at, "AmiSim-Bench", id), new EndDeviceEvents(events))));
        }).ToList();
        if (settings.Stages)
        {
            var fleet = Enumerable.Range(1, settings.Meters).Select(n => (new MeterId(n).Identification, "1.0")).ToList();
            var state = new AmiSim.HeadEnd.Mdm.MdmState(fleet);
            var serializer = new AmiSim.Kernel.BinarySerializer(null!);
            TimeSpan read = default, decide = default, record = default, answer = default;
            foreach (var (_, xml) in messages)
            {
                var clock = Stopwatch.StartNew();
                var message = CimSoap.Read(CimSoap.Wrap(xml)).Message;
                read += clock.Elapsed;
                clock.Restart();
                var decision = state.Decide(message, at);
                state.Apply(decision.Recorded!);
                decide += clock.Elapsed;
                clock.Restart();
                serializer.ToBinary(decision.Recorded!);
                record += clock.Elapsed;
                clock.Restart();
                CimSoap.Write(decision.Reply);
                answer += clock.Elapsed;
            }
            // The floor of a message's cost on both sides: the head-end writing it, the MDM's XML reader with the schemas and nothing else.
            var models = messages.Select(m => CimXml.Parse(m.Xml)).ToList();
            TimeSpan write = default, validate = default;
            foreach (var (model, (_, xml)) in models.Zip(messages))
            {
                var clock = Stopwatch.StartNew();
                CimSoap.Write(model);
                write += clock.Elapsed;
                clock.Restart();
                var validating = new System.Xml.XmlReaderSettings { ValidationType = System.Xml.ValidationType.Schema, Schemas = CimXml.Schemas, IgnoreWhitespace = true };
                using (var reader = System.Xml.XmlReader.Create(new StringReader(CimSoap.Wrap(xml)), validating)) while (reader.Read()) { }
                validate += clock.Elapsed;
            }
            double Per(TimeSpan t) => t.TotalMilliseconds / messages.Count;
            AnsiConsole.MarkupLine($"per message: read and validate {Per(read):0.000} ms, decide and apply {Per(decide):0.000} ms, journal record {Per(record):0.000} ms, answer {Per(answer):0.000} ms");
            AnsiConsole.MarkupLine($"floor per message: the head-end writes it {Per(write):0.000} ms, the MDM's schema-validating XML reader alone {Per(validate):0.000} ms; at most [bold]{Environment.ProcessorCount * 1000 / (Per(write) + Per(validate)):N0} messages/s[/] on this machine's {Environment.ProcessorCount} cores, if they did nothing else");
            return 0;
        }
        var exchanges = Path.Combine(Path.GetTempPath(), $"amisim-cim-bench-{run}.jsonl");
        AnsiConsole.MarkupLine($"[bold]CIM to an MDM[/] on {Measure.Machine()}: {settings.Messages:N0} messages of {settings.Events} events ({messages.Average(m => m.Xml.Length) / 1024:0.0} KiB each) to {settings.Endpoint}, {settings.Senders} senders");
        var wall = Stopwatch.StartNew();
        await using var client = new CimServiceClient(new Uri(settings.Endpoint), exchanges, senders: settings.Senders);
        foreach (var (id, xml) in messages) client.Send(id, xml);
        var report = await client.FinishAsync(TimeSpan.FromMinutes(10));
        wall.Stop();
        var rate = report.Messages / wall.Elapsed.TotalSeconds;
        AnsiConsole.MarkupLine($"{report.Ok:N0} OK, {report.Partial:N0} PARTIAL, {report.Failed:N0} FAILED, {report.Undelivered:N0} unanswered in {report.Attempts:N0} calls; [bold]{wall.Elapsed.TotalSeconds:0.00} s: {rate:N0} messages/s, {rate * settings.Events:N0} events/s[/]");
        File.Delete(exchanges);
        return report.Undelivered == 0 && report.Failed == 0 ? 0 : 1;
    }
}
