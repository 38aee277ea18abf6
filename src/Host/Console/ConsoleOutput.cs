using Spectre.Console;

namespace AmiSim.Host.Console;

/// <summary>The console a command writes its results to: standard output (or <c>writer</c>), and whole lines (no wrapping) when it is redirected.</summary>
public static class ConsoleOutput
{
    public static IAnsiConsole Create(TextWriter? writer = null)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(writer ?? System.Console.Out) });
        var redirected = writer is null || writer == System.Console.Out ? System.Console.IsOutputRedirected : System.Console.IsErrorRedirected;
        if (redirected || !console.Profile.Capabilities.Interactive) console.Profile.Width = 100_000;
        return console;
    }
}
