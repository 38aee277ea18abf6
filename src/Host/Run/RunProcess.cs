using System.Diagnostics;
using System.Globalization;
using AmiSim.Host.Cli;

namespace AmiSim.Host.Run;

/// <summary>
/// One <c>amisim run</c> in a process of its own (this build's amisim.dll under the same dotnet), so
/// that a crash or a runaway heap of one run ends that process alone.
/// </summary>
public static class RunProcess
{
    /// <summary>The arguments of <c>amisim run</c> for one run of a sweep: the scenario (null: the embedded default), the --set options, the seed, the folder.</summary>
    public static List<string> Arguments(string? scenario, IEnumerable<string> sets, long seed, string folder)
    {
        var args = new List<string> { "run", "--seed", seed.ToString(CultureInfo.InvariantCulture), "--out", folder };
        if (Directory.Exists(folder)) args.Add("--force"); // an unfinished run's folder, from an interrupted sweep
        if (scenario is not null) args.AddRange(["--scenario", Path.GetFullPath(scenario)]);
        foreach (var set in sets) args.AddRange(["--set", set]);
        return args;
    }

    /// <summary>
    /// Runs <c>amisim ARGS</c> to its end, its standard output and error into <paramref name="log"/>.
    /// Returns null when it finished the run (exit 0 or 3 and a report.json in <paramref name="folder"/>), else why not.
    /// Canceled, it kills the process and its children.
    /// </summary>
    public static async Task<string?> RunAsync(IReadOnlyList<string> args, string folder, string log, CancellationToken cancellation)
    {
        var dll = typeof(RunProcess).Assembly.Location;
        var host = Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";
        var start = new ProcessStartInfo(host, [dll, .. args]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.Environment["NO_COLOR"] = "1";
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{host} {dll}: could not be started");
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        try
        {
            await process.WaitForExitAsync(cancellation);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        var error = await stderr;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(log))!);
        await File.WriteAllTextAsync(log, await stdout + error, CancellationToken.None);
        var code = process.ExitCode;
        if (code is ExitCode.Completed or ExitCode.CampaignNotCompleted && Sweep.Finished(folder)) return null;
        var last = error.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault()?.Trim() ?? "";
        return $"exit {code}{(last.Length > 0 ? ": " + last : "")}";
    }
}
