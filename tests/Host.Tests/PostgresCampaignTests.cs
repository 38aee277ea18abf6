using AmiSim.HeadEnd.Campaign;
using AmiSim.HeadEnd.Persistence;
using AmiSim.HeadEnd.Tests;
using Npgsql;
using Xunit;

namespace AmiSim.Host.Tests;

/// <summary>
/// Runs of the command line, one at a time (they share the console and Serilog's global logger), and
/// the tests that need a throwaway PostgreSQL 15 server (started once for them all).
/// </summary>
[CollectionDefinition("runs")]
public sealed class RunsCollection : ICollectionFixture<PostgresServer>;

/// <summary>The campaign's journal on a real PostgreSQL 15: a crash and recovery end as on SQLite.</summary>
[Collection("runs")]
public sealed class PostgresCampaignTests(PostgresServer server)
{
    [Fact]
    public async Task A_head_end_crash_recovers_from_a_PostgreSQL_journal()
    {
        var database = $"campaign{Guid.NewGuid():N}"[..20];
        await using (var connection = new NpgsqlConnection(server.ConnectionString))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {database}", connection);
            await create.ExecuteNonQueryAsync();
        }
        var journal = JournalConfig.PostgreSql(new NpgsqlConnectionStringBuilder(server.ConnectionString) { Database = database }.ConnectionString);
        var settings = new CampaignSettings { CanaryMeters = 6, MaxAttempts = 8 };

        IReadOnlyList<MeterOutcome> expected;
        await using (var clean = new CampaignRun(40, 2, settings))
        {
            await clean.RunAsync();
            expected = await clean.OutcomesAsync();
        }
        await using var run = new CampaignRun(40, 2, settings, journal: journal);
        run.Simulation.Schedule(CampaignSetup.Lp, AmiSim.Kernel.SimTime.FromSeconds(3600), new HeadEndCrash(TimeSpan.FromMinutes(40)));
        await run.RunAsync();

        Assert.Equal(1, (await run.SummaryAsync()).Restarts);
        Assert.Equal(expected.Select(o => (o.Meter, o.Phase, o.FirmwareAfter)), (await run.OutcomesAsync()).Select(o => (o.Meter, o.Phase, o.FirmwareAfter)));
    }
}
