using System.Globalization;
using System.Text.Json.Nodes;
using AmiSim.Host.Run;
using Xunit;

namespace AmiSim.Host.Tests;

/// <summary><c>amisim compare</c>: unicast against multicast, every figure checked against the runs' own report.json.</summary>
[Collection("runs")]
public sealed class CompareCommandTests : IDisposable
{
    private static readonly string Scenarios = Path.Combine(AppContext.BaseDirectory, "scenarios");
    private readonly string _dir = Directory.CreateTempSubdirectory("amisim-compare-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private async Task<JsonObject> Run(string scenario)
    {
        var folder = Path.Combine(_dir, scenario);
        var (code, _, error) = await CommandLine.RunAsync(["run", "--scenario", Path.Combine(Scenarios, scenario + ".conf"), "--out", folder,
            "--set", "amisim.scenario.fleet.meters=400", "--set", "amisim.scenario.fleet.collectors=2", "--set", "amisim.scenario.program.size=32768"]);
        Assert.True(code == ExitCode.Completed, error);
        return (JsonObject)JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(folder, "report.json")))!;
    }

    private static double Number(JsonNode node) => double.Parse(node.ToJsonString(), CultureInfo.InvariantCulture);

    [Fact]
    public async Task Unicast_against_multicast_shows_multicasts_airtime_and_duration_advantage_with_the_figures_of_both_reports()
    {
        var unicast = await Run("unicast");
        var multicast = await Run("multicast");
        var page = Path.Combine(_dir, "compare.html");

        var (code, output, error) = await CommandLine.RunAsync("compare", Path.Combine(_dir, "unicast"), Path.Combine(_dir, "multicast"), "--out", page);

        Assert.True(code == ExitCode.Completed, error);
        var rows = RunComparison.Rows([ComparedRun.Read(Path.Combine(_dir, "unicast")), ComparedRun.Read(Path.Combine(_dir, "multicast"))]);
        string[] Row(string figure) => [.. rows.Single(r => r.Figure == figure).Values];
        // The scenarios differ in their distribution alone.
        Assert.Equal(["campaign.distribution"], rows.Where(r => r.Section == "scenario keys that differ").Select(r => r.Figure));
        Assert.Equal(["unicast", "multicast"], Row("campaign.distribution"));
        // Multicast's advantage, in the reports' own figures.
        Assert.True(Number(multicast["airtimeSeconds"]!["down"]!) < Number(unicast["airtimeSeconds"]!["down"]!));
        Assert.True(Number(multicast["virtualTime"]!["durationHours"]!) < Number(unicast["virtualTime"]!["durationHours"]!));
        foreach (var (report, i) in new[] { (unicast, 0), (multicast, 1) })
        {
            Assert.Equal((Number(report["airtimeSeconds"]!["down"]!) / 3600).ToString("N1", CultureInfo.InvariantCulture), Row("airtime down (h)")[i]);
            Assert.Equal(ReportHtml.Duration(Number(report["virtualTime"]!["durationHours"]!)), Row("duration (virtual)")[i]);
            var p95 = report["timeToShare"]!["all"]!["p95"];
            Assert.Equal(p95 is null ? "never" : ReportHtml.Duration(Number(p95)), Row("time to 95 %")[i]);
            Assert.Equal(Number(report["mdm"]!["cimMessages"]!).ToString("N0", CultureInfo.InvariantCulture), Row("CIM messages")[i]);
            var blocks = report["collectors"]!.AsArray().Sum(c => Number(c!["blocksSent"]!)) / Number(report["fleet"]!["meters"]!);
            Assert.Equal(blocks.ToString("N1", CultureInfo.InvariantCulture), Row("blocks sent per meter")[i]);
            foreach (var group in report["notSucceeded"]!.AsArray())
                Assert.Contains(rows, r => r.Figure.StartsWith($"{group!["state"]}: ", StringComparison.Ordinal) && r.Values[i] != "0");
        }
        // The terminal and the page show those rows.
        foreach (var value in Row("airtime down (h)").Concat(Row("duration (virtual)"))) Assert.Contains(value, output);
        var html = await File.ReadAllTextAsync(page);
        foreach (var value in Row("time to 95 %").Concat(Row("blocks sent per meter"))) Assert.Contains(value, html);
        // both completion curves on one chart, named in its legend
        Assert.Matches("<div class=\"legend\".*unicast</span>.*multicast</span>", html);
    }

    [Fact]
    public async Task Compare_refuses_fewer_than_two_folders_and_folders_that_are_not_run_folders_naming_which()
    {
        var notARun = Directory.CreateDirectory(Path.Combine(_dir, "photos")).FullName;
        var other = Directory.CreateDirectory(Path.Combine(_dir, "other")).FullName;
        await File.WriteAllTextAsync(Path.Combine(other, "report.json"), "{\"scenario\": \"x\"}");

        foreach (var (args, named) in new (string[], string)[]
        {
            (["compare", notARun], "two or more run folders"),
            (["compare", notARun, other], "photos: not a run folder"),
            (["compare", other, notARun], "other/report.json: not a report of amisim run"),
            (["compare", Path.Combine(_dir, "nowhere"), other], "nowhere: no such folder"),
        })
        {
            var (code, _, error) = await CommandLine.RunAsync(args);
            Assert.Equal(ExitCode.BadInput, code);
            Assert.Contains(named, error);
            Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }
        Assert.False(File.Exists("compare.html"));
    }
}
