using Spectre.Console;

namespace AmiSim.Host.Tests;

/// <summary>Runs the amisim command line in this process, with standard output and standard error captured.</summary>
internal static partial class CommandLine
{
    /// <summary>Longer than any command here takes; a command still going then has hung.</summary>
    public static readonly TimeSpan HangLimit = TimeSpan.FromMinutes(2);

    /// <summary>
    /// The captured text without the lines of the actor systems of other tests running beside this one
    /// (Akka's standard-output logger writes to the same process-wide console; amisim's own systems write nothing there).
    /// </summary>
    private static string WithoutOthers(string text) =>
        string.Join('\n', text.Split('\n').Where(line => !AkkaLine().IsMatch(line)));

    [System.Text.RegularExpressions.GeneratedRegex(@"^\[(DEBUG|INFO|WARNING|ERROR)\]\[\d")]
    private static partial System.Text.RegularExpressions.Regex AkkaLine();

    public static Task<(int Code, string Out, string Error)> RunAsync(params string[] args) => RunAsync(HangLimit, args);

    /// <exception cref="TimeoutException">the command was still going after <paramref name="limit"/>: it hung.</exception>
    public static async Task<(int Code, string Out, string Error)> RunAsync(TimeSpan limit, params string[] args)
    {
        var (output, error) = (new StringWriter(), new StringWriter());
        var (originalOut, originalError, originalAnsi) = (System.Console.Out, System.Console.Error, AnsiConsole.Console);
        System.Console.SetOut(TextWriter.Synchronized(output));
        System.Console.SetError(TextWriter.Synchronized(error));
        AnsiConsole.Console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(System.Console.Out) });
        try
        {
            var code = await Task.Run(() => AmiSimApp.Create().RunAsync(args)).WaitAsync(limit);
            return (code, WithoutOthers(output.ToString()), WithoutOthers(error.ToString()));
        }
        finally
        {
            System.Console.SetOut(originalOut);
            System.Console.SetError(originalError);
            AnsiConsole.Console = originalAnsi;
        }
    }
}
