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

    private const int RecentVerdicts = 256;

    /// <summary>
    /// The last verdicts this thread gave, by slice: a multicast hands the same few blocks to every
    /// meter of a cell in a row, so most checks are answered here without a lookup in <see cref="Cache"/>.
    /// </summary>
    [ThreadStatic] private static Verdict[]? _recent;

    private readonly record struct Verdict(byte[]? Array, int Offset, int Length, byte[]? Expected, bool Matches);

    /// <summary>Whether <paramref name="data"/> hashes to <paramref name="expected"/>.</summary>
    public static bool Matches(ReadOnlyMemory<byte> data, byte[] expected)
    {
        if (!MemoryMarshal.TryGetArray(data, out var segment) || segment.Array is null)
            return SHA256.HashData(data.Span).AsSpan().SequenceEqual(expected);
        var recent = _recent ??= new Verdict[RecentVerdicts];
        ref var verdict = ref recent[(int)((uint)segment.Offset * 2654435769u >> 24)]; // Fibonacci hashing onto 256 slots
        if (!ReferenceEquals(verdict.Array, segment.Array) || verdict.Offset != segment.Offset || verdict.Length != segment.Count || !ReferenceEquals(verdict.Expected, expected))
            verdict = new Verdict(segment.Array, segment.Offset, segment.Count, expected, Of(data).AsSpan().SequenceEqual(expected));
        return verdict.Matches;
    }

    public static byte[] Of(ReadOnlyMemory<byte> data)
    {
        if (!MemoryMarshal.TryGetArray(data, out var segment) || segment.Array is null)
            return SHA256.HashData(data.Span);
        var perArray = Cache.GetValue(segment.Array, _ => new());
        return perArray.GetOrAdd((segment.Offset, segment.Count), static (slice, array) => SHA256.HashData(array.AsSpan(slice.Offset, slice.Length)), segment.Array);
    }
}
