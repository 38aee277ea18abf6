using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace AmiSim.Meter.Board;

/// <summary>
/// SHA-256 of written blocks. A digest is a pure function of the bytes, so the digest of a slice of a
/// shared package array is computed once for the whole fleet; bytes that are not such a slice (a
/// corrupted copy) are hashed each time.
/// </summary>
public static class BlockDigests
{
    private static readonly ConditionalWeakTable<byte[], System.Collections.Concurrent.ConcurrentDictionary<(int Offset, int Length), byte[]>> Cache = new();

    public static bool Matches(ReadOnlyMemory<byte> data, byte[] expected) => Of(data).AsSpan().SequenceEqual(expected);

    public static byte[] Of(ReadOnlyMemory<byte> data)
    {
        if (!MemoryMarshal.TryGetArray(data, out var segment) || segment.Array is null)
            return SHA256.HashData(data.Span);
        var perArray = Cache.GetValue(segment.Array, _ => new());
        return perArray.GetOrAdd((segment.Offset, segment.Count), static (slice, array) => SHA256.HashData(array.AsSpan(slice.Offset, slice.Length)), segment.Array);
    }
}
