using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using AmiSim.Host.Web;
using OpenQA.Selenium;
using Xunit;

namespace AmiSim.Host.Tests;

/// <summary>
/// The operator console (<c>amisim run --console</c>): driven in a real headless Chromium while a paced
/// run goes on, and its security rules over real HTTP on loopback.
/// </summary>
[Collection("runs")]
public sealed partial class OperatorConsoleTests : IDisposable
{
    private static readonly string Small = Path.Combine(AppContext.BaseDirectory, "scenarios", "small.conf");
    private readonly string _dir = Directory.CreateTempSubdirectory("amisim-console-").FullName;
    private readonly AmisimProcesses _processes = new();

    public void Dispose()
    {
        _processes.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [GeneratedRegex(@"operator console: (http://\S+)")]
    private static partial Regex ConsoleLine();

    [GeneratedRegex(@"result digest ([0-9a-f]{64})")]
    private static partial Regex DigestLine();

    private static ConsoleFacts Facts => new("test", 1, "Firmware FW 2.0", 10, 1, "unicast");

    [Fact]
    public async Task The_console_of_an_interrupted_run_names_its_scenario_from_run_json_and_hides_the_places_it_does_not_know()
    {
        var folder = Path.Combine(_dir, "interrupted");
        var run = _processes.Start("run", "--scenario", Small, "--out", folder, "--console", "--pace", "1800");
        var (live, token) = Address(await LineMatching(run, ConsoleLine(), new StringBuilder()));
        using var http = new HttpClient();
        await UntilAsync(async () => JsonNode.Parse(await http.GetStringAsync(new Uri(live, "/api/state")))!["targeted"]!["final"]!.GetValue<int>() > 0 ? "" : null, "meters final");
        var whileLive = _processes.Start("console", "--db", Path.Combine(folder, "headend.db"));
        var (liveView, _) = Address(await LineMatching(whileLive, ReadOnlyLine(), new StringBuilder()));
        Assert.Equal("small, still running, no report.json yet", JsonNode.Parse(await http.GetStringAsync(new Uri(liveView, "/api/state")))!["scenario"]!.GetValue<string>());
        using (var paused = await http.SendAsync(Post(live, "/api/actions", """{"action":"pause","operator":"carol"}""", token))) Assert.Equal(HttpStatusCode.Accepted, paused.StatusCode);
        await UntilAsync(async () => (await CommandOutput.Run(["status", "--db", Path.Combine(folder, "headend.db")])).Out.Contains(": paused (operator),") ? "" : null, "status --db says the campaign is paused by the operator");
        Process.Start("kill", ["-TERM", run.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
        using (var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1))) await run.WaitForExitAsync(timeout.Token);
        Assert.False(File.Exists(Path.Combine(folder, "report.json")));

        var served = _processes.Start("console", "--db", Path.Combine(folder, "headend.db"));
        var (console, _) = Address(await LineMatching(served, ReadOnlyLine(), new StringBuilder()));
        var state = JsonNode.Parse(await http.GetStringAsync(new Uri(console, "/api/state")))!;

        Assert.Equal("small, interrupted, no report.json", state["scenario"]!.GetValue<string>());
        Assert.Equal((1L, 500, 2), (state["seed"]!.GetValue<long>(), state["meters"]!.GetValue<int>(), state["collectors"]!.GetValue<int>()));
        Assert.StartsWith("Firmware", state["package"]!.GetValue<string>());
        Assert.False(state["placesKnown"]!.GetValue<bool>());
        Assert.Empty(state["collectorsProgress"]!.AsArray());
        Assert.InRange(state["wave"]!.GetValue<int>(), 1, state["waves"]!.GetValue<int>());
        Assert.Equal(("paused", "operator"), (state["status"]!.GetValue<string>(), state["reason"]!.GetValue<string>()));
        var action = Assert.Single(state["actions"]!.AsArray())!;
        Assert.Equal(("pause", "carol (127.0.0.1)"), (action["action"]!.GetValue<string>(), action["by"]!.GetValue<string>()));

        using var browser = ReportBrowserTests.Browser();
        browser.Navigate().GoToUrl(console);
        Assert.Contains("collector and wave are unknown", browser.FindElement(By.Id("facts")).Text);
        Assert.False(browser.FindElement(By.Id("collectors-table")).Displayed);
    }

    [Theory]
    [InlineData("localhost:0", "127.0.0.1:0")]
    [InlineData("LOCALHOST:8080", "127.0.0.1:8080")]
    [InlineData("0.0.0.0:9000", "0.0.0.0:9000")]
    [InlineData("[::1]:8080", "[::1]:8080")]
    public void A_console_address_is_an_address_and_a_port_with_localhost_for_loopback(string text, string endpoint) =>
        Assert.Equal(endpoint, OperatorConsole.ParseEndpoint(text).ToString());

    [Fact]
    public async Task A_console_on_an_IPv6_loopback_address_is_served_and_printed()
    {
        var run = _processes.Start("run", "--scenario", Small, "--out", Path.Combine(_dir, "v6"), "--console", "[::1]:0");
        var line = await LineMatching(run, ConsoleLine(), new StringBuilder());
        Assert.StartsWith("http://[::1]:", line);
        using var http = new HttpClient();
        Assert.Contains("\"scenario\"", await http.GetStringAsync(new Uri(new Uri(line), "/api/state")));
    }

    [Theory]
    [InlineData("localhost", "no port")]
    [InlineData("8080", "no port")]
    [InlineData("[::1]", "no port")]
    [InlineData("example.org:80", "'example.org' is not an IP address")]
    [InlineData(":80", "'' is not an IP address")]
    [InlineData("::1:80", "'::1' is not an IP address")]
    [InlineData("127.0.0.1:99999", "the port '99999' is not a number from 0 to 65535")]
    [InlineData("127.0.0.1:http", "the port 'http' is not a number")]
    public void A_console_address_without_a_port_or_not_an_address_is_refused_saying_which(string text, string why)
    {
        var message = Assert.Throws<FormatException>(() => OperatorConsole.ParseEndpoint(text)).Message;
        Assert.StartsWith(why, message);
        Assert.Contains("expected ADDRESS:PORT", message);
    }

    [Fact]
    public async Task Paused_and_resumed_from_the_page_a_run_ends_with_the_digest_of_the_same_actions_scripted()
    {
        var folder = Path.Combine(_dir, "console");
        using var browser = ReportBrowserTests.Browser();
        var run = _processes.Start("run", "--scenario", Small, "--out", folder, "--console", "--pace", "1800");
        var output = new StringBuilder();
        run.OutputDataReceived += (_, line) => { lock (output) output.AppendLine(line.Data); };
        run.BeginOutputReadLine();
        var errors = run.StandardError.ReadToEndAsync();
        string Output() { lock (output) return output.ToString(); }
        async Task<T> Until<T>(Func<T?> value, string what) where T : class
        {
            var waited = Stopwatch.StartNew(); // wall clock: waiting for another process
            while (waited.Elapsed < TimeSpan.FromMinutes(3))
            {
                if (value() is { } found) return found;
                if (run.HasExited) Assert.Fail($"the run ended before {what}: {Output()} {await errors}");
                await Task.Delay(100);
            }
            throw new TimeoutException($"{what}: not after 3 minutes; {Output()}");
        }
        var url = await Until(() => ConsoleLine().Match(Output()) is { Success: true } m ? m.Groups[1].Value : null, "the console's address");
        try
        {
            browser.Navigate().GoToUrl(url);
        }
        catch (WebDriverException error)
        {
            throw new InvalidOperationException($"{url}: {error.Message}; exited {run.HasExited}; {Output()}", error);
        }
        string Text(string id) => browser.FindElement(By.Id(id)).Text;
        int Count(string id) => int.Parse(Text(id).Replace(",", ""), System.Globalization.CultureInfo.InvariantCulture);
        // The counts rise as the run goes.
        await Until(() => Count("succeeded") > 0 ? "" : null, "meters succeeded on the page");
        var before = Count("succeeded");
        await Until(() => Count("succeeded") > before ? "" : null, "more meters succeeded on the page");

        browser.FindElement(By.Id("pause")).Click();
        await Until(() => Text("status") == "paused" ? "" : null, "the campaign paused on the page");
        Assert.Contains("pause", browser.FindElement(By.Id("actions-table")).Text);
        Assert.True(browser.FindElement(By.Id("resume")).Enabled);
        Assert.True(browser.FindElement(By.Id("cancel")).Enabled);
        // The completion curve so far: a chart with its legend, its line drawn through the meters that succeeded.
        Assert.Contains("failed or timed out", browser.FindElement(By.CssSelector("#curve .legend")).Text);
        Assert.NotEmpty(browser.FindElements(By.CssSelector("#curve svg polyline")));
        // The head-end's journal says so too.
        await UntilAsync(async () => (await CommandOutput.Run(["status", "--db", Path.Combine(folder, "headend.db")])).Out.Contains(": paused (operator),") ? "" : null, "status --db saying paused");

        browser.FindElement(By.Id("resume")).Click();
        await Until(() => Text("status") == "running" ? "" : null, "the campaign running again on the page");
        browser.FindElement(By.Id("pace")).Click();
        browser.FindElement(By.CssSelector("#pace option[value=max]")).Click();
        // After the run the page shows the final state, until the run is told to stop (Ctrl+C; here SIGTERM).
        await Until(() => Text("ended").Length > 0 ? "" : null, "the run's end on the page");
        Assert.Equal("completed", Text("status"));
        Assert.Equal(Count("final"), Count("targeted"));
        await Until(() => Output().Contains("the console shows its final state") ? "" : null, "the run saying the console stays");
        // A meter found on the page shows its ST1 as the finished run's board answers a PSEM read.
        browser.FindElement(By.Id("meter-id")).SendKeys("17");
        browser.FindElement(By.CssSelector("#find button")).Click();
        await Until(() => Text("meter-tables").Contains("ST1 firmware") ? "" : null, "meter 17's tables on the page");
        var st1 = Regex.Match(Text("meter-tables"), @"ST1 firmware (\S+)").Groups[1].Value;
        Assert.Contains("read through PSEM at virtual", Text("meter-tables-title"));
        Process.Start("kill", ["-TERM", run.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await run.WaitForExitAsync(timeout.Token);
        Assert.True(run.ExitCode == ExitCode.Completed, $"the run exited {run.ExitCode}: {Output()} {await errors}");

        // The run folder records who did what when, and the same actions scripted give the same results.
        var actions = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(folder, "report.json")))!["operatorActions"]!;
        Assert.Equal(["pause", "resume"], actions["taken"]!.AsArray().Select(a => a!["action"]!.GetValue<string>()));
        Assert.Contains("Operator pause at virtual", await File.ReadAllTextAsync(Path.Combine(folder, "amisim.log")));
        var row = (await File.ReadAllLinesAsync(Path.Combine(folder, "meters.csv"))).Single(l => l.StartsWith("17,", StringComparison.Ordinal)).Split(',');
        Assert.Equal(row[5], st1); // version_after: what the head-end recorded is what the meter's ST1 shows
        var (code, replayed, _) = await CommandLine.RunAsync(["run", "--scenario", Small, "--out", Path.Combine(_dir, "replay"), "--set", actions["replay"]!.GetValue<string>()]);
        Assert.Equal(ExitCode.Completed, code);
        Assert.Equal(DigestLine().Match(Output()).Groups[1].Value, DigestLine().Match(replayed).Groups[1].Value);
    }

    private static async Task<T?> UntilAsync<T>(Func<Task<T?>> value, string what) where T : class
    {
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < TimeSpan.FromMinutes(1))
        {
            if (await value() is { } found) return found;
            await Task.Delay(200);
        }
        throw new TimeoutException($"{what}: not after a minute");
    }

