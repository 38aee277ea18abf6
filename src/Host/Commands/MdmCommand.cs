using System.ComponentModel;
using System.Net;
using Akka.Actor;
using Akka.Configuration;
using AmiSim.HeadEnd.Persistence;
using AmiSim.Host.Cli;
using AmiSim.Host.Console;
using AmiSim.Host.Mdm;
using AmiSim.Host.Run;
using AmiSim.Host.Web;
using Serilog;
using Serilog.Events;
using Spectre.Console;
using Spectre.Console.Cli;

namespace AmiSim.Host.Commands;

/// <summary>
/// <c>amisim mdm</c>: the MDM alone, as the IEC 61968-100 web service a head-end sends its CIM
/// messages to (<c>amisim run --mdm-endpoint</c>, or a real head-end), with its journal in a SQLite
/// file; it knows the meters of a scenario's fleet. Served until Ctrl+C or SIGTERM; started again on
/// the same --db it goes on from what it recorded.
/// </summary>
public sealed class MdmCommand : AsyncCommand<MdmCommand.Settings>
{
    public sealed class Settings : FleetOptions
    {
        [CommandOption("--port <PORT>")]
        [Description("TCP port of the endpoint (0: any free one, printed).")]
        [DefaultValue(0)]
        public int Port { get; init; }

        [CommandOption("--listen <ADDRESS>")]
        [Description("Address to listen on (default 127.0.0.1; another one lets other machines send to it).")]
        [DefaultValue("127.0.0.1")]
        public string Listen { get; init; } = "127.0.0.1";

        [CommandOption("--db <FILE>")]
        [Description("The MDM's journal (SQLite), created when missing; an existing one is gone on from (default mdm.db).")]
        [DefaultValue("mdm.db")]
        public string Db { get; init; } = "mdm.db";

        public override ValidationResult Validate() =>
            Port is < 0 or > 65535 ? ValidationResult.Error($"--port {Port}: expected 0 to 65535")
            : Db.Trim().Length == 0 ? ValidationResult.Error("--db: empty; the MDM's journal file, such as mdm.db")
            : ValidationResult.Success();
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        IPEndPoint endpoint;
        RunInput input;
        try
        {
            endpoint = OperatorConsole.ParseEndpoint($"{settings.Listen}:{settings.Port}");
            input = RunInput.Read(settings.Scenario, settings.Set, settings.Seed);
            if (Directory.Exists(settings.Db)) throw new InputException($"--db {settings.Db}: a folder; the MDM's journal is a file, such as {Path.Combine(settings.Db, "mdm.db")}");
            if (Path.GetDirectoryName(Path.GetFullPath(settings.Db)) is { } folder && !Directory.Exists(folder)) throw new InputException($"--db {settings.Db}: no folder {folder}");
        }
        catch (FormatException error)
        {
            return ErrorLine.Exit(ExitCode.BadInput, $"--listen {settings.Listen}: {error.Message}");
        }
        catch (InputException error)
        {
            return ErrorLine.Exit(ExitCode.BadInput, error.Message);
        }
        var fleet = input.Topology.Meters.Select(m => (m.Meter.Identification, m.Firmware.ToString())).ToList();
        Logging.StartNode(LogEventLevel.Information);
        using var signals = new SignalCancellation(cancellation);
        var created = !File.Exists(settings.Db);
        Config journal;
        try
        {
            journal = JournalConfig.Sqlite(settings.Db);
        }
        catch (Exception error) when (error is Microsoft.Data.Sqlite.SqliteException or IOException or UnauthorizedAccessException)
        {
            await Logging.StopAsync();
            return ErrorLine.Exit(ExitCode.BadInput, $"--db {settings.Db}: not a SQLite database this process can write ({error.Message})");
        }
        var system = ActorSystem.Create("amisim-mdm", ConfigurationFactory.ParseString("akka.loglevel = WARNING\nakka.stdout-loglevel = ERROR").WithFallback(journal));
        MdmEndpoint? server = null;
        try
        {
            var failed = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
            var listener = system.ActorOf(Props.Create(() => new FailureListener(failed)));
            system.EventStream.Subscribe(listener, typeof(MdmService.RecoveryFailed));
            var service = system.ActorOf(MdmService.Props(fleet), "mdm");
            // The journal is read back before anything is served.
            var ready = service.Ask<MdmService.Totals>(MdmService.GetTotals.Instance, TimeSpan.FromMinutes(10), signals.Token);
            if (await Task.WhenAny(ready, failed.Task) == failed.Task)
                return ErrorLine.Exit(ExitCode.BadInput, $"--db {settings.Db}: {failed.Task.Result.Message}");
            var totals = await ready;
            try
            {
                server = await MdmEndpoint.StartAsync(endpoint, service);
            }
            catch (Exception error) when (error is IOException or System.Net.Sockets.SocketException)
            {
                await system.Terminate();
                // A refused start leaves nothing behind: a journal it made is removed.
                if (created) foreach (var file in new[] { "", "-wal", "-shm" }.Select(s => settings.Db + s).Where(File.Exists)) File.Delete(file);
                return ErrorLine.Exit(ExitCode.BadInput, $"--listen {settings.Listen} --port {settings.Port}: cannot listen there ({error.Message})");
            }
            var output = ConsoleOutput.Create();
            output.MarkupLineInterpolated($"MDM endpoint {server.Address.ToString()} (WSDL {server.Address.ToString()}?wsdl): {totals.Meters:N0} meters of {input.Source}; journal {Path.GetFullPath(settings.Db)}, {totals.Messages:N0} messages and {totals.Events:N0} events recorded");
            Log.Information("MDM serving at {Address} for {Meters} meters; journal {Db}", server.Address, totals.Meters, settings.Db);
            try
            {
                await Task.WhenAny(Task.Delay(Timeout.Infinite, signals.Token), failed.Task);
            }
            catch (OperationCanceledException)
            {
            }
            if (failed.Task.IsCompleted)
                return ErrorLine.Exit(ExitCode.RunFailed, $"the MDM's journal failed: {failed.Task.Result.Message}");
            var end = await service.Ask<MdmService.Totals>(MdmService.GetTotals.Instance, TimeSpan.FromSeconds(30));
            output.MarkupLineInterpolated($"MDM stopped: {end.Messages:N0} messages and {end.Events:N0} events recorded; since it started, {server.Requests:N0} requests answered, {server.Refusals:N0} of them FAILED");
            return ExitCode.Completed;
        }
        finally
        {
            if (server is not null) await server.DisposeAsync();
            await system.Terminate();
            await Logging.StopAsync();
        }
    }

    private sealed class FailureListener : ReceiveActor
    {
        public FailureListener(TaskCompletionSource<Exception> failed) => Receive<MdmService.RecoveryFailed>(f => failed.TrySetResult(f.Reason));
    }
}
