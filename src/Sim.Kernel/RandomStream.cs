namespace AmiSim.Kernel;

/// <summary>
/// A deterministic pseudo-random stream (xoshiro256**), derived from (seed, entity, purpose) so that
/// every entity draws from its own stream whatever the order in which entities run.
/// 32 bytes of state: cheap enough to keep one per LP and purpose.
/// </summary>
public sealed class RandomStream
{
    private ulong _s0, _s1, _s2, _s3;

    public RandomStream(ulong seed)
    {
        // Expand the seed with SplitMix64, as the xoshiro authors recommend.
        var x = seed;
        _s0 = SplitMix(ref x);
        _s1 = SplitMix(ref x);
        _s2 = SplitMix(ref x);
        _s3 = SplitMix(ref x);
    }

    /// <summary>The stream of <paramref name="entity"/> for <paramref name="purpose"/> in a run seeded with <paramref name="seed"/>.</summary>
    public static RandomStream For(long seed, ulong entity, string purpose) => new(DeriveSeed(seed, entity, purpose));

    /// <inheritdoc cref="For(long, ulong, string)"/>
    public static RandomStream For(long seed, LpId entity, string purpose) => For(seed, entity.Value, purpose);

    public static ulong DeriveSeed(long seed, ulong entity, string purpose)
    {
        var x = (ulong)seed;
        var h = SplitMix(ref x);
        x = h ^ entity;
        h = SplitMix(ref x);
        x = h ^ Fnv1a(purpose);
        return SplitMix(ref x);
    }

    public ulong NextUInt64()
    {
        var result = RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [0, <paramref name="maxExclusive"/>).</summary>
    public int NextInt(int maxExclusive)
    {
        if (maxExclusive <= 0) throw new ArgumentOutOfRangeException(nameof(maxExclusive));
        return (int)(NextDouble() * maxExclusive);
    }

    /// <summary>Uniform in [<paramref name="min"/>, <paramref name="maxExclusive"/>).</summary>
    public long NextLong(long min, long maxExclusive)
    {
        if (maxExclusive <= min) throw new ArgumentOutOfRangeException(nameof(maxExclusive));
        return min + (long)(NextDouble() * (maxExclusive - min));
    }

    /// <summary>True with probability <paramref name="p"/>.</summary>
    public bool Chance(double p) => p > 0 && NextDouble() < p;

    /// <summary>An exponentially distributed value with the given mean.</summary>
    public double NextExponential(double mean) => -mean * Math.Log(1.0 - NextDouble());

    private static ulong SplitMix(ref ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        var z = x;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private static ulong RotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));

    /// <summary>A stable 64-bit hash of a purpose name (string.GetHashCode is randomised per process).</summary>
    private static ulong Fnv1a(string text)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in text)
        {
            hash ^= c;
            hash *= 1099511628211UL;
        }
        return hash;
    }
}
