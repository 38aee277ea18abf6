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

    /// <summary>Largest image a manifest may describe (a scenario's program.size is at most this too).</summary>
    public const int MaxImageBytes = 64 << 20;

    /// <summary>Largest block a manifest may describe.</summary>
    public const int MaxBlockBytes = 64 << 10;

    /// <summary>Longest text field (program id, target model), in UTF-8 bytes.</summary>
    public const int MaxTextBytes = 1024;

    /// <summary>Longest blob field (a digest, a table write's data).</summary>
    public const int MaxBlobBytes = 64 << 10;

    /// <summary>
    /// Reads <see cref="CanonicalBytes"/> back. Every length and count is checked against the bytes left
    /// and against its maximum before anything is allocated; malformed bytes throw
    /// <see cref="FormatException"/> naming the field (and nothing else).
    /// </summary>
    public static ProgramManifest FromCanonicalBytes(ReadOnlySpan<byte> bytes)
    {
        var reader = new CanonicalReader(bytes);
        reader.Magic("AMISIM-MANIFEST-1"u8);
        var programId = reader.Text("program id");
        var kind = reader.U8("kind");
        if (kind is not ((byte)ProgramKind.Firmware or (byte)ProgramKind.Configuration)) throw new FormatException($"manifest kind {kind} is not 1 (firmware) or 2 (configuration)");
        var version = new FirmwareVersion(reader.U8("version"), reader.U8("revision"));
        var models = reader.List("target models", 4, (ref CanonicalReader r) => r.Text("target model"));
        var sources = reader.List("allowed source versions", 2, (ref CanonicalReader r) => new FirmwareVersion(r.U8("source version"), r.U8("source revision")));
        var size = reader.Int("size", MaxImageBytes);
        var blockSize = reader.Int("block size", MaxBlockBytes);
        var digests = reader.List("block digests", 4, (ref CanonicalReader r) => r.Blob("block digest"));
        var imageDigest = reader.Blob("image digest");
        var writes = reader.List("configuration writes", 8, (ref CanonicalReader r) => new TableWrite(new TableId((ushort)r.Int("table id", ushort.MaxValue)), r.Blob("table data")));
        reader.End();
        return new ProgramManifest
        {
            ProgramId = programId, Kind = (ProgramKind)kind, Version = version, TargetModels = models, AllowedSourceVersions = sources,
            Size = size, BlockSize = blockSize, BlockDigests = digests, ImageDigest = imageDigest, ConfigurationWrites = writes,
        };
    }

    private ref struct CanonicalReader(ReadOnlySpan<byte> bytes)
    {
        private readonly ReadOnlySpan<byte> _bytes = bytes;
        private int _at;

        private readonly int Left => _bytes.Length - _at;

        public void Magic(ReadOnlySpan<byte> magic)
        {
            if (!_bytes.StartsWith(magic)) throw new FormatException("not an AmiSim manifest (the magic bytes differ)");
            _at = magic.Length;
        }

        public byte U8(string field) => Take(field, 1)[0];

        public uint U32(string field) => BinaryPrimitives.ReadUInt32BigEndian(Take(field, 4));

        /// <summary>A u32 that must be at most <paramref name="max"/>.</summary>
        public int Int(string field, int max)
        {
            var value = U32(field);
            if (value > max) throw new FormatException($"manifest: {field} {value} exceeds the maximum of {max}");
            return (int)value;
        }

        public byte[] Blob(string field) => Take(field, Length(field, MaxBlobBytes)).ToArray();

        public string Text(string field) => Encoding.UTF8.GetString(Take(field, Length(field, MaxTextBytes)));

        /// <summary>A list of items of at least <paramref name="minItemBytes"/> each: its count must fit in the bytes left.</summary>
        public List<T> List<T>(string field, int minItemBytes, ReadItem<T> read)
        {
            var count = U32(field + " count");
            if (count > Left / minItemBytes)
                throw new FormatException($"manifest: {field} count {count} needs at least {(ulong)count * (ulong)minItemBytes} bytes, {Left} left");
            var items = new List<T>((int)count);
            for (var i = 0; i < count; i++) items.Add(read(ref this));
            return items;
        }

        public readonly void End()
        {
            if (_at != _bytes.Length) throw new FormatException($"manifest: {Left} byte(s) after the last field");
        }

        /// <summary>A length field: at most <paramref name="max"/> and at most the bytes left after it.</summary>
        private int Length(string field, int max)
        {
            var length = U32(field + " length");
            if (length > Left) throw new FormatException($"manifest: {field} length {length} exceeds the {Left} bytes left");
            if (length > max) throw new FormatException($"manifest: {field} length {length} exceeds the maximum of {max}");
            return (int)length;
        }

        private ReadOnlySpan<byte> Take(string field, int count)
        {
            if (count > Left) throw new FormatException($"manifest: {field} needs {count} byte(s) at offset {_at}, {Left} left");
            var span = _bytes.Slice(_at, count);
            _at += count;
            return span;
        }
    }

    private delegate T ReadItem<T>(ref CanonicalReader reader);

    /// <summary>The manifest of a firmware image cut into blocks of <paramref name="blockSize"/> bytes.</summary>
    public static ProgramManifest ForFirmware(string programId, FirmwareVersion version, ReadOnlySpan<byte> image, int blockSize,
        IReadOnlyList<string>? targetModels = null, IReadOnlyList<FirmwareVersion>? allowedSources = null)
    {
        if (blockSize <= 0) throw new ArgumentOutOfRangeException(nameof(blockSize), blockSize, "block size must be positive");
        if (blockSize > MaxBlockBytes) throw new ArgumentOutOfRangeException(nameof(blockSize), blockSize, $"block size must be at most {MaxBlockBytes}");
        if (image.Length == 0) throw new ArgumentException("a firmware image cannot be empty", nameof(image));
        if (image.Length > MaxImageBytes) throw new ArgumentException($"a firmware image is at most {MaxImageBytes:N0} bytes, this one {image.Length:N0}", nameof(image));
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
