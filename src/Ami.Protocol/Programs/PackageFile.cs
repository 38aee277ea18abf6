using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace AmiSim.Protocol.Programs;

/// <summary>
/// The program package file (".amipkg"), what the vendor program tool writes (step 1.1) and the head-end
/// loads (step 1.2): JSON with the format tag, the signer's key id, and base64 of the manifest's
/// canonical bytes, the signature and the content.
/// </summary>
public static class PackageFile
{
    public const string Format = "amisim-package/1";

    public static string Write(ProgramPackage package, string signerKeyId) =>
        JsonSerializer.Serialize(new Document(Format, signerKeyId, Convert.ToBase64String(package.Manifest.CanonicalBytes()),
            Convert.ToBase64String(package.Signature), Convert.ToBase64String(package.Content.Span)), Options);

    /// <summary>Reads a package file. <exception cref="PackageRejectedException">malformed, with the reason.</exception></summary>
    public static (ProgramPackage Package, string SignerKeyId) Read(string json)
    {
        Document? document;
        try
        {
            document = JsonSerializer.Deserialize<Document>(json, Options);
        }
        catch (JsonException error)
        {
            throw new PackageRejectedException(PackageRejection.Malformed, $"not a package file: {error.Message}");
        }
        if (document is null || document.Format != Format)
            throw new PackageRejectedException(PackageRejection.Malformed, $"format is '{document?.Format}', expected '{Format}'");
        try
        {
            var manifest = ProgramManifest.FromCanonicalBytes(Convert.FromBase64String(document.Manifest ?? ""));
            return (new ProgramPackage(manifest, Convert.FromBase64String(document.Content ?? ""), Convert.FromBase64String(document.Signature ?? "")), document.SignerKeyId ?? "");
        }
        catch (FormatException error)
        {
            throw new PackageRejectedException(PackageRejection.Malformed, error.Message);
        }
    }

    /// <summary>The id of a vendor key: the first 8 bytes of the SHA-256 of its SubjectPublicKeyInfo, in hex.</summary>
    public static string KeyId(byte[] subjectPublicKeyInfo) => Convert.ToHexString(SHA256.HashData(subjectPublicKeyInfo)[..8]).ToLowerInvariant();

    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.Never };

    private sealed record Document(string? Format, string? SignerKeyId, string? Manifest, string? Signature, string? Content);
}

public enum PackageRejection
{
    Malformed,
    Unsigned,
    Untrusted,
    Tampered,
    Downgrade,
    Incompatible,
}

/// <summary>A package the head-end will not load; <see cref="Reason"/> says which rule, the message says why.</summary>
public sealed class PackageRejectedException(PackageRejection reason, string message) : Exception($"{reason}: {message}")
{
    public PackageRejection Reason { get; } = reason;
}
