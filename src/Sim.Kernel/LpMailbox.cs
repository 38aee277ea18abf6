using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;
using Akka.Dispatch.MessageQueues;

namespace AmiSim.Kernel;

/// <summary>
/// The mailbox of LP actors. An LP actor holds at most a message or two at a time (its window's
/// slot, or its member's answer), but Akka's default queue starts every actor with a 32-slot
/// segment, about 1 KB per actor. This queue keeps one message in a field and allocates only for a
/// second one waiting behind it.
/// </summary>
/// <remarks>
/// Producers can be on several threads (a journal answers from its own), consumers one at a time
/// (Akka schedules a mailbox once), so every operation takes the queue's lock; it is uncontended
/// in practice. Actors that need a deque (stash, persistence) keep Akka's own mailbox: see
/// <see cref="Fits"/>.
/// </remarks>
public sealed class LpMailbox : MailboxType, IProducesMessageQueue<LpMailbox.Queue>
{
    /// <summary>Where the mailbox is configured (<see cref="Register"/> puts it there).</summary>
    public const string ConfigPath = "amisim.lp-mailbox";

    public LpMailbox(Settings settings, Config config) : base(settings, config) { }

    public override IMessageQueue Create(IActorRef owner, ActorSystem system) => new Queue();

    /// <summary>Makes the mailbox known to <paramref name="system"/>, as a fallback of its configuration (once).</summary>
    internal static void Register(ActorSystem system)
    {
        if (system.Settings.Config.HasPath(ConfigPath)) return;
        system.Settings.InjectTopLevelFallback(ConfigurationFactory.ParseString(
            $"{ConfigPath}.mailbox-type = \"{typeof(LpMailbox).AssemblyQualifiedName}\""));
    }

    /// <summary>Whether actors of <paramref name="actorType"/> can have this mailbox: those that ask for a kind of queue (a stash's deque) cannot.</summary>
    public static bool Fits(Type actorType) =>
        !actorType.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IRequiresMessageQueue<>));

    /// <summary>A FIFO queue that holds its first message in a field.</summary>
    public sealed class Queue : IMessageQueue, IUnboundedMessageQueueSemantics
    {
        private readonly object _lock = new();
        private Envelope _first;
        private Queue<Envelope>? _rest;
        private volatile int _count;

        public bool HasMessages => _count > 0;

        public int Count => _count;

        public void Enqueue(IActorRef receiver, Envelope envelope)
        {
            lock (_lock)
            {
                if (_count == 0) _first = envelope;
                else (_rest ??= new Queue<Envelope>()).Enqueue(envelope);
                _count++;
            }
        }

        public bool TryDequeue(out Envelope envelope)
        {
            lock (_lock)
            {
                if (_count == 0)
                {
                    envelope = default;
                    return false;
                }
                envelope = _first;
                _first = _rest is { Count: > 0 } rest ? rest.Dequeue() : default;
                _count--;
                return true;
            }
        }

        public void CleanUp(IActorRef owner, IMessageQueue deadletters)
        {
            while (TryDequeue(out var envelope)) deadletters.Enqueue(owner, envelope);
        }
    }
}
