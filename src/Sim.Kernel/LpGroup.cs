using Akka.Actor;

namespace AmiSim.Kernel;

/// <summary>
/// The parent of the LP actors of one kind whose numbers share all but their low
/// <see cref="NumberBits"/> bits. A partition does not parent its LP actors itself: Akka keeps an
/// actor's children in an immutable sorted dictionary, so every child added to a partition of 100,000
/// allocated a path of tree nodes (470 MiB over a fleet-100k run); a group holds 256 at most.
/// </summary>
/// <remarks>
/// Runs on the <see cref="LpDispatcher"/>, so the partition's <see cref="Create"/> is handled on the
/// partition's thread before its Tell returns, and the slot has its actor at once.
/// </remarks>
internal sealed class LpGroup(IActorRef partition) : UntypedActor
{
    public const int NumberBits = 8;

    /// <summary>The group of <paramref name="lp"/>, as a key of the partition's groups.</summary>
    public static ulong KeyOf(LpId lp) => lp.Value >> NumberBits;

    public static Props Props(IActorRef partition) => LpDispatcher.Deploy(Akka.Actor.Props.Create(() => new LpGroup(partition)));

    /// <summary>Partition -> group: start <paramref name="Slot"/>'s actor from <paramref name="Props"/>, named <paramref name="Name"/>.</summary>
    public sealed record Create(LpSlot Slot, Props Props, string Name);

    protected override void OnReceive(object message)
    {
        if (message is Create create) create.Slot.Actor = Context.ActorOf(create.Props, create.Name);
        else Unhandled(message);
    }

    protected override SupervisorStrategy SupervisorStrategy() =>
        new OneForOneStrategy(error =>
        {
            // Handler errors are reported by the LP itself; anything else stops the run, as the partition's own children would.
            partition.Tell(new KernelProtocol.LpFailed(LpId.Kernel, $"an LP actor crashed: {error.Message}"));
            return Directive.Stop;
        });
}
