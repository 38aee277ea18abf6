using Akka.Configuration;

namespace AmiSim.Kernel;

/// <summary>
/// How kernel traffic crosses nodes: Hyperion, a binary serializer that keeps the run-time type of
/// every field, for every message without a more specific binding (the kernel's window protocol,
/// events with their model payloads, queries and their answers), through <see cref="WireSerializer"/>,
/// which lets no type in that AmiSim's nodes do not exchange; and MemoryPack for
/// <see cref="IBinarySerialized"/> records. Akka's default for plain objects is JSON, which is both
/// larger and slower and loses the types of <c>object</c> fields such as an event's payload.
/// Remote frames may be 4 MiB: partitions send events in chunks of at most 2,000 and about 1 MiB
/// (<see cref="EventChunks"/>; about 60 bytes an event with a small payload, more with a large one,
/// which says its size: <see cref="ISizedPayload"/>), above Akka.Remote's default limit of 128,000 bytes.
/// </summary>
public static class KernelSerialization
{
    public static Config Config { get; } = ConfigurationFactory.ParseString("""
        akka.remote.dot-netty.tcp {
          maximum-frame-size = 4MiB
          send-buffer-size = 8MiB
          receive-buffer-size = 8MiB
        }
        """).WithFallback(WireSerializer.Config).WithFallback(BinarySerializer.Config);
}
