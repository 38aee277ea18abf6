using System.Security.Cryptography;
using System.Text;

namespace AmiSim.Host.Cli;

/// <summary>
/// A vendor key's PEM file as the commands take it (<c>--trust</c>, <c>--key</c>): an ECDSA P-256 key,
/// read with a cap so that a device or a large file given by mistake is refused, not read.
/// </summary>
public static class VendorKeyFile
{
    /// <summary>Largest key file read: a P-256 PEM is a few hundred bytes.</summary>
    public const int MaxBytes = 64 << 10;

    /// <summary>The public key (SubjectPublicKeyInfo, DER) of the PEM file at <paramref name="path"/> (a public or a private key).</summary>
    /// <exception cref="InvalidDataException">the file is missing, unreadable or not an ECDSA P-256 key; the message names the file.</exception>
    /// <exception cref="InvalidDataException">also for a private key: the head-end is given the public one, the private key stays with the vendor.</exception>
    public static byte[] ReadPublic(string path)
    {
        using var key = Read(path);
        try
        {
            _ = key.ExportParameters(includePrivateParameters: true);
        }
        catch (CryptographicException)
        {
            return key.ExportSubjectPublicKeyInfo(); // public only, as it should be
        }
        throw new InvalidDataException($"{path}: a private key; give the public one (NAME.pub from `amisim keys new`): the private key stays with the vendor");
    }

    /// <summary>The private key of the PEM file at <paramref name="path"/>.</summary>
    /// <exception cref="InvalidDataException">the file is missing, unreadable, not an ECDSA P-256 key, or holds no private key.</exception>
    public static ECDsa ReadPrivate(string path)
    {
        var key = Read(path);
        try
        {
            _ = key.ExportParameters(includePrivateParameters: true);
            return key;
        }
        catch (CryptographicException)
        {
            key.Dispose();
            throw new InvalidDataException($"{path}: a public key, not a private one (give NAME.key from `amisim keys new`)");
        }
    }

    private static ECDsa Read(string path)
    {
        var pem = Text(path);
        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(pem);
            if (key.KeySize != 256 || key.ExportParameters(false).Curve.Oid.Value != ECCurve.NamedCurves.nistP256.Oid.Value)
                throw new InvalidDataException($"{path}: an ECDSA key on another curve ({key.KeySize} bits), not P-256");
            return key;
        }
        catch (Exception error) when (error is ArgumentException or CryptographicException)
        {
            key.Dispose();
            throw new InvalidDataException($"{path}: not an ECDSA P-256 key in PEM (a file from amisim keys new: '-----BEGIN PUBLIC KEY-----' or '-----BEGIN PRIVATE KEY-----')");
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    private static string Text(string path)
    {
        if (Directory.Exists(path)) throw new InvalidDataException($"{path}: is a folder, not a key file");
        if (!File.Exists(path)) throw new InvalidDataException($"{path}: no such file");
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            var buffer = new byte[MaxBytes + 1];
            var length = 0;
            for (int read; length < buffer.Length && (read = stream.Read(buffer, length, buffer.Length - length)) > 0;) length += read;
            if (length > MaxBytes)
                throw new InvalidDataException($"{path}: more than {MaxBytes:N0} bytes, too large for a key file"
                                               + (buffer.AsSpan(0, 64).IndexOf("{"u8) >= 0 ? " (a package file, not a key: are --package and --trust swapped?)" : ""));
            if (length == 0) throw new InvalidDataException($"{path}: empty, not a key file");
            var text = Encoding.UTF8.GetString(buffer, 0, length);
            if (text.TrimStart().StartsWith('{')) throw new InvalidDataException($"{path}: a package file, not a key (are --package and --trust swapped?)");
            return text;
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"{path}: cannot be read ({error.Message})");
        }
    }
}
