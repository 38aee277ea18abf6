using AmiSim.Scenario;

namespace AmiSim.Host.Run;

/// <summary>
/// The folder a run writes. A run never writes into a folder that holds anything (an earlier run's
/// evidence is never replaced or mixed with a new one's): an existing, non-empty folder is refused
/// before anything is written, unless the user asked for it to be emptied (<c>--force</c>).
/// </summary>
public static class RunFolder
{
    /// <summary>The run folder's run.json: what the run was started on, written before it runs, so a folder whose run never finished still names its scenario and package.</summary>
    public const string FactsFile = "run.json";

    /// <summary>The run folder's operator-actions.jsonl: each action the console took, a JSON line as it was taken (at, atSeconds, action, by), so a run that never finished still tells them.</summary>
    public const string ActionsFile = "operator-actions.jsonl";

    /// <summary>Every call to the external MDM (<c>--mdm-endpoint</c>) and its answer, one JSON line each.</summary>
    public const string MdmExchangesFile = "mdm-exchanges.jsonl";

    /// <summary>
    /// Makes the run folder ready and returns its path: <paramref name="requested"/>, or
    /// runs/NAME-SEED-TIME (with -2, -3... if a run of the same second has it).
    /// </summary>
    /// <param name="emptied">told of each entry removed with <paramref name="force"/>, to say so.</param>
    /// <exception cref="InputException">the path is a file, a non-empty folder without <paramref name="force"/>, or cannot be written.</exception>
    public static string Prepare(string? requested, ScenarioSettings scenario, DateTime utcNow, bool force, Action<string>? emptied = null)
    {
        var path = requested ?? Unused(Path.Combine("runs", $"{Safe(scenario.Name)}-{scenario.Seed}-{utcNow:yyyyMMdd-HHmmss}"));
        var option = requested is null ? "run folder" : "--out";
        if (File.Exists(path)) throw new InputException($"{option} {path}: is a file; a run writes a folder");
        try
        {
            if (Directory.Exists(path) && Directory.EnumerateFileSystemEntries(path).Any())
            {
                if (!force)
                    throw new InputException($"{option} {path}: is not empty (a run never writes into an earlier run's folder); choose another --out, or add --force to empty it first");
                foreach (var entry in Directory.EnumerateFileSystemEntries(path).ToList())
                {
                    if (Directory.Exists(entry)) Directory.Delete(entry, recursive: true);
                    else File.Delete(entry);
                    emptied?.Invoke(entry);
                }
            }
            Directory.CreateDirectory(path);
            var probe = Path.Combine(path, ".amisim-write-check");
            File.WriteAllText(probe, "");
            File.Delete(probe);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            throw new InputException($"{option} {path}: cannot be written: {error.Message}");
        }
        return path;
    }

    private static string Unused(string path)
    {
        var candidate = path;
        for (var n = 2; Directory.Exists(candidate) || File.Exists(candidate); n++) candidate = $"{path}-{n}";
        return candidate;
    }

    /// <summary>A scenario name as a folder name: characters a file system refuses become '_'.</summary>
    private static string Safe(string name)
    {
        var invalid = Path.GetInvalidFileNameChars();
        var safe = new string(name.Select(c => invalid.Contains(c) || char.IsControl(c) ? '_' : c).ToArray()).Trim();
        return safe.Length == 0 ? "scenario" : safe.Length > 64 ? safe[..64] : safe;
    }
}
