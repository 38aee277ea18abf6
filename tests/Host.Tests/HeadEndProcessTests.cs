using System.Net;
using System.Text.Json.Nodes;
using AmiSim.Host.Cli;
using AmiSim.Protocol.Cim;
using Xunit;

namespace AmiSim.Host.Tests;

/// <summary>
/// <c>amisim run --cim-endpoint</c> as a process: a request sent by curl starts the programming of the
/// meters it names, the result reaches the test's ReplyAddress with the request's MessageID, and the
/// run made again from what its folder recorded, without the endpoint, has the same results.
/// </summary>
[Collection("runs")]
public sealed class HeadEndProcessTests : IDisposable
{
    private static readonly string Small = Path.Combine(AppContext.BaseDirectory, "scenarios", "small.conf");
    private readonly string _dir = Directory.CreateTempSubdirectory("amisim-headend-cim-").FullName;
    private readonly AmisimProcesses _processes = new();

    public void Dispose()
    {
        _processes.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task A_curl_request_programs_the_meters_it_names_and_the_result_reaches_its_reply_address()
    {
        // The ReplyAddress: a listener of the test's own.
        var replyPort = AmiSim.HeadEnd.Tests.LoopbackPort.Free();
        using var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{replyPort}/results/");
        listener.Start();
        var result = Task.Run(async () =>
        {
            var context = await listener.GetContextAsync();
            using var reader = new StreamReader(context.Request.InputStream);
            var body = await reader.ReadToEndAsync();
            context.Response.StatusCode = 200;
            context.Response.Close();
            return (Action: context.Request.Headers["SOAPAction"], Body: body);
        });

        var port = AmiSim.HeadEnd.Tests.LoopbackPort.Free();
        var runDir = Path.Combine(_dir, "cim");
        var run = _processes.Start("run", "--scenario", Small, "--out", runDir, "--set", "amisim.scenario.campaign.start=operator", "--cim-endpoint", $"127.0.0.1:{port}");
        string? line;
        while ((line = await run.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60))) is not null && !line.Contains("head-end CIM endpoint")) { }
        Assert.NotNull(line);
        var stdout = run.StandardOutput.ReadToEndAsync();
        var url = new Uri($"http://127.0.0.1:{port}/cim");

        var request = $"""
            <soap:Envelope xmlns:soap="{CimSoap.EnvelopeNs}"><soap:Body><RequestMessage xmlns="{CimXml.MessageNs}">
              <Header><Verb>create</Verb><Noun>EndDeviceControls</Noun><Source>TestMDM</Source><AsyncReplyFlag>true</AsyncReplyFlag>
                <ReplyAddress>http://127.0.0.1:{replyPort}/results/</ReplyAddress><MessageID>REQ-42</MessageID></Header>
              <Payload><EndDeviceControls xmlns="{CimXml.EndDeviceControlsNs}"><EndDeviceControl><EndDeviceControlType ref="3.11.83.54"/>
                <EndDevices><mRID>MTR0000000003</mRID></EndDevices><EndDevices><mRID>MTR0000000004</mRID></EndDevices><EndDevices><mRID>MTR0000000250</mRID></EndDevices>
              </EndDeviceControl></EndDeviceControls></Payload></RequestMessage></soap:Body></soap:Envelope>
            """;
        var (status, ack) = await Curl.PostAsync(url, request, soapAction: CimSoap.Action("create", "EndDeviceControls"));
        Assert.Equal(200, status);
        var acknowledged = Assert.IsType<ResponseMessage>(CimSoap.Read(ack).Message);
        Assert.Equal((ReplyResult.OK, "REQ-42"), (acknowledged.Reply.Result, acknowledged.Header.CorrelationId));

        var (action, body) = await result.WaitAsync(TimeSpan.FromMinutes(3));
        var reply = Assert.IsType<ResponseMessage>(CimSoap.Read(body).Message);
        Assert.Equal(("REQ-42", ReplyResult.OK, "EndDeviceControls"), (reply.Header.CorrelationId, reply.Reply.Result, reply.Header.Noun));
        Assert.Contains("3 of 3 meters succeeded", reply.Reply.Errors[0].Reason);
        Assert.Equal($"\"{CimSoap.Action("reply", "EndDeviceControls")}\"", action);

