using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;

namespace AmiSim.Kernel;

/// <summary>
/// The dispatcher of LP actors (primaries and members): a message to an LP actor is handled on the
/// thread that sends it, at once, instead of being queued for a thread-pool worker.
/// </summary>
/// <remarks>
/// A window is a handful of events, so handing each LP's run to the thread pool and waiting for the
/// last one to report would cost more than the events themselves. Handled on the partition's thread, a window is a chain of calls, while
/// the LP actors keep their mailboxes and the one-message-at-a-time guarantee: a message to an actor
/// that is already running (a member's answer to its primary) waits in its mailbox and is handled
/// when the running message returns. Partitions keep the thread pool, so partitions still run in
/// parallel, and journal answers arrive on the journal's thread and carry the LP on from there.
/// </remarks>
public sealed class LpDispatcher : MessageDispatcher
{
    /// <summary>The dispatcher id LP actors are deployed on.</summary>
    public const string DispatcherId = "amisim.lp-dispatcher";

    private LpDispatcher(MessageDispatcherConfigurator configurator) : base(configurator) { }

    /// <summary>Makes the dispatcher and <see cref="LpMailbox"/> known to <paramref name="system"/> (once; later calls do nothing).</summary>
    public static void Register(ActorSystem system)
    {
        LpMailbox.Register(system);
        var dispatchers = system.Dispatchers;
        if (dispatchers.HasDispatcher(DispatcherId)) return;
        // A mailbox is drained in one go: handing the rest back after a throughput quota would only
        // recurse on the same thread.
        var config = ConfigurationFactory.ParseString($"id = \"{DispatcherId}\"\nthroughput = 1000000\nthroughput-deadline-time = 0s")
            .WithFallback(dispatchers.DefaultDispatcherConfig);
        dispatchers.RegisterConfigurator(DispatcherId, new LpConfigurator(config, dispatchers.Prerequisites));
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Type, bool> MailboxFits = new();

    /// <summary>Props of an LP actor: on this dispatcher, and in an <see cref="LpMailbox"/> unless the actor needs a queue of another kind.</summary>
    public static Props Deploy(Props props)
    {
        props = props.WithDispatcher(DispatcherId);
        return MailboxFits.GetOrAdd(props.Type, LpMailbox.Fits) ? props.WithMailbox(LpMailbox.ConfigPath) : props;
    }

    protected override void ExecuteTask(IRunnable run) => run.Run();

    protected override void Shutdown()
    {
        // No threads of its own.
    }

    private sealed class LpConfigurator(Config config, IDispatcherPrerequisites prerequisites)
        : MessageDispatcherConfigurator(config, prerequisites)
    {
        private LpDispatcher? _instance;

        public override MessageDispatcher Dispatcher() => _instance ??= new LpDispatcher(this);
    }
}
