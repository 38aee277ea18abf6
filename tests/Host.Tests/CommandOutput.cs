using Spectre.Console;

namespace AmiSim.Host.Tests;

/// <summary>
/// An amisim command run in this process with what it printed: standard output (Spectre's console) and
/// standard error (<see cref="Cli.ErrorLine"/>). Both are process-wide: tests using it share the "runs" collection.
/// </summary>
public sealed record CommandOutput(int Code, string Out, string Error)
{
    public static async Task<CommandOutput> Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var standardError = System.Console.Error;
        AnsiConsole.Console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) });
        System.Console.SetError(error);
        try
        {
            var code = await AmiSimApp.Create().RunAsync(args);
            return new CommandOutput(code, output.ToString(), error.ToString());
        }
        finally
        {
            System.Console.SetError(standardError);
            AnsiConsole.Console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(System.Console.Out) });
        }
    }

    /// <summary>The lines printed to standard error.</summary>
    public IReadOnlyList<string> ErrorLines => Error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
