using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using AmiSim.HeadEnd.Campaign;
using AmiSim.Host.Run;
using AmiSim.Kernel;
using Sylvan.Data.Csv;

namespace AmiSim.Host.Web;

/// <summary>
/// A run folder's final state as the console shows it (<c>amisim console --db</c>): the campaign and
/// its meters from the head-end's journal (the last durable flush, so also of a run that was interrupted
/// or crashed), and, when the folder has them, the run's facts and operator actions from report.json and
/// each meter's collector and wave from meters.csv.
/// </summary>
public sealed record RunFolderView(ConsoleFacts Facts, SimTime End, CampaignSummary Summary, IReadOnlyList<MeterOutcome> Outcomes,
    IReadOnlyList<TakenAction> Actions, string? ReportHtml)
{
    /// <summary>Writes <see cref="RunFolder.FactsFile"/> into <paramref name="folder"/>.</summary>
    public static void WriteFacts(string folder, ConsoleFacts facts) =>
        File.WriteAllText(Path.Combine(folder, RunFolder.FactsFile), new JsonObject
        {
            ["scenario"] = facts.Scenario, ["seed"] = facts.Seed, ["package"] = facts.Package, ["meters"] = facts.Meters,
            ["collectors"] = facts.Collectors, ["distribution"] = facts.Distribution,
            ["process"] = Environment.ProcessId, ["processStarted"] = Process.GetCurrentProcess().StartTime.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture),
        }.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");

    /// <summary>Whether the run that wrote <paramref name="facts"/> (run.json) is still going: its process lives, started when run.json says.</summary>
    public static bool StillRunning(JsonNode facts)
    {
        if (facts["process"]?.GetValue<int>() is not { } pid || facts["processStarted"]?.GetValue<string>() is not { } started) return false;
        try
        {
            using var process = Process.GetProcessById(pid);
            return Math.Abs((process.StartTime.ToUniversalTime() - DateTime.Parse(started, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind)).TotalSeconds) < 1;
        }
        catch (Exception error) when (error is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception or FormatException)
        {
            return false; // gone
        }
    }

    /// <summary>Reads the folder of <paramref name="journal"/>'s database. <exception cref="InputException">report.json or meters.csv is there but cannot be read (names the file).</exception></summary>
    public static RunFolderView Read(HeadEndJournalState journal)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(journal.Database))!;
        var reportFile = Path.Combine(folder, "report.json");
        JsonObject? report = null;
        if (File.Exists(reportFile))
        {
            try
            {
                report = JsonNode.Parse(File.ReadAllText(reportFile)) as JsonObject ?? throw new JsonException("not a JSON object");
            }
            catch (Exception error) when (error is JsonException or IOException)
            {
                throw new InputException($"{reportFile}: cannot be read ({error.Message})");
            }
        }
        ConsoleFacts? started = null;
        var factsFile = Path.Combine(folder, RunFolder.FactsFile);
        if (report is null && File.Exists(factsFile))
        {
            try
            {
                var facts = JsonNode.Parse(File.ReadAllText(factsFile))!;
                var state = StillRunning(facts) ? "still running, no report.json yet" : "interrupted, no report.json";
                started = new ConsoleFacts($"{facts["scenario"]!.GetValue<string>()}, {state}", facts["seed"]!.GetValue<long>(), facts["package"]!.GetValue<string>(),
                    facts["meters"]!.GetValue<int>(), facts["collectors"]!.GetValue<int>(), facts["distribution"]!.GetValue<string>());
            }
            catch (Exception error) when (error is JsonException or IOException or InvalidOperationException or NullReferenceException or FormatException)
            {
                throw new InputException($"{factsFile}: not the run.json amisim wrote ({error.Message})");
            }
        }
        var csv = Path.Combine(folder, "meters.csv");
        var places = File.Exists(csv) ? Places(csv) : new Dictionary<long, (int, int)>();
        var html = Path.Combine(folder, "report.html");
        try
        {
            var view = Of(journal, report, places, Path.GetFileName(folder));
            if (report is null && TakenSoFar(Path.Combine(folder, RunFolder.ActionsFile)) is { } taken) view = view with { Actions = taken };
            return (started is null ? view : view with { Facts = started }) with { ReportHtml = File.Exists(html) ? html : null };
        }
        catch (Exception error) when (error is InvalidOperationException or FormatException or NullReferenceException or KeyNotFoundException)
        {
            throw new InputException($"{reportFile}: not a report amisim wrote ({error.Message})");
        }
    }

    /// <summary>
    /// The view of <paramref name="journal"/>, with <paramref name="report"/> (null: none) and each meter's
    /// collector and wave (0-based) from <paramref name="places"/> (a meter not in it: collector 0, wave -1).
    /// </summary>
    public static RunFolderView Of(HeadEndJournalState journal, JsonObject? report, IReadOnlyDictionary<long, (int Collector, int Wave)> places, string folderName)
    {
        var state = journal.State;
        var outcomes = state.Meters.Values.Select(m =>
        {
            var (collector, wave) = places.TryGetValue(m.Meter, out var place) ? place : (0, -1);
            return new MeterOutcome(m.Meter, collector, wave, m.Phase, m.Reason, m.Attempts, m.Phase.IsFinal() ? m.AtMicros : 0, m.FirmwareAfter);
        }).ToList();
        var phases = outcomes.GroupBy(o => o.Phase).ToDictionary(g => g.Key, g => g.Count());
        if (state.NotYetReported is > 0 and var pending) phases[MeterPhase.Pending] = phases.GetValueOrDefault(MeterPhase.Pending) + pending;
        var summary = new CampaignSummary(state.Status ?? CampaignStatus.Created, state.Wave, state.Plan?.WaveMeters.Count ?? report?["campaign"]?["waves"]?.GetValue<int>() ?? 0,
            phases, report?["campaign"]?["pauseReason"]?.GetValue<string>() ?? state.PauseReason ?? "", Quiet: true, journal.Mdm.Messages);
        var facts = report is null
            ? new ConsoleFacts($"{folderName} (no report.json: the run did not finish)", null, "unknown", state.Plan?.Meters ?? outcomes.Count, places.Values.Select(p => p.Collector).Distinct().Count(), "")
            : new ConsoleFacts(report["scenario"]!.GetValue<string>(), report["seed"]!.GetValue<long>(),
                $"{report["program"]!["kind"]!.GetValue<string>()} {report["program"]!["id"]!.GetValue<string>()} {report["program"]!["version"]!.GetValue<string>()}",
                report["fleet"]!["meters"]!.GetValue<int>(), report["fleet"]!["collectors"]!.GetValue<int>(), report["campaign"]!["distribution"]!.GetValue<string>().ToLowerInvariant());
        var actions = (report?["operatorActions"]?["taken"]?.AsArray() ?? []).Select(RunReport.TakenFrom).ToList();
        var end = state.Meters.Count == 0 ? SimTime.Zero : new SimTime(state.Meters.Values.Max(m => m.AtMicros));
        return new RunFolderView(facts, end, summary, outcomes, actions, null);
    }

    /// <summary>The actions a run that has not finished took so far (<see cref="RunFolder.ActionsFile"/>; null without one). A last line cut short by the run's end is left out. <exception cref="InputException">names the line that cannot be read.</exception></summary>
    private static List<TakenAction>? TakenSoFar(string file)
    {
        if (!File.Exists(file)) return null;
        var text = File.ReadAllText(file);
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var taken = new List<TakenAction>();
        for (var i = 0; i < lines.Length; i++)
        {
            try
            {
                taken.Add(RunReport.TakenFrom(JsonNode.Parse(lines[i])));
            }
            catch (Exception error) when (error is JsonException or FormatException or InvalidOperationException)
            {
                if (i == lines.Length - 1 && !text.EndsWith('\n')) break; // written when the run stopped
                throw new InputException($"{file}: line {i + 1}: {error.Message}");
            }
        }
        return taken;
    }

    /// <summary>Each meter's collector and wave (0-based; -1 when meters.csv has no wave column) from meters.csv. <exception cref="InputException">names the line that cannot be read.</exception></summary>
    private static Dictionary<long, (int Collector, int Wave)> Places(string file)
    {
        var places = new Dictionary<long, (int, int)>();
        try
        {
            using var csv = CsvDataReader.Create(file, new CsvDataReaderOptions { HasHeaders = true });
            int Column(string name) => csv.GetOrdinal(name);
            var (meter, collector) = (Column("meter"), Column("collector"));
            var wave = Enumerable.Range(0, csv.FieldCount).FirstOrDefault(i => csv.GetName(i) == "wave", -1);
            var line = 1;
            while (csv.Read())
            {
                line++;
                long Number(int column) => long.TryParse(csv.GetString(column), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n
                    : throw new FormatException($"line {line}: \"{csv.GetString(column)}\" is not a whole number");
                places[Number(meter)] = ((int)Number(collector), wave < 0 ? -1 : (int)Number(wave) - 1);
            }
            return places;
        }
        catch (Exception error) when (error is FormatException or IndexOutOfRangeException or IOException or CsvFormatException)
        {
            throw new InputException($"{file}: cannot be read ({error.Message})");
        }
    }
}
