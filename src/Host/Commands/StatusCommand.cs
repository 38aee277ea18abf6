using System.ComponentModel;
using Akka.Actor;
using Akka.Configuration;
using AmiSim.HeadEnd.Campaign;
using AmiSim.HeadEnd.Persistence;
using Spectre.Console;
using Spectre.Console.Cli;

namespace AmiSim.Host.Commands;

/// <summary>
/// <c>amisim status --db PATH</c>: a campaign's state read from the head-end's database alone (during
/// or after a run, or after a crash): the state of the last durable flush.
/// </summary>
public sealed class StatusCommand : AsyncCommand<StatusCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--db <PATH>")]
        [Description("The head-end's SQLite database (headend.db in a run folder).")]
        public string Db { get; init; } = "";

        [CommandOption("--campaign <ID>")]
        [Description("Campaign id.")]
        [DefaultValue("C1")]
        public string Campaign { get; init; } = "C1";

        [CommandOption("--meters")]
        [Description("Also list every meter's last durable phase.")]
        public bool Meters { get; init; }

        public override ValidationResult Validate() =>
            Db.Length == 0 ? ValidationResult.Error("--db is required")
            : !File.Exists(Db) ? ValidationResult.Error($"--db {Db}: no such file")
            : ValidationResult.Success();
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        // A copy, so that reading never touches (or locks) the database of a run that may still be going on.
        var copy = Path.Combine(Path.GetTempPath(), $"amisim-status-{Guid.NewGuid():N}.db");
        File.Copy(settings.Db, copy);
        foreach (var suffix in new[] { "-wal", "-shm" })
            if (File.Exists(settings.Db + suffix)) File.Copy(settings.Db + suffix, copy + suffix);
        var system = ActorSystem.Create("amisim-status", ConfigurationFactory.ParseString("akka.loglevel = WARNING").WithFallback(JournalConfig.Sqlite(copy)));
        try
        {
            var campaign = DurableCampaignState.From((await Read(system, $"amisim-campaign-{settings.Campaign}")).Events);
            var mdm = DurableMdmState.From((await Read(system, "amisim-mdm")).Events);

            AnsiConsole.MarkupLineInterpolated($"campaign [bold]{settings.Campaign}[/]: {campaign.Status}, wave {campaign.Wave}, {campaign.Flushes} durable flushes");
            var table = new Table().AddColumns("phase", "meters");
            foreach (var group in campaign.Meters.Values.GroupBy(m => m.Phase).OrderBy(g => g.Key)) table.AddRow(group.Key.ToString(), group.Count().ToString());
            AnsiConsole.Write(table);
            var versions = string.Join(", ", mdm.FirmwareByMeter.Values.GroupBy(v => v).OrderBy(g => g.Key).Select(g => $"{g.Count()} meters on {g.Key}"));
            AnsiConsole.MarkupLineInterpolated($"MDM: {mdm.Messages} messages recorded; {versions}");
            if (settings.Meters)
                foreach (var meter in campaign.Meters.Values)
                    AnsiConsole.WriteLine($"{meter.Meter},{meter.Phase},{meter.Reason},{meter.Attempts},{meter.FirmwareAfter}");
            return 0;
        }
        catch (Exception error) when (error is InvalidOperationException or AskTimeoutException)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {settings.Db}: {error.Message}");
            return 1;
        }
        finally
        {
            await system.Terminate();
            foreach (var file in new[] { copy, copy + "-wal", copy + "-shm" }) File.Delete(file);
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
