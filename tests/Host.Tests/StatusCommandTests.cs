using System.Diagnostics;
using System.Text.Json.Nodes;
using AmiSim.Host.Commands;
using Microsoft.Data.Sqlite;
using Xunit;

namespace AmiSim.Host.Tests;

/// <summary>`amisim status --db` reads the head-end's database alone, after a run and after a process killed mid-run.</summary>
[Collection("runs")]
public sealed class StatusCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("amisim-status-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Task<CommandOutput> Status(string db, params string[] more) => CommandOutput.Run(["status", "--db", db, .. more]);

    /// <summary>A finished run of 60 meters (snapshots on, so that the reader starts from one), its folder.</summary>
    private async Task<string> SmallRun()
    {
        var folder = Path.Combine(_dir, "run");
        Assert.Equal(0, await AmiSimApp.Create().RunAsync(["run", "--out", folder, "--set", "amisim.scenario.fleet.meters=60",
            "--set", "amisim.scenario.fleet.collectors=2", "--set", "amisim.scenario.program.size=8192", "--set", "amisim.scenario.faults.nic-outages-per-day=0",
            "--set", "amisim.scenario.campaign.snapshot-every=5", "--set", "amisim.scenario.campaign.snapshot-journal-ratio=0"]));
        return folder;
    }

    private static void AssertBadInput(CommandOutput status, params string[] contains)
    {
        Assert.Equal(2, status.Code);
        var line = Assert.Single(status.ErrorLines);
        Assert.StartsWith("error: ", line);
        foreach (var part in contains) Assert.Contains(part, line);
        Assert.Equal("", status.Out);
    }

    [Fact]
    public async Task After_a_run_status_shows_every_meter_s_final_phase_the_waves_done_and_a_csv_header()
    {
        var folder = await SmallRun();
        var waves = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(folder, "report.json")))!["campaign"]!["waves"]!.GetValue<int>();

        var status = await Status(Path.Combine(folder, "headend.db"), "--meters");

        Assert.Equal(0, status.Code);
        Assert.Contains($"completed, all {waves} waves done", status.Error); // with --meters the summary is on standard error, the CSV alone on standard output
        Assert.DoesNotContain($"wave {waves + 1}", status.Error);
        Assert.Contains("meters: 60 of 60 reported so far", status.Error);
        Assert.StartsWith(StatusCommand.MetersHeader, status.Out);
        var lines = status.Out.Split('\n').Select(l => l.Trim()).ToList();
        var header = lines.IndexOf(StatusCommand.MetersHeader);
        Assert.True(header >= 0, "the CSV has its header line");
        var rows = lines.Skip(header + 1).Where(l => l.Length > 0).ToList();
        Assert.Equal(60, rows.Count);
        var csv = await File.ReadAllLinesAsync(Path.Combine(folder, "meters.csv"));
        foreach (var row in csv.Skip(1).Select(l => l.Split(',')))
            Assert.Contains(rows, l => l.StartsWith($"{row[0]},{row[6]},", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Status_of_a_run_folder_reads_its_headend_db()
    {
        var folder = await SmallRun();

        var byFolder = await Status(folder);

        Assert.Equal(0, byFolder.Code);
        Assert.Equal((await Status(Path.Combine(folder, "headend.db"))).Out, byFolder.Out);
        AssertBadInput(await Status(_dir), _dir, "a folder without headend.db");
    }

    [Fact]
    public async Task An_unknown_campaign_is_refused_naming_it_and_the_campaigns_the_database_holds()
    {
        var folder = await SmallRun();

        AssertBadInput(await Status(folder, "--campaign", "C9"), "no campaign C9", "the database holds C1");
    }

    [Fact]
    public async Task A_file_that_is_not_a_head_end_database_is_refused_saying_so()
    {
        var empty = Path.Combine(_dir, "empty.db");
        await File.WriteAllBytesAsync(empty, []);
        var junk = Path.Combine(_dir, "junk.db");
        await File.WriteAllBytesAsync(junk, new Random(7).GetItems<byte>(Enumerable.Range(0, 256).Select(b => (byte)b).ToArray(), 5000));
        var other = Path.Combine(_dir, "other.db");
        using (var connection = new SqliteConnection($"Data Source={other};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "CREATE TABLE readings (meter INTEGER, kwh REAL); INSERT INTO readings VALUES (1, 2.5);";
            command.ExecuteNonQuery();
        }

        foreach (var (file, why) in new[] { (empty, "an empty file"), (junk, "not an SQLite database"), (other, "no journal and snapshot tables") })
        {
            var before = await File.ReadAllBytesAsync(file);
            AssertBadInput(await Status(file), $"{file}: not a head-end database ({why}");
            Assert.Equal(before, await File.ReadAllBytesAsync(file)); // read, never changed
        }
        AssertBadInput(await Status(Path.Combine(_dir, "none.db")), "--db", "none.db", "no such file");
    }

    [Fact]
    public async Task A_run_killed_with_SIGKILL_leaves_a_database_that_status_reads_with_the_plan_s_total()
    {
        var amisim = Path.Combine(AppContext.BaseDirectory, "amisim.dll");
        var folder = Path.Combine(_dir, "killed");
        var start = new ProcessStartInfo("dotnet", [amisim, "run", "--out", folder, "--set", "amisim.scenario.fleet.meters=3000", "--set", "amisim.scenario.fleet.collectors=3"])
        {
            RedirectStandardOutput = true, RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        _ = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        var db = Path.Combine(folder, "headend.db");
        var deadline = DateTime.UtcNow.AddSeconds(60); // wall clock: waiting for another process, not simulated time
        while (DateTime.UtcNow < deadline && !(File.Exists(db) && new FileInfo(db).Length + (File.Exists(db + "-wal") ? new FileInfo(db + "-wal").Length : 0) > 200_000))
            await Task.Delay(100);
        process.Kill(); // SIGKILL on Linux
        await process.WaitForExitAsync();

        var status = await Status(db, "--meters");

        Assert.Equal(0, status.Code);
        Assert.Contains("durable flushes", status.Error);
        var reported = status.Out.Split('\n').Count(l => l.Trim().Contains(",Pending,") || l.Contains(",Initiated,") || l.Contains(",Succeeded,") || l.Contains(",Transferring,")
                                                          || l.Contains(",Transferred,") || l.Contains(",Verified,") || l.Contains(",Activating,") || l.Contains(",Failed,") || l.Contains(",TimedOut,"));
        Assert.True(reported > 0);
        Assert.Contains($"meters: {reported:N0} of 3,000 reported so far", status.Error);
        if (reported < 3000) Assert.Contains($"not yet reported (Pending) │ {3000 - reported:N0}", status.Error);
        Assert.Matches(@"wave [1-9]\d* of [1-9]|all \d+ waves done", status.Error);
    }
}
