using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Xunit;

namespace AmiSim.HeadEnd.Tests;

/// <summary>
/// A throwaway PostgreSQL 15 server for the tests: initdb into a temporary folder, started on a free
/// loopback port, stopped and deleted afterwards. With AMISIM_POSTGRES set to a connection string,
/// that server is used instead. Without PostgreSQL binaries the tests fail, naming the package.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    private static readonly string[] BinDirectories = ["/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin", "/usr/local/bin", "/usr/bin"];
    private string? _data;
    private string? _bin;

    public string ConnectionString { get; private set; } = "";

    public async Task InitializeAsync()
    {
        if (Environment.GetEnvironmentVariable("AMISIM_POSTGRES") is { Length: > 0 } given)
        {
            ConnectionString = given;
            return;
        }
        _bin = BinDirectories.FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "pg_ctl")))
               ?? throw new InvalidOperationException("PostgreSQL server binaries (initdb, pg_ctl) were not found: install the postgresql (15) package, or set AMISIM_POSTGRES to a connection string");
        _data = Directory.CreateTempSubdirectory("amisim-pg-").FullName;
        var port = LoopbackPort.Free();
        var asRoot = Environment.UserName == "root";
        if (asRoot) await Run("chown", $"-R postgres {_data}");
        await Postgres("initdb", $"-D {_data} -U amisim -A trust --no-sync -E UTF8", asRoot);
        await Postgres("pg_ctl", $"-D {_data} -l {_data}/server.log -w -o \"-p {port} -k {_data} -c listen_addresses=127.0.0.1 -c fsync=off\" start", asRoot);
        ConnectionString = $"Host=127.0.0.1;Port={port};Username=amisim;Database=postgres;Pooling=true";
    }

    public async Task DisposeAsync()
    {
        if (_data is null || _bin is null) return;
        try
        {
            await Postgres("pg_ctl", $"-D {_data} -m immediate -w stop", Environment.UserName == "root");
        }
        finally
        {
            Directory.Delete(_data, recursive: true);
        }
    }

    private Task Postgres(string tool, string arguments, bool asRoot) =>
        asRoot ? Run("runuser", $"-u postgres -- {Path.Combine(_bin!, tool)} {arguments}") : Run(Path.Combine(_bin!, tool), arguments);

    private static async Task Run(string file, string arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{file} {arguments} failed ({process.ExitCode}): {await error} {await output}");
    }
}

[CollectionDefinition("postgres")]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>;
