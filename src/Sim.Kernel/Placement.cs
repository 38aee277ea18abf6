using Akka.Actor;

namespace AmiSim.Kernel;

/// <summary>Decides which kernel partition hosts an LP. Every partition and node must agree.</summary>
public interface IPlacement
{
    int PartitionOf(LpId id, int partitionCount);
}

/// <summary>Spreads LPs by number; LPs of one kind with neighbouring numbers land on different partitions.</summary>
public sealed class ModuloPlacement : IPlacement
{
    public static readonly ModuloPlacement Instance = new();

    public int PartitionOf(LpId id, int partitionCount) => (int)(id.Value % (ulong)partitionCount);
}

/// <summary>Makes the actor of an LP the first time an event reaches it.</summary>
public interface ILpFactory
{
    /// <summary>Props of the LP's primary actor (a <see cref="SimActor"/>); throw for an id the model does not know.</summary>
    Props PropsFor(LpId id);
}
