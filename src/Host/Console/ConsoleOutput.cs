using Spectre.Console;

namespace AmiSim.Host.Console;

/// <summary>The console a command writes its results to: standard output, and whole lines (no wrapping) when it is redirected.</summary>
public static class ConsoleOutput
{
    public static IAnsiConsole Create()
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(System.Console.Out) });
        if (System.Console.IsOutputRedirected || !console.Profile.Capabilities.Interactive) console.Profile.Width = 100_000;
        return console;
    }
}
