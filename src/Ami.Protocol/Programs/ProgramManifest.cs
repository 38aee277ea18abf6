using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using AmiSim.Protocol.C1219;

namespace AmiSim.Protocol.Programs;

public enum ProgramKind : byte
{
    Firmware = 1,
    Configuration = 2,
}

/// <summary>One table write of a configuration program: written as a pending table, in force after SP 13.</summary>
public sealed record TableWrite(TableId Table, byte[] Data)
{
    public bool Equals(TableWrite? other) => other is not null && Table == other.Table && Data.AsSpan().SequenceEqual(other.Data);

    public override int GetHashCode() => HashCode.Combine(Table, Data.Length);
}

/// <summary>
/// What a program update is and what it may be applied to; signed by the vendor (ECDSA P-256 over
/// <see cref="CanonicalBytes"/>). A firmware program describes its image by size, block size and the
/// SHA-256 of each block and of the whole image; a configuration program lists its table writes.
/// </summary>
public sealed record ProgramManifest
{
    public required string ProgramId { get; init; }
    public required ProgramKind Kind { get; init; }
    /// <summary>The version written to ST1 (firmware) or the configuration's version.</summary>
    public required FirmwareVersion Version { get; init; }
    public IReadOnlyList<string> TargetModels { get; init; } = [];
    /// <summary>Versions the program may be applied over; empty = any older version.</summary>
    public IReadOnlyList<FirmwareVersion> AllowedSourceVersions { get; init; } = [];
    public int Size { get; init; }
    public int BlockSize { get; init; }
    public IReadOnlyList<byte[]> BlockDigests { get; init; } = [];
    public byte[] ImageDigest { get; init; } = [];
    public IReadOnlyList<TableWrite> ConfigurationWrites { get; init; } = [];

    public int BlockCount => BlockSize == 0 ? 0 : (Size + BlockSize - 1) / BlockSize;

    /// <summary>Whether a meter of <paramref name="model"/> at <paramref name="current"/> may take this program.</summary>
    public bool Accepts(string model, FirmwareVersion current) =>
        (TargetModels.Count == 0 || TargetModels.Contains(model)) &&
        (AllowedSourceVersions.Count == 0 ? current < Version || Kind == ProgramKind.Configuration : AllowedSourceVersions.Contains(current));

    /// <summary>The manifest's exact bytes: what the signature covers. Length-prefixed fields, big-endian.</summary>
    public byte[] CanonicalBytes()
    {
        using var buffer = new MemoryStream();
        void U8(byte v) => buffer.WriteByte(v);
        void U32(uint v)
        {
            Span<byte> b = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(b, v);
            buffer.Write(b);
        }
        void Blob(ReadOnlySpan<byte> bytes)
        {
            U32((uint)bytes.Length);
            buffer.Write(bytes);
        }
        void Text(string s) => Blob(Encoding.UTF8.GetBytes(s));

        buffer.Write("AMISIM-MANIFEST-1"u8);
        Text(ProgramId);
        U8((byte)Kind);
        U8(Version.Version);
        U8(Version.Revision);
        U32((uint)TargetModels.Count);
        foreach (var model in TargetModels) Text(model);
        U32((uint)AllowedSourceVersions.Count);
        foreach (var source in AllowedSourceVersions) { U8(source.Version); U8(source.Revision); }
        U32((uint)Size);
        U32((uint)BlockSize);
        U32((uint)BlockDigests.Count);
        foreach (var digest in BlockDigests) Blob(digest);
        Blob(ImageDigest);
        U32((uint)ConfigurationWrites.Count);
        foreach (var write in ConfigurationWrites) { U32(write.Table.Raw); Blob(write.Data); }
        return buffer.ToArray();
    }

    /// <summary>The manifest of a firmware image cut into blocks of <paramref name="blockSize"/> bytes.</summary>
    public static ProgramManifest ForFirmware(string programId, FirmwareVersion version, ReadOnlySpan<byte> image, int blockSize,
        IReadOnlyList<string>? targetModels = null, IReadOnlyList<FirmwareVersion>? allowedSources = null)
    {
        if (blockSize <= 0) throw new ArgumentOutOfRangeException(nameof(blockSize), blockSize, "block size must be positive");
        if (image.Length == 0) throw new ArgumentException("a firmware image cannot be empty", nameof(image));
        var digests = new List<byte[]>();
        for (var offset = 0; offset < image.Length; offset += blockSize)
            digests.Add(SHA256.HashData(image.Slice(offset, Math.Min(blockSize, image.Length - offset))));
        return new ProgramManifest
        {
            ProgramId = programId,
            Kind = ProgramKind.Firmware,
            Version = version,
            TargetModels = targetModels ?? [],
            AllowedSourceVersions = allowedSources ?? [],
            Size = image.Length,
            BlockSize = blockSize,
            BlockDigests = digests,
            ImageDigest = SHA256.HashData(image),
        };
    }

    public bool Equals(ProgramManifest? other) => other is not null && CanonicalBytes().AsSpan().SequenceEqual(other.CanonicalBytes());

    public override int GetHashCode() => HashCode.Combine(ProgramId, Version, Size);
}
