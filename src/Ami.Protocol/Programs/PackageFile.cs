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

    /// <summary>
    /// The largest package file read, 320 MiB, checked before reading (a file's length) or parsing (a
    /// text's characters, which a file's bytes are at least). The largest package a scenario can make
    /// fits: a 64 MiB image (<see cref="ProgramManifest.MaxImageBytes"/>) is 85.3 MiB of base64, and in
    /// 16-byte blocks (the smallest) its manifest holds 4,194,304 block digests of 36 bytes, 192 MiB of
    /// base64; 277.4 MiB in all (in 512-byte blocks, the default, 91.4 MiB).
    /// </summary>
    public const long MaxBytes = 320L << 20;

    /// <summary>
    /// Reads the text of the package file at <paramref name="path"/>, refusing one larger than
    /// <see cref="MaxBytes"/> before reading it.
    /// </summary>
    /// <exception cref="PackageRejectedException">Malformed: the file is larger than <see cref="MaxBytes"/>.</exception>
    /// <exception cref="IOException">the file cannot be read (missing, a folder, a device).</exception>
    /// <exception cref="UnauthorizedAccessException">the file may not be read.</exception>
    public static string ReadText(string path)
    {
        if (Directory.Exists(path)) throw new IOException($"{path}: is a folder, not a package file");
        var info = new FileInfo(path);
        if (!info.Exists) throw new FileNotFoundException($"{path}: no such file", path);
        if (info.Length > MaxBytes) throw TooLarge(info.Length);
        // Read with the cap too: a device (/dev/zero) or a file that grows has no length to check first.
        using var reader = new StreamReader(path, System.Text.Encoding.UTF8);
        var text = new System.Text.StringBuilder();
        var chunk = new char[1 << 16];
        for (int read; (read = reader.Read(chunk)) > 0;)
        {
            if (text.Length + read > MaxBytes) throw TooLarge(text.Length + read, atLeast: true);
            text.Append(chunk, 0, read);
        }
        return text.ToString();
    }

    private static PackageRejectedException TooLarge(long bytes, bool atLeast = false) =>
        new(PackageRejection.Malformed, $"{(atLeast ? "at least " : "")}{bytes:N0} bytes, more than the {MaxBytes:N0} bytes (320 MiB) a package file may hold");

    public static string Write(ProgramPackage package, string signerKeyId) =>
        JsonSerializer.Serialize(new Document(Format, signerKeyId, Convert.ToBase64String(package.Manifest.CanonicalBytes()),
            Convert.ToBase64String(package.Signature), Convert.ToBase64String(package.Content.Span)), Options);

    /// <summary>
    /// Reads a package file's text (at most <see cref="MaxBytes"/> characters). It throws nothing but
    /// <see cref="PackageRejectedException"/>, whatever the text holds.
    /// </summary>
    /// <exception cref="PackageRejectedException">Malformed, with the reason.</exception>
    public static (ProgramPackage Package, string SignerKeyId) Read(string json)
    {
        if (json.Length > MaxBytes) throw TooLarge(json.Length);
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
