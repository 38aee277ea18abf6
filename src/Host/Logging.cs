using Serilog;
using Serilog.Events;

namespace AmiSim.Host;

/// <summary>Serilog for a run (everything to the run's log file, warnings and errors to the console) or for a node.</summary>
public static class Logging
{
    /// <summary>
    /// The property every line of the simulation's story carries (the virtual time it happened at, as the
    /// campaign, its stations and the MDM log it): those lines are the run's results told in words, so
    /// their warnings (meters that timed out) stay in the log file and off the console, where only the
    /// tool's own warnings and errors go.
    /// </summary>
    public const string VirtualTimeProperty = "VirtualTime";

    /// <summary>
    /// The command's own record of what it also says on the console in its own words (a refusal, a
    /// failure with its stack trace, an interrupt): written to the log file only, so that the console
    /// has the one error line and never a stack trace.
    /// </summary>
    public static ILogger File => Log.ForContext(FileOnlyProperty, true);

    private const string FileOnlyProperty = "FileOnly";

    /// <summary>
    /// Everything to <paramref name="logFile"/>, at whatever level Akka's <c>akka.loglevel</c> lets through
    /// (Serilog takes all it is given: <c>--set akka.loglevel=DEBUG</c> adds the Debug lines), and the
    /// tool's warnings and errors to standard error; nothing to standard output.
    /// </summary>
    public static void Start(string logFile)
    {
        Log.Logger = new LoggerConfiguration()
            .MinimumLevel.Verbose()
            .Enrich.FromLogContext()
            .WriteTo.File(logFile, outputTemplate: "{Timestamp:yyyy-MM-dd HH:mm:ss.fff} [{Level:u3}] {Message:lj}{NewLine}{Exception}")
            .WriteTo.Logger(console => console
                .Filter.ByExcluding(e => e.Level < LogEventLevel.Error && e.Properties.ContainsKey(VirtualTimeProperty) || e.Properties.ContainsKey(FileOnlyProperty))
                .WriteTo.Console(restrictedToMinimumLevel: LogEventLevel.Warning, standardErrorFromLevel: LogEventLevel.Verbose,
                    outputTemplate: "{Level:w}: {Message:lj}{NewLine}"))
            .CreateLogger();
    }

    /// <summary>Serilog for a cluster node: everything from <paramref name="minimum"/> up to standard error (standard output is the node's own lines).</summary>
    public static void StartNode(LogEventLevel minimum)
    {
        Log.Logger = new LoggerConfiguration()
            .MinimumLevel.Is(minimum)
            .WriteTo.Console(outputTemplate: "{Timestamp:HH:mm:ss.fff} [{Level:u3}] {Message:lj}{NewLine}{Exception}", standardErrorFromLevel: LogEventLevel.Verbose)
            .CreateLogger();
    }

    /// <summary>Everything to <paramref name="logFile"/> and nothing to the console: for a command that says in its own words what its actor system's lines mean (<c>sweep --cluster</c>).</summary>
    public static void StartFileOnly(string logFile)
    {
        Log.Logger = new LoggerConfiguration()
            .MinimumLevel.Verbose()
            .WriteTo.File(logFile, outputTemplate: "{Timestamp:yyyy-MM-dd HH:mm:ss.fff} [{Level:u3}] {Message:lj}{NewLine}{Exception}")
            .CreateLogger();
    }

    public static async Task StopAsync() => await Log.CloseAndFlushAsync();
}
