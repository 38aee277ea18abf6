namespace AmiSim.Host.Tests;

/// <summary>
/// An amisim command run in this process with what it printed: standard output (Spectre's console) and
/// standard error (<see cref="Cli.ErrorLine"/>). Both are process-wide: tests using it share the "runs" collection.
/// </summary>
public sealed record CommandOutput(int Code, string Out, string Error)
{
    public static async Task<CommandOutput> Run(params string[] args)
    {
        var (code, output, error) = await CommandLine.RunAsync(args);
        return new CommandOutput(code, output, error);
    }

    /// <summary>The lines printed to standard error.</summary>
    public IReadOnlyList<string> ErrorLines => Error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
