using Serilog;
using Serilog.Events;

namespace AmiSim.Host;

/// <summary>Serilog for a run (everything to the run's log file, warnings and errors to the console) or for a node.</summary>
public static class Logging
{
    public static void Start(string logFile)
    {
        Log.Logger = new LoggerConfiguration()
            .MinimumLevel.Information()
            .Enrich.FromLogContext()
            .WriteTo.File(logFile, outputTemplate: "{Timestamp:yyyy-MM-dd HH:mm:ss.fff} [{Level:u3}] {Message:lj}{NewLine}{Exception}")
            .WriteTo.Console(restrictedToMinimumLevel: LogEventLevel.Warning, standardErrorFromLevel: LogEventLevel.Warning)
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

    public static async Task StopAsync() => await Log.CloseAndFlushAsync();
}
