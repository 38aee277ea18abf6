using System.ComponentModel;
using System.Globalization;
using AmiSim.HeadEnd.Campaign;
using AmiSim.Host.Cli;
using AmiSim.Host.Console;
using AmiSim.Host.Run;
using AmiSim.Protocol;
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
    /// <summary>The columns <c>--meters</c> prints, its first line.</summary>
    public const string MetersHeader = "meter,phase,reason,attempts,firmware_after";

    public sealed class Settings : JournalSettings
    {
        [CommandOption("--meters")]
        [Description("Also list every reported meter's last durable phase, as CSV with a header line.")]
        public bool Meters { get; init; }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        HeadEndJournalState journal;
        try
        {
            journal = await HeadEndJournal.ReadAsync(settings.Db, settings.Campaign);
        }
        catch (InputException error)
        {
            return ErrorLine.Exit(ExitCode.BadInput, error.Message);
        }
        Show(settings, journal.State, journal.Mdm);
        return ExitCode.Completed;
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
}