    private static HttpRequestMessage Post(Uri console, string path, string body, string? token, string? origin = null, string type = "application/json")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(console, path)) { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(type);
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (origin is not null) request.Headers.Add("Origin", origin);
        return request;
    }

    [Fact]
    public async Task Actions_without_the_token_with_a_wrong_one_or_from_another_origin_are_refused_and_change_nothing()
    {
        await using var console = await OperatorConsole.StartAsync(OperatorConsole.ParseEndpoint("127.0.0.1:0"), Facts, pace: null);
        using var http = new HttpClient();
        var own = console.Url.GetLeftPart(UriPartial.Authority);

        var cases = new (HttpRequestMessage Request, HttpStatusCode Status, string Error)[]
        {
            (Post(console.Url, "/api/actions", """{"action":"pause"}""", token: null), HttpStatusCode.Unauthorized, "token is needed"),
            (Post(console.Url, "/api/actions", """{"action":"pause"}""", token: "0123"), HttpStatusCode.Forbidden, "wrong token"),
            (Post(console.Url, "/api/actions", """{"action":"pause"}""", console.Token, origin: "http://evil.example"), HttpStatusCode.Forbidden, "another origin"),
            (Post(console.Url, "/api/clock", """{"pace":"60"}""", token: null), HttpStatusCode.Unauthorized, "token is needed"),
            (Post(console.Url, $"/api/actions?token={console.Token}", """{"action":"pause"}""", token: null), HttpStatusCode.Unauthorized, "in the Authorization header (Bearer TOKEN), not in the address"),
            (Post(console.Url, "/api/actions", """{"action":"pauze"}""", console.Token), HttpStatusCode.BadRequest, "expected start, pause, resume, cancel or retry-failed, not 'pauze'"),
            (Post(console.Url, "/api/actions", """{"action":""", console.Token), HttpStatusCode.BadRequest, "not a JSON object"),
            (Post(console.Url, "/api/actions", "[1]", console.Token), HttpStatusCode.BadRequest, "not a JSON object"),
            (Post(console.Url, "/api/actions", "action=pause", console.Token, type: "application/x-www-form-urlencoded"), HttpStatusCode.UnsupportedMediaType, "must be JSON"),
            (Post(console.Url, "/api/actions", $$"""{"action":"pause","operator":"{{new string('x', 5000)}}"}""", console.Token), HttpStatusCode.RequestEntityTooLarge, ""),
            (Post(console.Url, "/api/clock", """{"pace":"fast"}""", console.Token, origin: own), HttpStatusCode.BadRequest, "pace: a pace is a number"),
        };
        foreach (var (request, status, error) in cases)
        {
            using var response = await http.SendAsync(request);
            Assert.True(response.StatusCode == status, $"{request.RequestUri} {await request.Content!.ReadAsStringAsync()}: {response.StatusCode}, expected {status}");
            Assert.Contains(error, await response.Content.ReadAsStringAsync());
        }
        // Nothing refused reached the run: no action waits to be taken.
        Assert.Empty(await console.BetweenStepsAsync(Kernel.SimTime.Zero, CancellationToken.None));

        // With the token, from its own page (or from no page: curl), it is taken at the run's current virtual time.
        using var accepted = await http.SendAsync(Post(console.Url, "/api/actions", """{"action":"pause","operator":"alice"}""", console.Token, origin: own));
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var taken = Assert.Single(await console.BetweenStepsAsync(Kernel.SimTime.From(TimeSpan.FromHours(3)), CancellationToken.None));
        Assert.Equal(HeadEnd.Campaign.OperatorAction.Pause, taken.Action);
        Assert.Equal(TimeSpan.FromHours(3), taken.At.SinceOrigin);
        Assert.StartsWith("alice", taken.By);
        // Reading is open on loopback.
        Assert.Contains("\"status\":\"starting\"", await http.GetStringAsync(new Uri(console.Url, "/api/state")));
    }

    [Fact]
    public async Task On_an_address_other_than_loopback_reading_needs_the_token_too()
    {
        await using var console = await OperatorConsole.StartAsync(OperatorConsole.ParseEndpoint("0.0.0.0:0"), Facts, pace: null);
        using var http = new HttpClient();
        var state = new Uri($"http://127.0.0.1:{console.Url.Port}/api/state");

        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync(state)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync(new Uri(state, "/"))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await http.GetAsync(new Uri(state, "/api/state?token=wrong"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri(state, $"/api/state?token={console.Token}"))).StatusCode);
    }

    [Theory]
    [InlineData("--console 127.0.0.1", "--console 127.0.0.1: no port: expected ADDRESS:PORT")]
    [InlineData("--console nowhere:80", "--console nowhere:80: 'nowhere' is not an IP address")]
    [InlineData("--pace 60", "--pace needs --console")]
    [InlineData("--console --pace fast", "--pace fast: a pace is a number")]
    [InlineData("--console --pace 0", "--pace 0: a pace is a number")]
    [InlineData("--console --set amisim.scenario.console.pace=fast", "amisim.scenario.console.pace: expected max or virtual seconds per wall second")]
    public async Task Bad_console_options_are_refused_before_the_run(string arguments, string message)
    {
        var (code, _, error) = await CommandLine.RunAsync(["run", "--out", Path.Combine(_dir, "bad"), .. arguments.Split(' ')]);

        Assert.Equal(ExitCode.BadInput, code);
        Assert.Contains(message, error);
        Assert.False(Directory.Exists(Path.Combine(_dir, "bad")));
    }

    [Fact]
    public async Task A_console_address_already_taken_is_refused_naming_it()
    {
        await using var first = await OperatorConsole.StartAsync(OperatorConsole.ParseEndpoint("127.0.0.1:0"), Facts, pace: null);
        var taken = $"127.0.0.1:{first.Url.Port}";

        var (code, _, error) = await CommandLine.RunAsync(["run", "--out", Path.Combine(_dir, "taken"), "--set", "amisim.scenario.fleet.meters=50", "--console", taken]);

        Assert.Equal(ExitCode.BadInput, code);
        Assert.Contains($"--console {taken}: cannot listen there", error);
        Assert.False(Directory.Exists(Path.Combine(_dir, "taken")), "a refused run wrote its folder");
    }

    [Fact]
    public async Task An_address_of_no_interface_here_is_refused_with_exit_2()
    {
        var (code, _, error) = await CommandLine.RunAsync(["run", "--out", Path.Combine(_dir, "elsewhere"), "--console", "10.255.255.1:8080"]);

        Assert.Equal(ExitCode.BadInput, code);
        Assert.Contains("--console 10.255.255.1:8080: cannot listen there", error);
    }

    [Fact]
    public async Task Holding_the_clock_shows_on_the_state_at_once_and_the_clock_is_refused_bad_values_and_after_the_run()
    {
        await using var console = await OperatorConsole.StartAsync(OperatorConsole.ParseEndpoint("127.0.0.1:0"), Facts, pace: null);
        using var http = new HttpClient();
        async Task<JsonNode> State() => JsonNode.Parse(await http.GetStringAsync(new Uri(console.Url, "/api/state")))!;

        using (var held = await http.SendAsync(Post(console.Url, "/api/clock", """{"hold":true}""", console.Token))) Assert.Equal(HttpStatusCode.OK, held.StatusCode);
        Assert.True((await State())["held"]!.GetValue<bool>());
        using (var bad = await http.SendAsync(Post(console.Url, "/api/clock", """{"hold":"yes"}""", console.Token)))
        {
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.Contains("hold: expected true or false", await bad.Content.ReadAsStringAsync());
        }
        using (var paced = await http.SendAsync(Post(console.Url, "/api/clock", """{"pace":600,"hold":false}""", console.Token))) Assert.Equal(HttpStatusCode.OK, paced.StatusCode);
        var state = await State();
        Assert.False(state["held"]!.GetValue<bool>());
        Assert.Equal("600", state["pace"]!.GetValue<string>());
        using (var missing = await http.GetAsync(new Uri(console.Url, "/nothing"))) Assert.Contains("the console serves /", await missing.Content.ReadAsStringAsync());

        await console.ShowAsync(Kernel.SimTime.Zero, new HeadEnd.Campaign.CampaignSummary(HeadEnd.Campaign.CampaignStatus.Completed, 1, 1, new Dictionary<HeadEnd.Campaign.MeterPhase, int>(), "", true, 0), [], ended: true);
        using var late = await http.SendAsync(Post(console.Url, "/api/clock", """{"pace":"60"}""", console.Token));
        Assert.Equal(HttpStatusCode.Conflict, late.StatusCode);
        Assert.True((await State())["ended"]!.GetValue<bool>());
    }

    private static (Uri Console, string Token) Address(string url)
    {
        var uri = new Uri(url);
        return (new Uri(uri.GetLeftPart(UriPartial.Authority)), uri.Fragment.Split("token=")[1]);
    }

    /// <summary>Reads the process's standard output until a line matches <paramref name="pattern"/>; returns its first group.</summary>
    private static async Task<string> LineMatching(Process process, Regex pattern, StringBuilder seen)
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        while (await process.StandardOutput.ReadLineAsync(limit.Token) is { } line)
        {
            seen.AppendLine(line);
            if (pattern.Match(line) is { Success: true } match) return match.Groups[1].Value;
        }
        throw new InvalidOperationException($"the process ended without a line matching {pattern}: {seen} {await process.StandardError.ReadToEndAsync()}");
    }

    [Fact]
    public async Task A_campaign_that_waits_for_the_operator_holds_the_clock_until_started_from_the_console_and_replays_with_the_same_digest()
    {
        const string WaitForStart = "amisim.scenario.campaign.start=operator";
        var (refused, _, why) = await CommandLine.RunAsync(["run", "--scenario", Small, "--out", Path.Combine(_dir, "unstartable"), "--set", WaitForStart]);
        Assert.Equal(ExitCode.BadInput, refused);
        Assert.Contains("campaign.start = operator: the campaign waits for the operator's start", why);
        Assert.False(Directory.Exists(Path.Combine(_dir, "unstartable")));

        var folder = Path.Combine(_dir, "waits");
        var run = _processes.Start("run", "--scenario", Small, "--out", folder, "--console", "--set", WaitForStart);
        var output = new StringBuilder();
        var (console, token) = Address(await LineMatching(run, ConsoleLine(), output));
        using var http = new HttpClient();
        async Task<JsonNode> Get(string path) => JsonNode.Parse(await http.GetStringAsync(new Uri(console, path)))!;

        var waiting = await Get("/api/state");
        Assert.True(waiting["waitingForStart"]!.GetValue<bool>());
        // Before the start the meter runs its old firmware, read through PSEM at virtual zero.
        var before = await UntilAsync(async () =>
        {
            using var read = await http.GetAsync(new Uri(console, "/api/meters/17"));
            return read.StatusCode == HttpStatusCode.ServiceUnavailable ? null : JsonNode.Parse(await read.Content.ReadAsStringAsync());
        }, "the run's meters readable");
        Assert.NotNull(before);
        Assert.Equal("00:00:00.000", before!["tablesAt"]!.GetValue<string>());
        var old = before["st1"]!["firmware"]!.GetValue<string>();
        await Task.Delay(TimeSpan.FromSeconds(1)); // as fast as possible, and still the clock waits
        Assert.Equal("00:00:00.000", (await Get("/api/state"))["virtualTime"]!.GetValue<string>());

        // Nothing but the start is taken before the start; the run goes on waiting.
        using (var early = await http.SendAsync(Post(console, "/api/actions", """{"action":"pause","operator":"carol"}""", token)))
        {
            Assert.Equal(HttpStatusCode.Conflict, early.StatusCode);
            Assert.Contains("waits for its start", await early.Content.ReadAsStringAsync());
        }
        Assert.True((await Get("/api/state"))["waitingForStart"]!.GetValue<bool>());
        Assert.False(run.HasExited);
        using (var started = await http.SendAsync(Post(console, "/api/actions", """{"action":"start","operator":"carol"}""", token))) Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        await LineMatching(run, new Regex("(the console shows its final state)"), output);
        var after = await Get("/api/meters/17");
        Assert.Equal(after["campaign"]!["firmwareAfter"]!.GetValue<string>(), after["st1"]!["firmware"]!.GetValue<string>());
        Assert.NotEqual(old, after["st1"]!["firmware"]!.GetValue<string>());
        run.Kill(entireProcessTree: true);

        var actions = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(folder, "report.json")))!["operatorActions"]!;
        var start = Assert.Single(actions["taken"]!.AsArray())!;
        Assert.Equal(("start", 0L), (start["action"]!.GetValue<string>(), start["atSeconds"]!.GetValue<long>()));
        Assert.StartsWith("carol", start["by"]!.GetValue<string>());
        // The replay's arguments hold the wait for the start as well as the actions.
        var (code, replayed, _) = await CommandLine.RunAsync(["run", "--scenario", Small, "--out", Path.Combine(_dir, "replayed"), .. actions["replayArguments"]!.AsArray().Select(a => a!.GetValue<string>())]);
        Assert.Equal(ExitCode.Completed, code);
        Assert.Equal(DigestLine().Match(output.ToString()).Groups[1].Value, DigestLine().Match(replayed).Groups[1].Value);
    }

    [GeneratedRegex(@"open (http://\S+)")]
    private static partial Regex ReadOnlyLine();

    [Fact]
    public async Task The_console_of_a_run_folder_shows_its_final_state_from_the_journal_read_only()
    {
        var folder = Path.Combine(_dir, "finished");
        Assert.Equal(ExitCode.Completed, (await CommandLine.RunAsync(["run", "--scenario", Small, "--out", folder])).Code);
        var report = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(folder, "report.json")))!;
        var row = (await File.ReadAllLinesAsync(Path.Combine(folder, "meters.csv"))).Single(l => l.StartsWith("6,", StringComparison.Ordinal)).Split(',');

        var served = _processes.Start("console", "--db", Path.Combine(folder, "headend.db"));
        var (console, token) = Address(await LineMatching(served, ReadOnlyLine(), new StringBuilder()));
        using var http = new HttpClient();
        var state = JsonNode.Parse(await http.GetStringAsync(new Uri(console, "/api/state")))!;

        Assert.Equal(report["outcomes"]!.ToJsonString(), state["outcomes"]!.ToJsonString());
        Assert.Equal(("completed", true, true), (state["status"]!.GetValue<string>(), state["ended"]!.GetValue<bool>(), state["readOnly"]!.GetValue<bool>()));
        Assert.Equal(report["waves"]!.AsArray().Select(w => w!["meters"]!.GetValue<int>()), state["wavesProgress"]!.AsArray().Select(w => w!["meters"]!.GetValue<int>()));
        // Waves count from 1 everywhere: the API, the page, meters.csv and report.json; a finished campaign is in its last.
        var waves = report["campaign"]!["waves"]!.GetValue<int>();
        Assert.Equal(Enumerable.Range(1, waves), state["wavesProgress"]!.AsArray().Select(w => w!["wave"]!.GetValue<int>()));
        Assert.Equal((waves, waves), (state["wave"]!.GetValue<int>(), state["waves"]!.GetValue<int>()));
        var meter = JsonNode.Parse(await http.GetStringAsync(new Uri(console, "/api/meters/6")))!["campaign"]!;
        Assert.Equal((row[6], int.Parse(row[13], System.Globalization.CultureInfo.InvariantCulture)), (meter["phase"]!.GetValue<string>(), meter["wave"]!.GetValue<int>()));
        using (var act = await http.SendAsync(Post(console, "/api/actions", """{"action":"retry-failed"}""", token)))
        {
            Assert.Equal(HttpStatusCode.Conflict, act.StatusCode);
            Assert.Contains("no run to act on", await act.Content.ReadAsStringAsync());
        }
        Assert.Contains("<title>AmiSim run", await http.GetStringAsync(new Uri(console, "/report")));

        using var browser = ReportBrowserTests.Browser();
        browser.Navigate().GoToUrl(console);
        Assert.Equal("completed", browser.FindElement(By.Id("status")).Text);
        Assert.Contains("Read-only", browser.FindElement(By.Id("facts")).Text);
        Assert.False(browser.FindElement(By.Id("actions-bar")).Displayed);
    }

    [Theory]
    [InlineData("--db {dir}/nothing.db", "--db {dir}/nothing.db: no such file")]
    [InlineData("--db {dir}", "a folder without headend.db")]
    [InlineData("--db {dir}/not.db", "not a head-end database")]
    [InlineData("--db {dir} --listen here", "--listen here: no port: expected ADDRESS:PORT")]
    public async Task The_console_of_a_run_folder_refuses_bad_input_with_exit_2(string arguments, string message)
    {
        await File.WriteAllTextAsync(Path.Combine(_dir, "not.db"), "no database");
        var (code, _, error) = await CommandLine.RunAsync(["console", .. arguments.Replace("{dir}", _dir, StringComparison.Ordinal).Split(' ')]);

        Assert.Equal(ExitCode.BadInput, code);
        Assert.Contains(message.Replace("{dir}", _dir, StringComparison.Ordinal), error);
    }

    [Fact]
    public async Task A_meter_is_found_by_its_number_or_identification_and_anything_else_is_refused()
    {
        Assert.Equal(17, OperatorConsole.ParseMeter("17")!.Value.Value);
        Assert.Equal(17, OperatorConsole.ParseMeter(" mtr0000000017 ")!.Value.Value);
        Assert.Null(OperatorConsole.ParseMeter("0"));
        Assert.Null(OperatorConsole.ParseMeter("-3"));
        Assert.Null(OperatorConsole.ParseMeter("MTR"));

        await using var console = await OperatorConsole.StartAsync(OperatorConsole.ParseEndpoint("127.0.0.1:0"), Facts, pace: null, readOnly: true);
        var summary = new HeadEnd.Campaign.CampaignSummary(HeadEnd.Campaign.CampaignStatus.Completed, 0, 1, new Dictionary<HeadEnd.Campaign.MeterPhase, int> { [HeadEnd.Campaign.MeterPhase.Failed] = 1 }, "", true, 0);
        console.ShowFinal(new RunFolderView(Facts, Kernel.SimTime.Zero, summary, [new HeadEnd.Campaign.MeterOutcome(5, 1, 0, HeadEnd.Campaign.MeterPhase.Failed, "flash write failed", 3, 1_000_000, "1.0")], [], null));
        using var http = new HttpClient();
        var five = JsonNode.Parse(await http.GetStringAsync(new Uri(console.Url, "/api/meters/MTR0000000005")))!;
        Assert.Equal(("Failed", "flash write failed", 3), (five["campaign"]!["phase"]!.GetValue<string>(), five["campaign"]!["reason"]!.GetValue<string>(), five["campaign"]!["attempts"]!.GetValue<int>()));
        Assert.Contains("no live meter to read", five["tablesNote"]!.GetValue<string>());
        using (var bad = await http.GetAsync(new Uri(console.Url, "/api/meters/x99")))
        {
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.Contains("expected a meter's number", await bad.Content.ReadAsStringAsync());
        }
        using var none = await http.GetAsync(new Uri(console.Url, "/api/meters/99999"));
        Assert.Equal(HttpStatusCode.NotFound, none.StatusCode);
        Assert.Contains("no meter 99999", await none.Content.ReadAsStringAsync());
    }
}