        // The head-end answers for its meters after the run, until it is stopped.
        var config = Assert.IsType<ResponseMessage>(CimSoap.Read((await Curl.PostAsync(url, $"""<RequestMessage xmlns="{CimXml.MessageNs}"><Header><Verb>get</Verb><Noun>MeterConfig</Noun><MessageID>Q-1</MessageID></Header><Request><ID>MTR0000000003</ID><ID>MTR0000000005</ID></Request></RequestMessage>""")).Body).Message);
        await WaitForAsync(() => File.Exists(Path.Combine(runDir, "report.json")));
        var programs = ((MeterConfig)config.Payload!).Meters.ToDictionary(m => m.Mrid!, m => (m.FirmwareId, m.ProgramId));
        Assert.Equal(("2.0", "FW-2026-01"), programs["MTR0000000003"]);
        Assert.Equal(("1.0", (string?)null), programs["MTR0000000005"]);
        Process("kill", "-TERM", run.Id.ToString());
        await run.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));
        Assert.True(run.ExitCode == ExitCode.Completed, await stdout);

        var meters = File.ReadAllLines(Path.Combine(runDir, "meters.csv")).Skip(1).Select(l => l.Split(',')).ToDictionary(m => long.Parse(m[0]), m => m[6]);
        Assert.Equal([3, 4, 250], meters.Where(m => m.Value == "Succeeded").Select(m => m.Key).Order());
        Assert.All(meters.Where(m => m.Key is not (3 or 4 or 250)), m => Assert.Equal("Skipped", m.Value));
        Assert.Contains("\"meters\":[3,4,250]", await File.ReadAllTextAsync(Path.Combine(runDir, "operator-actions.jsonl")));

        // The same run again from the report's replay arguments, without the endpoint: the same results.
        var report = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(runDir, "report.json")))!;
        var replay = report["operatorActions"]!["replayArguments"]!.AsArray().Select(a => a!.GetValue<string>()).ToArray();
        var again = Path.Combine(_dir, "again");
        var (code, output, error) = await CommandLine.RunAsync(["run", "--scenario", Small, "--out", again, .. replay]);
        Assert.True(code == ExitCode.Completed, output + error);
        Assert.Equal(report["resultDigest"]!.GetValue<string>(), JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(again, "report.json")))!["resultDigest"]!.GetValue<string>());
    }

    [Fact]
    public async Task With_the_console_too_a_request_and_the_page_steer_one_run_and_its_start_is_taken_once()
    {
        var (consolePort, cimPort) = (AmiSim.HeadEnd.Tests.LoopbackPort.Free(), AmiSim.HeadEnd.Tests.LoopbackPort.Free());
        var runDir = Path.Combine(_dir, "both");
        var run = _processes.Start("run", "--scenario", Small, "--out", runDir, "--set", "amisim.scenario.campaign.start=operator",
            "--console", $"127.0.0.1:{consolePort}", "--cim-endpoint", $"127.0.0.1:{cimPort}");
        string? token = null;
        var endpointUp = false;
        while ((token is null || !endpointUp) && await run.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)) is { } line)
        {
            if (System.Text.RegularExpressions.Regex.Match(line, @"actions need the token ([0-9a-f]+)") is { Success: true } match) token = match.Groups[1].Value;
            endpointUp |= line.Contains("head-end CIM endpoint");
        }
        Assert.True(token is not null && endpointUp, "the run names both its console and its endpoint");
        var stdout = run.StandardOutput.ReadToEndAsync();
        var console = new Uri($"http://127.0.0.1:{consolePort}/");
        using var http = new HttpClient();
        Assert.True(JsonNode.Parse(await http.GetStringAsync(new Uri(console, "/api/state")))!["waitingForStart"]!.GetValue<bool>());

        var request = $"""
            <RequestMessage xmlns="{CimXml.MessageNs}"><Header><Verb>create</Verb><Noun>EndDeviceControls</Noun><Source>TestMDM</Source><MessageID>REQ-7</MessageID></Header>
              <Payload><EndDeviceControls xmlns="{CimXml.EndDeviceControlsNs}"><EndDeviceControl><EndDeviceControlType ref="3.11.83.54"/>
                <EndDevices><mRID>MTR0000000003</mRID></EndDevices><EndDevices><mRID>MTR0000000004</mRID></EndDevices>
              </EndDeviceControl></EndDeviceControls></Payload></RequestMessage>
            """;
        var (status, ack) = await Curl.PostAsync(new Uri($"http://127.0.0.1:{cimPort}/cim"), request);
        Assert.Equal((200, ReplyResult.OK), (status, Assert.IsType<ResponseMessage>(CimSoap.Read(ack).Message).Reply.Result));

        // The page's start comes after the web service's: one campaign, started once.
        using var start = new HttpRequestMessage(HttpMethod.Post, new Uri(console, "/api/actions")) { Content = new StringContent("""{"action":"start"}""", System.Text.Encoding.UTF8, "application/json") };
        start.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        using var refused = await http.SendAsync(start);
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Contains("started already", await refused.Content.ReadAsStringAsync());

        await WaitForAsync(() => File.Exists(Path.Combine(runDir, "report.json")));
        var taken = JsonNode.Parse(await http.GetStringAsync(new Uri(console, "/api/state")))!["actions"]!.AsArray();
        Assert.Contains("CIM REQ-7", Assert.Single(taken)!["by"]!.GetValue<string>());
        var actions = await File.ReadAllLinesAsync(Path.Combine(runDir, "operator-actions.jsonl"));
        Assert.Contains("\"meters\":[3,4]", Assert.Single(actions));
        var meters = File.ReadAllLines(Path.Combine(runDir, "meters.csv")).Skip(1).Select(l => l.Split(',')).ToDictionary(m => long.Parse(m[0]), m => m[6]);
        Assert.Equal([3, 4], meters.Where(m => m.Value == "Succeeded").Select(m => m.Key).Order());
        Process("kill", "-TERM", run.Id.ToString());
        await run.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));
        var said = await stdout;
        Assert.True(run.ExitCode == ExitCode.Completed, said);
        Assert.Contains("the console shows its final state", said);
        Assert.Contains("CIM endpoint answers get", said);
    }

    private static void Process(string file, params string[] arguments) => System.Diagnostics.Process.Start(file, arguments)!.WaitForExit();

    private static async Task WaitForAsync(Func<bool> condition)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!condition() && clock.Elapsed < TimeSpan.FromSeconds(60)) await Task.Delay(50);
        Assert.True(condition(), "timed out");
    }
}
