using Akka;
using Akka.Actor;
using Akka.Event;
using Akka.Logger.Serilog;
using AmiSim.Kernel;

namespace AmiSim.Host;

/// <summary>
/// Akka's logger to Serilog (Akka.Logger.Serilog's), which also makes the actor system, as it shuts
/// down, wait until the log events published before are written: a logger is stopped with whatever is
/// still in its mailbox, and a short run lost the end of its story (a campaign with nothing to do, logged
/// a few milliseconds before the run ended). Set in hocon/amisim.conf (<c>akka.loggers</c>).
/// </summary>
public sealed class RunLogger : SerilogLogger
{
    private bool _drainsAtShutdown;

    public RunLogger() => Receive<Drain>(_ => Sender.Tell(Drain.Instance));

    protected override bool AroundReceive(Receive receive, object message)
    {
        var handled = base.AroundReceive(receive, message);
        if (message is Warning { Cause: { } cause } warning && Refusal(cause) is { } refused)
            Serilog.Log.Warning("Wire: dropped a message from {Peer:l}: {Why:l}", Peer(warning.LogSource), refused.Message);
        // Registered at the first message after the logger's start (the system's start waits for that one).
        if (!_drainsAtShutdown && message is not InitializeLogger)
        {
            _drainsAtShutdown = true;
            var self = Self;
            CoordinatedShutdown.Get(Context.System).AddTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate, "drain-log",
                async () =>
                {
                    await self.Ask<Drain>(Drain.Instance, TimeSpan.FromSeconds(5)); // answered after every event before it
                    return Done.Instance;
                });
        }
        return handled;
    }

    private static WireTypeRefusedException? Refusal(Exception? error) =>
        error is null ? null : error as WireTypeRefusedException ?? Refusal(error.InnerException);

    /// <summary>The remote address in the path of the Akka.Remote endpoint that logged (its reader is named endpointReader-ADDRESS-N, the address URL-encoded).</summary>
    private static string Peer(string logSource) =>
        System.Text.RegularExpressions.Regex.Match(logSource, @"endpointReader-([^/]+)-\d+$") is { Success: true } found
            ? Uri.UnescapeDataString(found.Groups[1].Value)
            : logSource;

    private sealed class Drain
    {
        public static readonly Drain Instance = new();

        private Drain() { }
    }
}
