using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;

namespace AmiSim.Protocol.Programs;

/// <summary>
/// A signed program update: manifest, content (the firmware image; empty for a configuration
/// program) and the vendor's ECDSA P-256 signature over the manifest's canonical bytes.
/// Immutable and shared: meters never copy the image, they refer to its blocks.
/// </summary>
public sealed class ProgramPackage
{
    public ProgramPackage(ProgramManifest manifest, ReadOnlyMemory<byte> content, byte[] signature)
    {
        Manifest = manifest;
        Content = content;
        Signature = signature;
    }

    public ProgramManifest Manifest { get; }

    public ReadOnlyMemory<byte> Content { get; }

    public byte[] Signature { get; }

    /// <summary>Block <paramref name="index"/> of the image (the last one may be short).</summary>
    public ReadOnlyMemory<byte> Block(int index)
    {
        var size = Manifest.BlockSize;
        if (index < 0 || index >= Manifest.BlockCount) throw new ArgumentOutOfRangeException(nameof(index), index, $"the image has {Manifest.BlockCount} blocks");
        var offset = index * size;
        return Content.Slice(offset, Math.Min(size, Content.Length - offset));
    }

    /// <summary>Signs <paramref name="manifest"/> with the vendor's private key.</summary>
    public static ProgramPackage Sign(ProgramManifest manifest, ReadOnlyMemory<byte> content, ECDsa vendorKey) =>
        new(manifest, content, vendorKey.SignData(manifest.CanonicalBytes(), HashAlgorithmName.SHA256));
}

/// <summary>
/// Checks package signatures against trusted vendor public keys. ECDSA verification is a pure
/// function of (key, manifest, signature), so results are remembered: a fleet of a million meters
/// verifying one package costs one verification, with the same outcome as a million.
/// </summary>
public sealed class SignatureVerifier
{
    private readonly IReadOnlyList<byte[]> _trustedKeys;
    private readonly ConcurrentDictionary<string, bool> _verdicts = new();
    private readonly ConditionalWeakTable<ProgramManifest, ConcurrentDictionary<byte[], bool>> _byManifest = new();

    /// <param name="trustedPublicKeys">SubjectPublicKeyInfo (DER) of each trusted vendor key.</param>
    public SignatureVerifier(IEnumerable<byte[]> trustedPublicKeys) => _trustedKeys = trustedPublicKeys.ToList();

    public bool IsTrusted(ProgramManifest manifest, byte[] signature)
    {
        if (signature.Length == 0) return false;
        // The fleet's boards share one decoded manifest: its verdicts are found by reference first,
        // without encoding and hashing its 16 KB of block digests for every meter.
        var known = _byManifest.GetValue(manifest, static _ => new ConcurrentDictionary<byte[], bool>(SignatureBytes.Comparer));
        return known.GetOrAdd(signature, static (signature, state) => state.Verifier.VerdictByContent(state.Manifest, signature), (Verifier: this, Manifest: manifest));
    }

    private bool VerdictByContent(ProgramManifest manifest, byte[] signature)
    {
        var manifestBytes = manifest.CanonicalBytes();
        var key = Convert.ToHexString(SHA256.HashData(manifestBytes)) + Convert.ToHexString(signature);
        return _verdicts.GetOrAdd(key, _ => _trustedKeys.Any(publicKey => Verify(publicKey, manifestBytes, signature)));
    }

    private sealed class SignatureBytes : IEqualityComparer<byte[]>
    {
        public static readonly SignatureBytes Comparer = new();

        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] bytes)
        {
            var hash = new HashCode();
            hash.AddBytes(bytes);
            return hash.ToHashCode();
        }
    }

    /// <summary>Whether <paramref name="signature"/> over <paramref name="manifestBytes"/> was made with the key <paramref name="publicKey"/> (SubjectPublicKeyInfo, DER).</summary>
    public static bool Verify(byte[] publicKey, byte[] manifestBytes, byte[] signature)
    {
        using var ecdsa = ECDsa.Create();
        ecdsa.ImportSubjectPublicKeyInfo(publicKey, out _);
        return ecdsa.VerifyData(manifestBytes, signature, HashAlgorithmName.SHA256);
    }
}
