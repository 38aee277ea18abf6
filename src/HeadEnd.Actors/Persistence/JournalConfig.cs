using Akka.Configuration;
using Akka.Persistence.Sql;

namespace AmiSim.HeadEnd.Persistence;

/// <summary>Akka.Persistence.Sql configuration for AmiSim's journals: SQLite files by default, PostgreSQL for clusters.</summary>
public static class JournalConfig
{
    /// <summary>Journal and snapshot store in one SQLite file (WAL mode), created when missing.</summary>
    public static Config Sqlite(string path) =>
        Build($"Data Source={Path.GetFullPath(path)};Pooling=True", "SQLite.MS");

    /// <summary>Journal and snapshot store in a PostgreSQL database.</summary>
    public static Config PostgreSql(string connectionString) => Build(connectionString, "PostgreSQL.15");

    private static Config Build(string connectionString, string provider)
    {
        var quoted = connectionString.Replace("\\", "\\\\").Replace("\"", "\\\"");
        return ConfigurationFactory.ParseString($$"""
            akka.persistence {
              journal {
                plugin = "akka.persistence.journal.sql"
                sql {
                  connection-string = "{{quoted}}"
                  provider-name = "{{provider}}"
                  auto-initialize = true
                }
              }
              snapshot-store {
                plugin = "akka.persistence.snapshot-store.sql"
                sql {
                  connection-string = "{{quoted}}"
                  provider-name = "{{provider}}"
                  auto-initialize = true
                }
              }
            }
            """).WithFallback(SqlPersistence.DefaultConfiguration);
    }
}
