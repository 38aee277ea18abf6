using AmiSim.Protocol;

namespace AmiSim.Host.Cli;

/// <summary>
/// The one line a command prints when it cannot do what it was asked: on standard error, prefixed
/// "error:", outside text made printable, never a stack trace (that goes to the log, if there is one).
/// </summary>
public static class ErrorLine
{
    /// <summary>Longest message shown; a longer one is cut, saying so.</summary>
    private const int Max = 2_000;

    /// <summary>Writes "error: <paramref name="message"/>" to standard error.</summary>
    public static void Write(string message) => System.Console.Error.WriteLine("error: " + OutsideText.Clean(message, Max));

    /// <summary>Writes the line and returns <paramref name="exitCode"/> (for <c>return ErrorLine.Exit(...)</c>).</summary>
    public static int Exit(int exitCode, string message)
    {
        Write(message);
        return exitCode;
    }
}
