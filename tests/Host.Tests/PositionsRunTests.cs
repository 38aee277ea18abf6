using System.Globalization;
using System.Text.Json.Nodes;
using Xunit;

namespace AmiSim.Host.Tests;

/// <summary>A network made from where its meters stand (issue 25, part 2), run end to end.</summary>
[Collection("runs")]
public sealed class PositionsRunTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("amisim-positions-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Three collectors and 600 meters scattered over 3 km by 2 km, and one meter 40 km away.</summary>
    private string Positions()
    {
        var random = new Random(12);
        var lines = new List<string> { "kind,id,x,y,model,firmware", "collector,1,500,1000,,", "collector,2,1500,1000,,", "collector,3,2500,1000,,", "meter,601,40000,40000,AM-100,1.0" };
        for (var m = 1; m <= 600; m++)
            lines.Add(string.Create(CultureInfo.InvariantCulture, $"meter,{m},{random.NextDouble() * 3000:0.0},{random.NextDouble() * 2000:0.0},,"));
        var file = Path.Combine(_dir, "positions.csv");
        File.WriteAllLines(file, lines);
        return file;
    }

    private static string[] Args(string positions, string folder) =>
    [
        "run", "--out", folder, "--set", $"amisim.scenario.fleet.topology-file=\"{positions}\"", "--set", "amisim.scenario.program.size=16384",
        "--set", "amisim.scenario.campaign.canary-meters=10", "--set", "amisim.scenario.faults.nic-outages-per-day=0",
    ];

    [Fact]
    public async Task A_positions_network_runs_end_to_end_skips_the_unreachable_meter_and_gives_the_same_digest_again()
    {
        var positions = Positions();
        var (first, second) = (Path.Combine(_dir, "first"), Path.Combine(_dir, "second"));

        var a = await CommandLine.RunAsync(Args(positions, first));
        var b = await CommandLine.RunAsync(Args(positions, second));

        Assert.True(a.Code == 0, a.Error);
        Assert.True(b.Code == 0, b.Error);
        var report = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(first, "report.json")))!;
        Assert.Equal(601, report["fleet"]!["meters"]!.GetValue<int>());
        Assert.Equal(1, report["fleet"]!["unreachable"]!.GetValue<int>());
        Assert.Equal(3, report["fleet"]!["collectors"]!.GetValue<int>());
        Assert.True(report["outcomes"]!["Succeeded"]!.GetValue<int>() >= 590, report["outcomes"]!.ToJsonString());
        var far = (await File.ReadAllLinesAsync(Path.Combine(first, "meters.csv"))).Single(l => l.StartsWith("601,", StringComparison.Ordinal));
        Assert.Contains("Skipped,unreachable: no link", far);
        // Every collector took meters, and some meters are more than one hop away.
        var rows = (await File.ReadAllLinesAsync(Path.Combine(first, "meters.csv"))).Skip(1).Select(l => l.Split(',')).Where(r => r[2].Length > 0).ToList();
        Assert.Equal(["1", "2", "3"], rows.Select(r => r[1]).Distinct().Order());
        Assert.Contains(rows, r => int.Parse(r[2], CultureInfo.InvariantCulture) >= 2);
        var digest = report["resultDigest"]!.GetValue<string>();
        Assert.Equal(digest, JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(second, "report.json")))!["resultDigest"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_bad_positions_file_is_refused_naming_its_line()
    {
        var file = Path.Combine(_dir, "bad.csv");
        await File.WriteAllLinesAsync(file, ["kind,id,x,y", "collector,1,0,0", "meter,1,north,5"]);

        var (code, _, error) = await CommandLine.RunAsync("check", "--set", $"amisim.scenario.fleet.topology-file=\"{file}\"");

        Assert.Equal(ExitCode.BadInput, code);
        Assert.Contains($"{file}, line 3, x: 'north' is not a number", error);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task An_exported_network_fed_back_gives_the_run_it_came_from(bool fromPositions)
    {
        string[] network = fromPositions ? ["--set", $"amisim.scenario.fleet.topology-file=\"{Positions()}\""] : ["--set", "amisim.scenario.fleet.meters=300", "--set", "amisim.scenario.fleet.collectors=3"];
        string[] rest = ["--set", "amisim.scenario.program.size=16384", "--set", "amisim.scenario.campaign.canary-meters=10"];
        var exported = Path.Combine(_dir, "exported.csv");
        var export = await CommandLine.RunAsync(["topology", "export", "--out", exported, .. network, .. rest]);
        Assert.True(export.Code == 0, export.Error);
        var again = await CommandLine.RunAsync(["topology", "export", "--out", exported, .. network]);
        Assert.Equal(ExitCode.BadInput, again.Code); // never overwritten
        var inspect = await CommandLine.RunAsync(["topology", "inspect", "--set", $"amisim.scenario.fleet.topology-file=\"{exported}\""]);
        Assert.True(inspect.Code == 0, inspect.Error);
        Assert.Contains("worst links", inspect.Out);

        var (original, fed) = (Path.Combine(_dir, "original"), Path.Combine(_dir, "fed"));
        Assert.Equal(0, (await CommandLine.RunAsync(["run", "--out", original, .. network, .. rest])).Code);
        var run = await CommandLine.RunAsync(["run", "--out", fed, "--set", $"amisim.scenario.fleet.topology-file=\"{exported}\"", .. rest]);

        Assert.True(run.Code == 0, run.Error);
        string Digest(string folder) => JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "report.json")))!["resultDigest"]!.GetValue<string>();
        Assert.Equal(Digest(original), Digest(fed));
        if (fromPositions) Assert.Contains(File.ReadAllLines(Path.Combine(fed, "meters.csv")), l => l.StartsWith("601,", StringComparison.Ordinal) && l.Contains("unreachable: no link"));
    }
}
