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
        Assert.Contains("Pause", browser.FindElement(By.Id("actions-table")).Text);
        Assert.True(browser.FindElement(By.Id("resume")).Enabled);
        // The head-end's journal says so too.
        await UntilAsync(async () => (await CommandOutput.Run(["status", "--db", Path.Combine(folder, "headend.db")])).Out.Contains(": paused,") ? "" : null, "status --db saying paused");

        browser.FindElement(By.Id("resume")).Click();
        await Until(() => Text("status") == "running" ? "" : null, "the campaign running again on the page");
        browser.FindElement(By.Id("pace")).Click();
        browser.FindElement(By.CssSelector("#pace option[value=max]")).Click();
        // After the run the page shows the final state, until the run is told to stop (Ctrl+C; here SIGTERM).
        await Until(() => Text("ended").Length > 0 ? "" : null, "the run's end on the page");
        Assert.Equal("completed", Text("status"));
        Assert.Equal(Count("final"), Count("targeted"));
        await Until(() => Output().Contains("the console shows its final state") ? "" : null, "the run saying the console stays");
        Process.Start("kill", ["-TERM", run.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await run.WaitForExitAsync(timeout.Token);
        Assert.True(run.ExitCode == ExitCode.Completed, $"the run exited {run.ExitCode}: {Output()} {await errors}");

        // The run folder records who did what when, and the same actions scripted give the same results.
        var actions = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(folder, "report.json")))!["operatorActions"]!;
        Assert.Equal(["pause", "resume"], actions["taken"]!.AsArray().Select(a => a!["action"]!.GetValue<string>()));
        Assert.Contains("Operator Pause at virtual", await File.ReadAllTextAsync(Path.Combine(folder, "amisim.log")));
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
            (Post(console.Url, "/api/actions", """{"action":"pauze"}""", console.Token), HttpStatusCode.BadRequest, "expected pause, resume, cancel or retry-failed, not 'pauze'"),
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
    [InlineData("--console 127.0.0.1", "--console 127.0.0.1: expected ADDRESS:PORT")]
    [InlineData("--console nowhere:80", "--console nowhere:80: expected ADDRESS:PORT")]
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
}
