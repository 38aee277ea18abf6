using System.Text.Json.Nodes;
using AmiSim.Host.Run;
using BigGustave;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Interactions;
using Xunit;

namespace AmiSim.Host.Tests;

/// <summary>
/// report.html as a user sees it: rendered by a real headless Chromium (Debian's chromium and
/// chromium-driver; .ci/run installs them), each chart checked by the pixels it draws, the map by what
/// its script drew and by hovering a meter.
/// </summary>
[Collection("runs")]
public sealed class ReportBrowserTests : IDisposable
{
    private static readonly string Scenarios = Path.Combine(AppContext.BaseDirectory, "scenarios");
    private readonly string _dir = Directory.CreateTempSubdirectory("amisim-browser-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    internal static ChromeDriver Browser()
    {
        var driver = Environment.GetEnvironmentVariable("AMISIM_CHROMEDRIVER") ?? "/usr/bin/chromedriver";
        var chromium = Environment.GetEnvironmentVariable("AMISIM_CHROMIUM") ?? "/usr/bin/chromium";
        Assert.True(File.Exists(driver) && File.Exists(chromium),
            $"these tests need Chromium and its driver ({chromium}, {driver}): apt-get install chromium chromium-driver (.ci/run does)");
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(driver)!, Path.GetFileName(driver));
        service.HideCommandPromptWindow = true;
        service.SuppressInitialDiagnosticInformation = true;
        var options = new ChromeOptions { BinaryLocation = chromium };
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1000");
        return new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
    }

    /// <summary>Pixels of a colour (not white, grey or black: saturated) in a screenshot of the element.</summary>
    internal static int Coloured(IWebElement element, Func<Pixel, bool>? which = null)
    {
        var png = Png.Open(((ITakesScreenshot)element).GetScreenshot().AsByteArray);
        var count = 0;
        for (var y = 0; y < png.Height; y++)
            for (var x = 0; x < png.Width; x++)
            {
                var p = png.GetPixel(x, y);
                if (Math.Max(p.R, Math.Max(p.G, p.B)) - Math.Min(p.R, Math.Min(p.G, p.B)) > 60 && (which?.Invoke(p) ?? true)) count++;
            }
        return count;
    }

    private static bool Red(Pixel p) => p.R > 180 && p.G < 90 && p.B < 90;

    [Fact]
    public async Task The_bricking_canary_report_draws_its_charts_and_its_map_of_the_meters_that_timed_out()
    {
        var folder = Path.Combine(_dir, "brick");
        var (code, _, _) = await CommandLine.RunAsync(["run", "--scenario", Path.Combine(Scenarios, "bricking-canary.conf"), "--out", folder]);
        Assert.Equal(ExitCode.CampaignNotCompleted, code);
        var report = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(folder, "report.json")))!;
        var timedOut = report["outcomes"]!["TimedOut"]!.GetValue<int>();

        using var browser = Browser();
        browser.Navigate().GoToUrl(new Uri(Path.Combine(folder, "report.html")).AbsoluteUri);

        // Every id on the page is its own (the charts' clip paths were not: each chart clipped to the first one's plot).
        var ids = ((IJavaScriptExecutor)browser).ExecuteScript("return [...document.querySelectorAll('[id]')].map(e => e.id);") as IReadOnlyCollection<object>;
        Assert.Equal(ids!.Count, ids.Distinct().Count());
        // The charts with data draw it: the completion chart its line of timed-out meters, outcomes and airtime their bars.
        Assert.True(Coloured(browser.FindElement(By.Id("chart1")), Red) > 100, "the completion chart draws no failed/timed-out line");
        Assert.True(Coloured(browser.FindElement(By.Id("chart2"))) > 2_000, "the outcomes chart draws no bars");
        Assert.True(Coloured(browser.FindElement(By.Id("chart5"))) > 2_000, "the airtime chart draws no bars");
        Assert.Contains("error threshold", browser.FindElement(By.ClassName("callout")).Text);

        // The map: every meter drawn, the timed-out ones among them, in their colour.
        var map = (IReadOnlyDictionary<string, object>)((IJavaScriptExecutor)browser).ExecuteScript("return { meters: amisimMap.meters, errors: amisimMap.errors };")!;
        Assert.Equal(2000L, map["meters"]);
        Assert.Equal((long)timedOut, map["errors"]);
        var orange = Coloured(browser.FindElement(By.Id("mapcanvas")), p => p.R > 220 && p.G is > 100 and < 160 && p.B < 60);
        Assert.True(orange > timedOut * 10, $"{orange} orange pixels for {timedOut} timed-out meters");
    }

    [Fact]
    public async Task The_default_report_answers_how_long_what_failed_and_why_and_which_scenario_and_hovering_a_failed_meter_names_it()
    {
        var folder = Path.Combine(_dir, "default");
        var (code, _, _) = await CommandLine.RunAsync(["run", "--out", folder, "--set", "amisim.scenario.campaign.canary-meters=10"]);
        Assert.Equal(ExitCode.Completed, code);
        var report = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(folder, "report.json")))!;

        using var browser = Browser();
        browser.Navigate().GoToUrl(new Uri(Path.Combine(folder, "report.html")).AbsoluteUri);
        var body = browser.FindElement(By.TagName("body")).Text;

        // Time to each share, as report.json has it.
        foreach (var p in RunAnalysis.Percentiles)
            if (report["timeToShare"]!["all"]![$"p{p}"] is { } hours)
                Assert.Contains(ReportHtml.Duration(hours.GetValue<double>()), body);
        // What failed and why: every group of report.json's notSucceeded, with its count.
        var groups = report["notSucceeded"]!.AsArray();
        Assert.NotEmpty(groups);
        var rows = browser.FindElements(By.XPath("//h2[.='What did not succeed, and why']/following-sibling::table[1]//tr")).Skip(1).Select(r => r.Text).ToList();
        Assert.Equal(groups.Count, rows.Count);
        foreach (var (group, row) in groups.Zip(rows))
            Assert.Contains($"{group!["reason"]} {group["meters"]}", row);
        // The scenario: the key given by --set, with its default and who gave it.
        var key = browser.FindElement(By.XPath("//td[code='campaign.canary-meters']/..")).Text;
        Assert.Contains("10", key);
        Assert.Contains("--set amisim.scenario.campaign.canary-meters=10", key);

        // Hovering a failed meter on the map names it and its reason.
        var canvas = browser.FindElement(By.Id("mapcanvas"));
        var js = (IJavaScriptExecutor)browser;
        js.ExecuteScript("arguments[0].scrollIntoView({block: 'center'});", canvas);
        var at = (IReadOnlyList<object>)js.ExecuteScript("return amisimMap.at(amisimMap.firstError);")!;
        var meter = Convert.ToInt64(js.ExecuteScript("return amisimMap.id(amisimMap.firstError);"));
        var (x, y) = (Convert.ToDouble(at[0]), Convert.ToDouble(at[1]));
        new Actions(browser).MoveToElement(canvas, (int)(x - canvas.Size.Width / 2.0), (int)(y - canvas.Size.Height / 2.0)).Perform();
        var tip = browser.FindElement(By.Id("maptip"));
        Assert.True(tip.Displayed);
        Assert.Contains($"meter {meter} ", tip.Text);
        Assert.Matches("(Failed|TimedOut): ", tip.Text);
    }
}
