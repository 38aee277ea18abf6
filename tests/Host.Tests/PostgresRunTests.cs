using System.Text.Json.Nodes;
using AmiSim.HeadEnd.Tests;
using Npgsql;
using Xunit;

namespace AmiSim.Host.Tests;

/// <summary>`amisim run --cluster --journal-postgres`: the head-end's and MDM's journals in a shared PostgreSQL 15.</summary>
[Collection("runs")]
public sealed class PostgresRunTests(PostgresServer server) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("amisim-pgrun-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task A_cluster_run_keeps_its_journals_in_PostgreSQL_with_the_result_of_a_SQLite_run()
    {
        var database = $"run{Guid.NewGuid():N}"[..16];
        await using (var admin = new NpgsqlConnection(server.ConnectionString))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {database}", admin);
            await create.ExecuteNonQueryAsync();
        }
        var connection = new NpgsqlConnectionStringBuilder(server.ConnectionString) { Database = database }.ConnectionString;
        var scenario = Path.Combine(_dir, "pg.conf");
        await File.WriteAllTextAsync(scenario, """
            amisim.scenario { name = "pg", fleet.meters = 120, fleet.collectors = 2, program.size = 16384, campaign.canary-meters = 6 }
            """);
        var port = LoopbackPort.Free();

        Assert.Equal(0, await AmiSimApp.Create().RunAsync(["run", "--scenario", scenario, "--out", Path.Combine(_dir, "sqlite")]));
        Assert.Equal(0, await AmiSimApp.Create().RunAsync(["run", "--cluster", "--port", port.ToString(), "--nodes", "1",
            "--journal-postgres", connection, "--scenario", scenario, "--out", Path.Combine(_dir, "pg")]));

        Assert.Equal(Digest("sqlite"), Digest("pg"));
        Assert.False(File.Exists(Path.Combine(_dir, "pg", "headend.db")), "the PostgreSQL run must not write a SQLite journal");
        await using var db = new NpgsqlConnection(connection);
        await db.OpenAsync();
        await using var count = new NpgsqlCommand("SELECT persistence_id, count(*) FROM journal GROUP BY persistence_id ORDER BY 1", db);
        var rows = new Dictionary<string, long>();
        await using (var reader = await count.ExecuteReaderAsync())
            while (await reader.ReadAsync()) rows[reader.GetString(0)] = reader.GetInt64(1);
        Assert.True(rows.GetValueOrDefault("amisim-campaign-C1") > 5, $"campaign flushes in PostgreSQL: {string.Join(", ", rows)}");
        Assert.True(rows.GetValueOrDefault("amisim-mdm") > 0, $"MDM records in PostgreSQL: {string.Join(", ", rows)}");
    }

    private string Digest(string run) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(_dir, run, "report.json")))!["resultDigest"]!.GetValue<string>();
}
