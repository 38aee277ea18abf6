using System.Diagnostics;
using Xunit;

namespace AmiSim.Host.Tests;

/// <summary>`amisim status --db` reads the head-end's database alone, after a run and after a process killed mid-run.</summary>
[Collection("runs")]
public sealed class StatusCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("amisim-status-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static async Task<(int Code, string Output)> Status(string db)
    {
        var writer = new StringWriter();
        Spectre.Console.AnsiConsole.Console = Spectre.Console.AnsiConsole.Create(new Spectre.Console.AnsiConsoleSettings { Out = new Spectre.Console.AnsiConsoleOutput(writer) });
        try
        {
            return (await AmiSimApp.Create().RunAsync(["status", "--db", db, "--meters"]), writer.ToString());
        }
        finally
        {
            Spectre.Console.AnsiConsole.Console = Spectre.Console.AnsiConsole.Create(new Spectre.Console.AnsiConsoleSettings { Out = new Spectre.Console.AnsiConsoleOutput(System.Console.Out) });
        }
    }

    [Fact]
    public async Task After_a_run_status_shows_every_meter_s_final_phase_from_the_database()
    {
        var folder = Path.Combine(_dir, "run");
        Assert.Equal(0, await AmiSimApp.Create().RunAsync(["run", "--out", folder, "--set", "amisim.scenario.fleet.meters=60",
            "--set", "amisim.scenario.fleet.collectors=2", "--set", "amisim.scenario.program.size=8192", "--set", "amisim.scenario.faults.nic-outages-per-day=0",
            "--set", "amisim.scenario.campaign.snapshot-every=5", "--set", "amisim.scenario.campaign.snapshot-journal-ratio=0"])); // the reader starts from a snapshot

        var (code, output) = await Status(Path.Combine(folder, "headend.db"));

        Assert.Equal(0, code);
        Assert.Contains("completed", output);
        var csv = await File.ReadAllLinesAsync(Path.Combine(folder, "meters.csv"));
        var lines = output.Split('\n').Select(l => l.Trim()).Where(l => l.Count(c => c == ',') == 4).ToList();
        Assert.Equal(60, lines.Count);
        foreach (var row in csv.Skip(1).Select(l => l.Split(',')))
            Assert.Contains(lines, l => l.StartsWith($"{row[0]},{row[6]},", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_run_killed_with_SIGKILL_leaves_a_database_that_status_reads()
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

        var (code, output) = await Status(db);

        Assert.Equal(0, code);
        Assert.Contains("durable flushes", output);
        Assert.Contains(output.Split('\n'), l => l.Trim().Contains(",Pending,") || l.Contains(",Initiated,") || l.Contains(",Succeeded,") || l.Contains(",Transferring,"));
    }
}
