using System.Buffers.Binary;
using AmiSim.Protocol.Programs;

namespace AmiSim.Protocol.C1219;

/// <summary>
/// MT103 IMAGE_MANIFEST, written (full write) before MP1 initiates a transfer: MANIFEST_LEN u32 (big-endian),
/// the manifest's canonical bytes, SIGNATURE_LEN u16, the vendor's ECDSA P-256 signature
/// (IEEE P1363 r||s: 64 bytes, so frame sizes, and so results, do not depend on the signature's random k).
/// </summary>
public static class ImageManifestTable
{
    public static byte[] Encode(ProgramManifest manifest, byte[] signature)
    {
        var canonical = manifest.CanonicalBytes();
        var table = new byte[4 + canonical.Length + 2 + signature.Length];
        BinaryPrimitives.WriteUInt32BigEndian(table, (uint)canonical.Length);
        canonical.CopyTo(table, 4);
        BinaryPrimitives.WriteUInt16BigEndian(table.AsSpan(4 + canonical.Length), checked((ushort)signature.Length));
        signature.CopyTo(table, 6 + canonical.Length);
        return table;
    }

    public static (ProgramManifest Manifest, byte[] Signature) Decode(ReadOnlySpan<byte> table)
    {
        if (table.Length < 6) throw new TableFormatException($"MT103: {table.Length} bytes, too short for a manifest");
        var length = BinaryPrimitives.ReadUInt32BigEndian(table);
        if (length > table.Length - 6) throw new TableFormatException($"MT103: MANIFEST_LEN {length} is longer than the table");
        ProgramManifest manifest;
        try
        {
            manifest = ProgramManifest.FromCanonicalBytes(table.Slice(4, (int)length));
        }
        catch (FormatException error)
        {
            throw new TableFormatException($"MT103: {error.Message}");
        }
        var rest = table[(4 + (int)length)..];
        var signatureLength = BinaryPrimitives.ReadUInt16BigEndian(rest);
        if (rest.Length != 2 + signatureLength) throw new TableFormatException($"MT103: SIGNATURE_LEN {signatureLength} does not match the {rest.Length - 2} byte(s) left");
        return (manifest, rest[2..].ToArray());
    }
}
