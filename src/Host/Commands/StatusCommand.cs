using System.ComponentModel;
using System.Globalization;
using Akka.Actor;
using Akka.Configuration;
using AmiSim.HeadEnd.Campaign;
using AmiSim.HeadEnd.Persistence;
using AmiSim.Host.Cli;
using AmiSim.Host.Console;
using AmiSim.Protocol;
using Microsoft.Data.Sqlite;
using Spectre.Console;
using Spectre.Console.Cli;

namespace AmiSim.Host.Commands;

/// <summary>
/// <c>amisim status --db PATH</c>: a campaign's state read from the head-end's database alone (during
/// or after a run, or after a crash): the state of the last durable flush. PATH is the database or the
/// run folder holding it (headend.db). A file that is not a head-end database and a campaign it does
/// not hold are bad input (<see cref="ExitCode.BadInput"/>), one error line naming the file.
/// </summary>
public sealed class StatusCommand : AsyncCommand<StatusCommand.Settings>
{
    /// <summary>The head-end's database in a run folder.</summary>
    public const string DatabaseFile = "headend.db";

    private const string CampaignPrefix = "amisim-campaign-";

    /// <summary>The columns <c>--meters</c> prints, its first line.</summary>
    public const string MetersHeader = "meter,phase,reason,attempts,firmware_after";

    public sealed class Settings : CommandSettings
    {
        [CommandOption("--db <PATH>")]
        [Description("The head-end's SQLite database, or the run folder holding it (headend.db).")]
        public string Db { get; init; } = "";

        [CommandOption("--campaign <ID>")]
        [Description("Campaign id.")]
        [DefaultValue("C1")]
        public string Campaign { get; init; } = "C1";

        [CommandOption("--meters")]
        [Description("Also list every reported meter's last durable phase, as CSV with a header line.")]
        public bool Meters { get; init; }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        if (settings.Db.Length == 0) return ErrorLine.Exit(ExitCode.BadInput, "--db is required (the head-end's database or its run folder)");
        var db = Directory.Exists(settings.Db) ? Path.Combine(settings.Db, DatabaseFile) : settings.Db;
        if (!File.Exists(db))
            return ErrorLine.Exit(ExitCode.BadInput, db == settings.Db ? $"--db {db}: no such file" : $"--db {settings.Db}: a folder without {DatabaseFile}");

        // A copy, so that reading never touches (or locks) the database of a run that may still be going on.
        var copy = Path.Combine(Path.GetTempPath(), $"amisim-status-{Guid.NewGuid():N}.db");
        ActorSystem? system = null;
        try
        {
            try
            {
                File.Copy(db, copy);
                foreach (var suffix in new[] { "-wal", "-shm" })
                    if (File.Exists(db + suffix)) File.Copy(db + suffix, copy + suffix);
            }
            catch (Exception error) when (error is IOException or UnauthorizedAccessException)
            {
                return ErrorLine.Exit(ExitCode.BadInput, $"--db {db}: cannot be read ({error.Message})");
            }
            if (JournalContents(db, copy, out var campaigns) is { } problem) return ErrorLine.Exit(ExitCode.BadInput, problem);
            if (!campaigns.Contains(settings.Campaign))
                return ErrorLine.Exit(ExitCode.BadInput, campaigns.Count == 0
                    ? $"{db}: no campaign {settings.Campaign}: the database holds no campaign yet (a run that has not flushed, or not a head-end database)"
                    : $"{db}: no campaign {settings.Campaign}: the database holds {string.Join(", ", campaigns)}");

            system = ActorSystem.Create("amisim-status", ConfigurationFactory.ParseString("akka.loglevel = WARNING").WithFallback(JournalConfig.Sqlite(copy)));
            DurableCampaignState campaign;
            DurableMdmState mdm;
            try
            {
                campaign = DurableCampaignState.From((await Read(system, CampaignPrefix + settings.Campaign)).Events);
                mdm = DurableMdmState.From((await Read(system, "amisim-mdm")).Events);
            }
            catch (Exception error) when (error is InvalidOperationException or AskTimeoutException)
            {
                return ErrorLine.Exit(ExitCode.BadInput, $"{db}: {error.Message}");
            }
            Show(settings, campaign, mdm);
            return ExitCode.Completed;
        }
        finally
        {
            if (system is not null) await system.Terminate();
            SqliteConnection.ClearAllPools();
            foreach (var file in new[] { copy, copy + "-wal", copy + "-shm" }) File.Delete(file);
        }
    }

