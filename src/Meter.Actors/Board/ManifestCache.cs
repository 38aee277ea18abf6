using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using AmiSim.Protocol.C1219;
using AmiSim.Protocol.Programs;

namespace AmiSim.Meter.Board;

/// <summary>
/// Decodes MT103 manifests once per distinct content: every meter of a campaign receives the same
/// signed manifest, and a decoded manifest is immutable, so the fleet shares one (a board keeps a
/// reference, not 30 KB of digests). The same bytes in another array are found by their SHA-256.
/// </summary>
public static class ManifestCache
{
    private static readonly ConditionalWeakTable<byte[], Entry> ByArray = new();
    private static readonly ConcurrentDictionary<string, Entry> ByContent = new();

    public static (ProgramManifest Manifest, byte[] Signature) Decode(ReadOnlyMemory<byte> table)
    {
        if (MemoryMarshal.TryGetArray(table, out var segment) && segment.Array is not null && segment.Offset == 0 && segment.Count == segment.Array.Length)
            return ByArray.GetValue(segment.Array, array => ByContentOf(array)).Value;
        return ByContentOf(table.Span).Value;
    }

    private static Entry ByContentOf(ReadOnlySpan<byte> table)
    {
        var key = Convert.ToHexString(SHA256.HashData(table));
        if (ByContent.TryGetValue(key, out var entry)) return entry;
        return ByContent.GetOrAdd(key, new Entry(ImageManifestTable.Decode(table)));
    }

    private sealed class Entry((ProgramManifest, byte[]) value)
    {
        public (ProgramManifest Manifest, byte[] Signature) Value { get; } = value;
    }
}
