using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Akka.Configuration;
using AmiSim.Protocol.Network;
using AmiSim.Protocol.Programs;

namespace AmiSim.Scenario;

/// <summary>
/// How image chunks cross nodes. A chunk's blocks are slices of the loaded package's content, and
/// serialized as they are they would carry the whole image (256 KiB) with every chunk. Every node
/// loads the same verified package, so a block that is a slice of it travels as (offset, length) and
/// becomes a slice of the receiving node's own copy; any other block travels by value.
/// </summary>
public static class ImageWire
{
    private static readonly ConcurrentDictionary<string, ReadOnlyMemory<byte>> Loaded = new();
    private static readonly ConditionalWeakTable<byte[], string> Contents = new();

    /// <summary>
    /// Configuration that makes the nodes' serializer (<see cref="Kernel.WireSerializer"/>) send every
    /// <see cref="ImageChunk"/> as a <see cref="Wire"/>.
    /// </summary>
    public static Config Config { get; } = ConfigurationFactory.ParseString(
        $"akka.actor.serialization-settings.amisim-wire.surrogates = [\"{typeof(ChunkSurrogate).AssemblyQualifiedName}\"]");

    /// <summary>The Hyperion surrogate of <see cref="ImageChunk"/> (made by the serializer from the configuration).</summary>
    public sealed class ChunkSurrogate() : Hyperion.Surrogate<ImageChunk, Wire>(Wire.From, wire => wire.ToChunk());

    /// <summary>Makes <paramref name="package"/>'s content the one chunks of its program refer to on this node.</summary>
    public static void Register(ProgramPackage package)
    {
        if (!MemoryMarshal.TryGetArray(package.Content, out var segment) || segment.Array is null) return;
        Loaded[package.Manifest.ProgramId] = package.Content;
        Contents.AddOrUpdate(segment.Array, package.Manifest.ProgramId);
    }

    /// <summary>An image chunk on the wire: per block its number and either its place in the program's content or its bytes.</summary>
    public sealed record Wire(string ProgramId, int BlockSize, int[] Numbers, int[] Offsets, int[] Lengths, byte[]?[] Values)
    {
        public static Wire From(ImageChunk chunk)
        {
            var count = chunk.Blocks.Count;
            var (numbers, offsets, lengths, values) = (new int[count], new int[count], new int[count], new byte[]?[count]);
            for (var i = 0; i < count; i++)
            {
                var block = chunk.Blocks[i];
                numbers[i] = block.Number;
                if (MemoryMarshal.TryGetArray(block.Data, out var segment) && segment.Array is not null
                    && Contents.TryGetValue(segment.Array, out var program) && program == chunk.ProgramId)
                    (offsets[i], lengths[i]) = (segment.Offset, segment.Count);
                else
                    values[i] = block.Data.ToArray();
            }
            return new Wire(chunk.ProgramId, chunk.BlockSize, numbers, offsets, lengths, values);
        }

        /// <exception cref="InvalidOperationException">a block refers to a program this node has not loaded.</exception>
        public ImageChunk ToChunk()
        {
            var blocks = new ImageBlock[Numbers.Length];
            ReadOnlyMemory<byte>? content = null;
            for (var i = 0; i < blocks.Length; i++)
            {
                if (Values[i] is { } bytes)
                {
                    blocks[i] = new ImageBlock(Numbers[i], bytes);
                    continue;
                }
                content ??= Loaded.TryGetValue(ProgramId, out var loaded) ? loaded
                    : throw new InvalidOperationException($"an image chunk of program {ProgramId} arrived, but this node has not loaded that program");
                blocks[i] = new ImageBlock(Numbers[i], content.Value.Slice(Offsets[i], Lengths[i]));
            }
            return new ImageChunk(ProgramId, BlockSize, blocks);
        }
    }
}
