using System.Globalization;
using Akka.Actor;
using Akka.Configuration;
using AmiSim.HeadEnd.Campaign;
using AmiSim.HeadEnd.Persistence;
using AmiSim.Protocol;
using Microsoft.Data.Sqlite;

namespace AmiSim.Host.Run;

/// <summary>What a head-end's database holds for one campaign: the state of its last durable flush, and the MDM's.</summary>
public sealed record HeadEndJournalState(string Database, string Campaign, DurableCampaignState State, DurableMdmState Mdm);

/// <summary>
/// Reads a head-end's SQLite database (during or after a run, or after a crash) without touching it: a
/// copy is read, so a run still going on is never locked. A file that is not a head-end database, or a
/// campaign it does not hold, is an <see cref="InputException"/> naming the file.
/// </summary>
public static class HeadEndJournal
{
    /// <summary>The head-end's database in a run folder.</summary>
    public const string DatabaseFile = "headend.db";

    private const string CampaignPrefix = "amisim-campaign-";

    /// <summary>The database <paramref name="path"/> names: the file, or headend.db in the run folder it is. <exception cref="InputException">neither exists.</exception></summary>
    public static string Locate(string path)
    {
        if (path.Length == 0) throw new InputException("--db is required (the head-end's database or its run folder)");
        var db = Directory.Exists(path) ? Path.Combine(path, DatabaseFile) : path;
        if (!File.Exists(db)) throw new InputException(db == path ? $"--db {db}: no such file" : $"--db {path}: a folder without {DatabaseFile}");
        return db;
    }

    /// <summary>Reads campaign <paramref name="campaign"/> and the MDM from the database <paramref name="path"/> names (see <see cref="Locate"/>).</summary>
    /// <exception cref="InputException">no such file, not a head-end database, or no such campaign in it.</exception>
    public static async Task<HeadEndJournalState> ReadAsync(string path, string campaign)
    {
        var db = Locate(path);
        var copy = Path.Combine(Path.GetTempPath(), $"amisim-journal-{Guid.NewGuid():N}.db");
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
                throw new InputException($"--db {db}: cannot be read ({error.Message})");
            }
            var runFolder = File.Exists(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(db))!, RunFolder.FactsFile));
            var noStateYet = $"{db}: no campaign state yet: the run in this folder has not made the head-end's first durable write (its campaign waits for the operator's start, has just begun, or the run stopped before)";
            if (Contents(db, copy, out var campaigns, out var empty) is { } problem) throw new InputException(empty && runFolder ? noStateYet : problem);
            if (!campaigns.Contains(campaign))
                throw new InputException(campaigns.Count == 0 && runFolder ? noStateYet
                    : campaigns.Count == 0
                    ? $"{db}: no campaign {campaign}: the database holds no campaign yet (a run that has not flushed, or not a head-end database)"
                    : $"{db}: no campaign {campaign}: the database holds {string.Join(", ", campaigns)}");

            system = ActorSystem.Create("amisim-journal", ConfigurationFactory.ParseString("akka.loglevel = WARNING").WithFallback(JournalConfig.Sqlite(copy)));
            try
            {
                var state = DurableCampaignState.From((await Read(system, CampaignPrefix + campaign)).Events);
                var mdm = DurableMdmState.From((await Read(system, "amisim-mdm")).Events);
                return new HeadEndJournalState(db, campaign, state, mdm);
            }
            catch (Exception error) when (error is InvalidOperationException or AskTimeoutException)
            {
                throw new InputException($"{db}: {error.Message}");
            }
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
    /// <param name="empty">the database is empty or has no journal tables yet (what a run leaves before its first write).</param>
    private static string? Contents(string db, string copy, out List<string> campaigns, out bool empty)
    {
        campaigns = [];
        empty = false;
        string NotOurs(string why) => $"{db}: not a head-end database ({why})";
        if (new FileInfo(copy).Length == 0)
        {
            empty = true;
            return NotOurs("an empty file");
        }
        try
        {
            using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = copy, Pooling = false }.ToString());
            connection.Open();
            using var tables = connection.CreateCommand();
            tables.CommandText = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('journal', 'snapshot')";
            if (Convert.ToInt64(tables.ExecuteScalar(), CultureInfo.InvariantCulture) != 2)
            {
                using var any = connection.CreateCommand();
                any.CommandText = "SELECT count(*) FROM sqlite_master WHERE type = 'table'";
                empty = Convert.ToInt64(any.ExecuteScalar(), CultureInfo.InvariantCulture) == 0;
                return NotOurs("no journal and snapshot tables in it");
            }
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

    private static async Task<JournalRead> Read(ActorSystem system, string persistenceId)
    {
        var inbox = Inbox.Create(system);
        system.ActorOf(JournalReader.Props(persistenceId, inbox.Receiver));
        var message = await inbox.ReceiveAsync(TimeSpan.FromMinutes(2));
        return message as JournalRead ?? throw new InvalidOperationException(message is Akka.Actor.Status.Failure failure ? failure.Cause.Message : $"unexpected {message}");
    }
}
