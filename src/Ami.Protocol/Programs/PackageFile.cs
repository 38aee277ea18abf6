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
        using var reader = new StreamReader(path, System.Text.Encoding.UTF8);
        // A device (/dev/zero) or a pipe has no length: one that still gives data is no package file.
        if (info.Length == 0) return reader.Peek() < 0 ? "" : throw new IOException($"{path}: not a regular file (a device or a pipe); give a .amipkg file");
        // Read with the cap too: a file that grows has no length to check first.
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
        var start = json.TrimStart();
        if (start.Length == 0) throw new PackageRejectedException(PackageRejection.Malformed, "empty, not a package file");
        if (start.StartsWith("-----BEGIN", StringComparison.Ordinal))
            throw new PackageRejectedException(PackageRejection.Malformed, "a key file (PEM), not a package file (a .amipkg from `amisim program build`)");
        Document? document;
        try
        {
            document = JsonSerializer.Deserialize<Document>(json, Options);
        }
        catch (JsonException error)
        {
            var where = error.LineNumber is { } line ? $" (line {line + 1}, byte {error.BytePositionInLine + 1})" : "";
            throw new PackageRejectedException(PackageRejection.Malformed, $"not a package file: not the JSON text `amisim program build` writes{where}");
        }
        if (document is null || document.Format != Format)
            throw new PackageRejectedException(PackageRejection.Malformed, $"format is '{OutsideText.Clean(document?.Format ?? "", 40)}', expected '{Format}'");
        ProgramManifest manifest;
        try
        {
            manifest = ProgramManifest.FromCanonicalBytes(Base64(document.Manifest, "manifest"));
        }
        catch (FormatException error)
        {
            throw new PackageRejectedException(PackageRejection.Malformed, error.Message);
        }
        return (new ProgramPackage(manifest, Base64(document.Content, "content"), Base64(document.Signature, "signature")), document.SignerKeyId ?? "");
    }

    /// <summary>A base64 field's bytes. <exception cref="PackageRejectedException">Malformed, naming the field.</exception></summary>
    private static byte[] Base64(string? text, string field)
    {
        try
        {
            return Convert.FromBase64String(text ?? "");
        }
        catch (FormatException)
        {
            throw new PackageRejectedException(PackageRejection.Malformed, $"the {field} field is not base64 (the file was edited or damaged)");
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
