using System.ComponentModel;
using AmiSim.Host.Cli;
using AmiSim.Host.Console;
using AmiSim.Host.Run;
using AmiSim.Host.Web;
using Spectre.Console;
using Spectre.Console.Cli;

namespace AmiSim.Host.Commands;

/// <summary>
/// <c>amisim console --db PATH</c>: the operator console over a run folder's final state, read-only, from
/// the head-end's journal (and the folder's report.json and meters.csv when it has them), served until
/// Ctrl+C. Bad input (no database, not a head-end's, an address that cannot be listened on) is
/// <see cref="ExitCode.BadInput"/> with one error line.
/// </summary>
public sealed class ConsoleCommand : AsyncCommand<ConsoleCommand.Settings>
{
    public sealed class Settings : JournalSettings
    {
        [CommandOption("--listen <ADDRESS:PORT>")]
        [Description("Where to serve the page (default 127.0.0.1 and a free port); on an address other than loopback, reading needs the token printed at start.")]
        public string Listen { get; init; } = "127.0.0.1:0";

        public override ValidationResult Validate()
        {
            try
            {
                OperatorConsole.ParseEndpoint(Listen);
                return ValidationResult.Success();
            }
            catch (FormatException error)
            {
                return ValidationResult.Error($"--listen {Listen}: {error.Message}");
            }
        }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        RunFolderView view;
        OperatorConsole console;
        var endpoint = OperatorConsole.ParseEndpoint(settings.Listen);
        try
        {
            view = RunFolderView.Read(await HeadEndJournal.ReadAsync(settings.Db, settings.Campaign));
        }
        catch (InputException error)
        {
            return ErrorLine.Exit(ExitCode.BadInput, error.Message);
        }
        try
        {
            console = await OperatorConsole.StartAsync(endpoint, view.Facts, pace: null, readOnly: true);
        }
        catch (Exception error) when (error is IOException or System.Net.Sockets.SocketException)
        {
            return ErrorLine.Exit(ExitCode.BadInput, $"--listen {endpoint}: cannot listen there ({error.Message}): an address of this machine and a free port, such as 127.0.0.1:0");
        }
        await using (console)
        {
            console.ShowFinal(view);
            var output = ConsoleOutput.Create();
            output.MarkupLineInterpolated($"console (read-only) of {HeadEndJournal.Locate(settings.Db)}: campaign {settings.Campaign} {view.Summary.Status.ToString().ToLowerInvariant()}, {view.Outcomes.Count:N0} meters reported");
            output.MarkupLineInterpolated($"open {console.Url.ToString()} (Ctrl+C ends it)"); // a string, so that Spectre escapes it ([::1] is no style)
            using var signals = new SignalCancellation(cancellation);
            try
            {
                await Task.Delay(Timeout.Infinite, signals.Token);
            }
            catch (OperationCanceledException)
            {
                // The operator is done with it.
            }
        }
        return ExitCode.Completed;
    }
}
