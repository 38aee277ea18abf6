using System.ComponentModel;
using System.Runtime.InteropServices;
using Akka.Cluster;
using AmiSim.Host.Cli;
using AmiSim.Host.Clustering;
using AmiSim.Host.Run;
using AmiSim.Scenario;
using Serilog.Events;
using Spectre.Console;
using Spectre.Console.Cli;

namespace AmiSim.Host.Commands;

/// <summary>`amisim node`: a cluster node that hosts kernel partitions of runs started by `amisim run --cluster`.</summary>
public sealed class NodeCommand : AsyncCommand<NodeCommand.Settings>
{
    public sealed class Settings : TlsSettings
    {
        [CommandOption("--port <PORT>")]
        [Description("TCP port of this node (0: any free port).")]
        public int Port { get; init; }

        [CommandOption("--hostname <HOST>")]
        [Description("Address other nodes reach this one at (default 127.0.0.1).")]
        public string Hostname { get; init; } = "127.0.0.1";

        [CommandOption("--seed-nodes <ADDRESS>")]
        [Description("Node to join, such as akka.tcp://amisim@127.0.0.1:4051 (the run's node); repeatable.")]
        public string[] SeedNodes { get; init; } = [];

        [CommandOption("--set <KEY=VALUE>")]
        [Description("Override an Akka or amisim key (HOCON syntax); repeatable.")]
        public string[] Set { get; init; } = [];

        public override ValidationResult Validate()
        {
            if (Port is < 0 or > 65535) return ValidationResult.Error($"--port {Port}: expected 0 to 65535");
            if (SeedNodes.Length == 0) return ValidationResult.Error("--seed-nodes is required: the address of the node that runs the scenario");
            foreach (var seed in SeedNodes)
            {
                try { ClusterNode.Parse(seed); }
                catch (ArgumentException error) { return ValidationResult.Error(error.Message); }
            }
            return ValidationResult.Success();
        }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        Akka.Configuration.Config defaults;
        ClusterTls? tls;
        try
        {
            defaults = HoconLoader.Load(settings.Set);
            tls = ClusterTls.For(settings.Hostname, settings.Tls);
        }
        catch (HoconInputException error)
        {
            return ErrorLine.Exit(ExitCode.BadInput, error.Message);
        }
        catch (InputException error)
        {
            return ErrorLine.Exit(ExitCode.BadInput, error.Message);
        }
        if (settings.Insecure) System.Console.Error.WriteLine($"warning: --insecure: plain TCP on {settings.Hostname}: anyone who reaches port {settings.Port} can join this node's cluster");
        Logging.StartNode(defaults.GetString("akka.loglevel", "INFO").ToUpperInvariant() switch
        {
            "DEBUG" => LogEventLevel.Debug,
            "WARNING" => LogEventLevel.Warning,
            "ERROR" => LogEventLevel.Error,
            _ => LogEventLevel.Information,
        });
        // Ctrl+C or SIGTERM (`kill PID`): leave the cluster gracefully, handing the partitions hosted here
        // over, then exit. A node started as a background job of a shell script has Ctrl+C's SIGINT
        // ignored (the shell's rule, which the runtime keeps), so there only SIGTERM stops it.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        try
        {
            // A cluster lives as long as the run (or sweep) that started it: once its other members are
            // gone, or this node was downed, the node starts afresh and joins the next one.
            while (!stop.IsCancellationRequested)
            {
                var system = ClusterNode.Start(settings.Hostname, settings.Port, settings.SeedNodes, defaults, tls);
                var cluster = Akka.Cluster.Cluster.Get(system);
                System.Console.WriteLine($"node {cluster.SelfAddress} joining {string.Join(", ", settings.SeedNodes)}; hosting partitions and sweep runs until stopped");
                var joined = false;
                try
                {
                    while (!stop.IsCancellationRequested && !system.WhenTerminated.IsCompleted)
                    {
                        await Task.WhenAny(system.WhenTerminated, Task.Delay(TimeSpan.FromSeconds(1), stop.Token));
                        var others = cluster.State.Members.Count(m => m.Address != cluster.SelfAddress && m.Status == MemberStatus.Up);
                        if (others > 0) joined = true;
                        else if (joined) break; // the cluster's other members are gone
                    }
                }
                catch (OperationCanceledException)
                {
                    // Stopped: below.
                }
                if (stop.IsCancellationRequested) Serilog.Log.Information("Stopping: leaving the cluster, partitions hosted here are handed over");
                else Serilog.Log.Information("The cluster this node joined has ended; joining again at {Seeds}", string.Join(", ", settings.SeedNodes));
                await Akka.Actor.CoordinatedShutdown.Get(system).Run(Akka.Actor.CoordinatedShutdown.ClrExitReason.Instance);
                await system.WhenTerminated;
            }
        }
        finally
        {
            await Logging.StopAsync();
        }
        return 0;

        void Stop(PosixSignalContext signal)
        {
            signal.Cancel = true;
            stop.Cancel();
        }
    }
}
