using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using AmiSim.Host.Cli;
using AmiSim.Protocol.Cim;
using Xunit;

namespace AmiSim.Host.Tests;

/// <summary>
/// <c>amisim run --mdm-endpoint</c> against <c>amisim mdm</c>, two processes on loopback, with the MDM
/// frozen and killed while the run sends to it and started again on its journal: it ends agreeing
/// with the meters, every event recorded once.
/// </summary>
[Collection("runs")]
public sealed class MdmProcessTests : IDisposable
{
    private static readonly string Small = Path.Combine(AppContext.BaseDirectory, "scenarios", "small.conf");
    private readonly string _dir = Directory.CreateTempSubdirectory("amisim-mdm-process-").FullName;
    private readonly AmisimProcesses _processes = new();

    public void Dispose()
    {
        _processes.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>Starts <c>amisim mdm</c> and waits for its first line, which names its address and what its journal held.</summary>
    private async Task<(Process Mdm, string Line)> StartMdm(int port)
    {
        var mdm = _processes.Start("mdm", "--scenario", Small, "--port", port.ToString(), "--db", Path.Combine(_dir, "mdm.db"));
        var line = await mdm.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)) ?? "";
        Assert.True(line.Contains("MDM endpoint"), $"amisim mdm said first: {line}");
        return (mdm, line);
    }

    private static void Signal(Process process, string signal) => Process.Start("kill", [$"-{signal}", process.Id.ToString()])!.WaitForExit();

    [Fact]
    public async Task A_run_against_an_MDM_killed_and_restarted_while_it_sends_ends_with_the_MDM_agreeing_with_the_meters()
    {
        var port = AmiSim.HeadEnd.Tests.LoopbackPort.Free();
        var url = new Uri($"http://127.0.0.1:{port}/cim");
        var (first, _) = await StartMdm(port);
        var runDir = Path.Combine(_dir, "run");
        var run = _processes.Start("run", "--scenario", Small, "--out", runDir, "--mdm-endpoint", url.ToString());
        var stdout = run.StandardOutput.ReadToEndAsync();
        var stderr = run.StandardError.ReadToEndAsync();

        // As soon as the MDM has answered one message it freezes (what reaches it now waits), then dies.
        var exchanges = Path.Combine(runDir, "mdm-exchanges.jsonl");
        var clock = Stopwatch.StartNew();
        while (!(File.Exists(exchanges) && new FileInfo(exchanges).Length > 0) && clock.Elapsed < TimeSpan.FromSeconds(60)) await Task.Delay(5);
        Signal(first, "STOP");
        await Task.Delay(1500);
        Signal(first, "KILL");
        await first.WaitForExitAsync();
        var (_, restarted) = await StartMdm(port);

        await run.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(4));
        Assert.True(run.ExitCode == ExitCode.Completed, await stdout + await stderr);
        Assert.Matches(@"journal .*, [1-9][0-9]* messages and [0-9]+ events recorded", restarted); // it went on from what it had recorded (the first answered may be MeterConfig, which records no event)

        var report = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(runDir, "report.json")))!;
        var delivery = report["mdmEndpoint"]!;
        var sent = Directory.GetFiles(Path.Combine(runDir, "cim"), "*.xml");
        Assert.Equal(sent.Length, delivery["messages"]!.GetValue<int>());
        Assert.Equal(0, delivery["undelivered"]!.GetValue<int>());
        Assert.Contains("\"no answer\"", await File.ReadAllTextAsync(exchanges)); // the kill fell in the middle of the delivery

        // The MDM holds each meter's program as the run's meters do, and each event the head-end sent, once.
        var meters = File.ReadAllLines(Path.Combine(runDir, "meters.csv")).Skip(1).Select(l => l.Split(',')).ToList();
        var ids = meters.Select(m => $"MTR{long.Parse(m[0]):D10}").ToList();
        var request = string.Concat(ids.Select(id => $"<ID>{id}</ID>"));
        ResponseMessage Get(string body) => Assert.IsType<ResponseMessage>(CimSoap.Read(body).Message);
        var config = Get((await Curl.PostAsync(url, $"""<RequestMessage xmlns="{CimXml.MessageNs}"><Header><Verb>get</Verb><Noun>MeterConfig</Noun><MessageID>q-config</MessageID></Header><Request>{request}</Request></RequestMessage>""")).Body);
        var events = Get((await Curl.PostAsync(url, $"""<RequestMessage xmlns="{CimXml.MessageNs}"><Header><Verb>get</Verb><Noun>EndDeviceEvents</Noun><MessageID>q-events</MessageID></Header><Request>{request}</Request></RequestMessage>""")).Body);

        var firmware = ((MeterConfig)config.Payload!).Meters.ToDictionary(m => m.Mrid!, m => m.FirmwareId);
        foreach (var (meter, id) in meters.Zip(ids))
            Assert.True(firmware[id] == (meter[6] == "Succeeded" ? meter[5] : meter[4]), $"{id}: the MDM says {firmware[id]}, the meter ({meter[6]}) runs {meter[5]}");
        XNamespace ede = CimXml.EndDeviceEventsNs;
        var sentEvents = sent.SelectMany(f => XDocument.Load(f).Descendants(ede + "EndDeviceEvent")).Select(e => e.Element(ede + "mRID")!.Value).Distinct().Order().ToList();
        var recorded = ((EndDeviceEvents)events.Payload!).Events.Select(e => e.Mrid!).ToList();
        Assert.Equal(sentEvents, recorded.Order().ToList());
        Assert.Equal(recorded.Count, recorded.Distinct().Count());
    }
}