    /// <summary>
    /// Whether <paramref name="copy"/> (of <paramref name="db"/>) is a head-end database: SQLite, with
    /// Akka.Persistence.Sql's journal and snapshot tables. Returns what is wrong, or null with the campaign
    /// ids it holds (in order). Read before the journal plugin starts, which would create the tables.
    /// </summary>
    private static string? JournalContents(string db, string copy, out List<string> campaigns)
    {
        campaigns = [];
        string NotOurs(string why) => $"{db}: not a head-end database ({why})";
        if (new FileInfo(copy).Length == 0) return NotOurs("an empty file");
        try
        {
            using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = copy, Pooling = false }.ToString());
            connection.Open();
            using var tables = connection.CreateCommand();
            tables.CommandText = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('journal', 'snapshot')";
            if (Convert.ToInt64(tables.ExecuteScalar(), CultureInfo.InvariantCulture) != 2) return NotOurs("no journal and snapshot tables in it");
            using var ids = connection.CreateCommand();
            ids.CommandText = "SELECT persistence_id FROM journal UNION SELECT persistence_id FROM snapshot ORDER BY 1";
            using var reader = ids.ExecuteReader();
            while (reader.Read())
            {
                var id = reader.GetString(0);
                if (!id.StartsWith("amisim-", StringComparison.Ordinal)) return NotOurs($"its journal holds '{OutsideText.Clean(id)}', not an AmiSim journal");
                if (id.StartsWith(CampaignPrefix, StringComparison.Ordinal)) campaigns.Add(id[CampaignPrefix.Length..]);
            }
            return null;
        }
        catch (SqliteException error)
        {
            return NotOurs(error.SqliteErrorCode == 26 ? "not an SQLite database" : error.Message);
        }
    }

    private static void Show(Settings settings, DurableCampaignState campaign, DurableMdmState mdm)
    {
        // With --meters, standard output is the CSV alone (status --meters > meters.csv) and the summary goes to standard error.
        var console = settings.Meters ? ConsoleOutput.Create(System.Console.Error) : AnsiConsole.Console;
        console.MarkupLineInterpolated($"campaign [bold]{settings.Campaign}[/]: {campaign.StatusText}, {campaign.WaveText}, {campaign.Flushes} durable flushes");
        var table = new Table().AddColumns("phase", "meters");
        foreach (var group in campaign.Meters.Values.GroupBy(m => m.Phase).OrderBy(g => g.Key)) table.AddRow(group.Key.ToString(), group.Count().ToString("N0", CultureInfo.InvariantCulture));
        if (campaign.NotYetReported is > 0 and var waiting) table.AddRow("not yet reported (Pending)", waiting.ToString("N0", CultureInfo.InvariantCulture));
        console.Write(table);
        if (campaign.Plan is { } plan)
            console.MarkupLineInterpolated($"meters: {campaign.Meters.Count:N0} of {plan.Meters:N0} reported so far ({plan.WaveMeters.Count} waves, {plan.Skipped:N0} skipped)");
        else
            console.MarkupLineInterpolated($"meters: {campaign.Meters.Count:N0} reported so far (this journal does not hold the plan's total)");
        var versions = string.Join(", ", mdm.FirmwareByMeter.Values.GroupBy(v => v).OrderBy(g => g.Key).Select(g => $"{g.Count()} meters on {OutsideText.Clean(g.Key)}"));
        console.MarkupLineInterpolated($"MDM: {mdm.Messages} messages recorded{(versions.Length > 0 ? "; " + versions : "")}");
        if (!settings.Meters) return;
        // Written past Spectre's renderer: CSV lines must not be wrapped at the console's width.
        var csv = AnsiConsole.Profile.Out.Writer;
        csv.WriteLine(MetersHeader);
        foreach (var meter in campaign.Meters.Values)
            csv.WriteLine(string.Join(',', meter.Meter.ToString(CultureInfo.InvariantCulture), meter.Phase.ToString(), Csv(meter.Reason),
                meter.Attempts.ToString(CultureInfo.InvariantCulture), Csv(meter.FirmwareAfter)));
        csv.Flush();
    }

    /// <summary>A CSV field: quoted (quotes doubled) when it holds a comma, a quote or a line break.</summary>
    private static string Csv(string field) =>
        field.AsSpan().IndexOfAny(",\"\r\n") < 0 ? field : "\"" + field.Replace("\"", "\"\"") + "\"";

    private static async Task<JournalRead> Read(ActorSystem system, string persistenceId)
    {
        var inbox = Inbox.Create(system);
        system.ActorOf(JournalReader.Props(persistenceId, inbox.Receiver));
        var message = await inbox.ReceiveAsync(TimeSpan.FromMinutes(2));
        return message as JournalRead ?? throw new InvalidOperationException(message is Akka.Actor.Status.Failure failure ? failure.Cause.Message : $"unexpected {message}");
    }
}
