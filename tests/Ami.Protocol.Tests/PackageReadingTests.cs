using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using AmiSim.Protocol.C1219;
using AmiSim.Protocol.Programs;
using CsCheck;
using Xunit;

namespace AmiSim.Protocol.Tests;

/// <summary>
/// Reading a package file or a manifest from outside: whatever the bytes, it either succeeds or
/// refuses with <see cref="PackageRejectedException"/> (Malformed) naming the field, never another exception.
/// </summary>
public sealed class PackageReadingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("amisim-package-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly FirmwareVersion V2 = new(2, 0);

    private static ProgramManifest Firmware(int size = 1000, int blockSize = 256) =>
        ProgramManifest.ForFirmware("FW-1", V2, new byte[size], blockSize, ["AM-100"], [new FirmwareVersion(1, 0)]);

    private static ProgramManifest Configuration() => new()
    {
        ProgramId = "CFG-1", Kind = ProgramKind.Configuration, Version = V2, TargetModels = ["AM-100", "AM-200"],
        ConfigurationWrites = [new TableWrite(new TableId(0x103D), [1, 2, 3, 4]), new TableWrite(new TableId(0x1036), [9])],
    };

    /// <summary>A package file around <paramref name="manifest"/> (unsigned: reading does not verify).</summary>
    private static string FileOf(byte[] manifest, int contentBytes = 1000) =>
        new JsonObject
        {
            ["format"] = PackageFile.Format, ["signerKeyId"] = "0011223344556677", ["manifest"] = Convert.ToBase64String(manifest),
            ["signature"] = "", ["content"] = Convert.ToBase64String(new byte[contentBytes]),
        }.ToJsonString();

    private static byte[] WithU32(byte[] bytes, int offset, uint value)
    {
        var copy = bytes.ToArray();
        BinaryPrimitives.WriteUInt32BigEndian(copy.AsSpan(offset), value);
        return copy;
    }

    private const int ProgramIdLength = 17; // after the magic "AMISIM-MANIFEST-1"

    [Theory]
    [InlineData(0xffffffffu)]
    [InlineData(0x7ffffff0u)]
    [InlineData(0x80000000u)]
    public void A_program_id_length_beyond_the_manifest_is_malformed_naming_the_field(uint length)
    {
        var bytes = WithU32(Firmware().CanonicalBytes(), ProgramIdLength, length);

        var error = Assert.Throws<PackageRejectedException>(() => PackageFile.Read(FileOf(bytes)));

        Assert.Equal(PackageRejection.Malformed, error.Reason);
        Assert.Contains($"program id length {length} exceeds the {bytes.Length - ProgramIdLength - 4} bytes left", error.Message);
    }

    [Fact]
    public void A_list_count_beyond_the_manifest_is_malformed_naming_the_list()
    {
        var manifest = Firmware();
        var bytes = manifest.CanonicalBytes();
        var modelsCount = ProgramIdLength + 4 + "FW-1".Length + 3; // kind, version, revision

        foreach (var count in new[] { 0xffffffffu, 0x7ffffff0u, 1_000_000u })
        {
            var error = Assert.Throws<PackageRejectedException>(() => PackageFile.Read(FileOf(WithU32(bytes, modelsCount, count))));
            Assert.Equal(PackageRejection.Malformed, error.Reason);
            Assert.Contains($"target models count {count} needs at least", error.Message);
        }
    }

    [Fact]
    public void A_size_or_block_size_over_its_maximum_is_malformed_naming_it()
    {
        var bytes = Firmware().CanonicalBytes();
        // size, then block size, follow the target models ("AM-100") and the allowed source versions (1.0).
        var sizeAt = ProgramIdLength + 4 + "FW-1".Length + 3 + 4 + 4 + "AM-100".Length + 4 + 2;
        Assert.Equal(1000u, BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(sizeAt)));

        var size = Assert.Throws<PackageRejectedException>(() => PackageFile.Read(FileOf(WithU32(bytes, sizeAt, 0xffffffff))));
        var blockSize = Assert.Throws<PackageRejectedException>(() => PackageFile.Read(FileOf(WithU32(bytes, sizeAt + 4, 0x7ffffff0))));

        Assert.Contains($"size 4294967295 exceeds the maximum of {ProgramManifest.MaxImageBytes}", size.Message);
        Assert.Contains($"block size {0x7ffffff0} exceeds the maximum of {ProgramManifest.MaxBlockBytes}", blockSize.Message);
    }

    [Fact]
    public void A_table_id_over_16_bits_is_malformed()
    {
        var bytes = Configuration().CanonicalBytes();
        var firstTableId = bytes.Length - (4 + 4 + 4) - (4 + 4 + 1); // two writes, each id, length, data

        var error = Assert.Throws<PackageRejectedException>(() => PackageFile.Read(FileOf(WithU32(bytes, firstTableId, 0x0001103D), contentBytes: 0)));

        Assert.Contains("table id 69693 exceeds the maximum of 65535", error.Message);
    }

    [Fact]
    public void A_package_file_over_the_cap_is_refused_before_it_is_read()
    {
        var path = Path.Combine(_dir, "huge.amipkg");
        using (var file = File.Create(path)) file.SetLength(PackageFile.MaxBytes + 1); // sparse: nothing to read but zeros

        var error = Assert.Throws<PackageRejectedException>(() => PackageFile.ReadText(path));

        Assert.Equal(PackageRejection.Malformed, error.Reason);
        Assert.Contains($"{PackageFile.MaxBytes + 1:N0} bytes, more than the {PackageFile.MaxBytes:N0} bytes", error.Message);
    }

    [Fact]
    public void A_package_file_at_the_cap_s_edge_is_read_and_a_missing_one_or_a_folder_is_an_IO_error()
    {
        var path = Path.Combine(_dir, "fw.amipkg");
        File.WriteAllText(path, FileOf(Firmware().CanonicalBytes()));

        Assert.Equal(Firmware(), PackageFile.Read(PackageFile.ReadText(path)).Package.Manifest);
        Assert.Contains("no such file", Assert.Throws<FileNotFoundException>(() => PackageFile.ReadText(Path.Combine(_dir, "none.amipkg"))).Message);
        Assert.Contains("is a folder", Assert.Throws<IOException>(() => PackageFile.ReadText(_dir)).Message);
    }

    [Fact]
    public void An_image_over_the_maximum_makes_no_manifest()
    {
        Assert.Throws<ArgumentException>(() => ProgramManifest.ForFirmware("FW", V2, new byte[ProgramManifest.MaxImageBytes + 1], 4096));
    }

    /// <summary>Reads <paramref name="file"/>; true when it was read, false when refused as a package, anything else escapes.</summary>
    private static bool ReadOrRejected(string file)
    {
        try
        {
            PackageFile.Read(file);
            return true;
        }
        catch (PackageRejectedException)
        {
            return false;
        }
    }

    private static readonly Gen<byte[]> ValidManifests = Gen.OneOf(
        Gen.Select(Gen.Int[1, 3000], Gen.Int[16, 600]).Select(t => Firmware(t.Item1, t.Item2).CanonicalBytes()),
        Gen.Const(0).Select(_ => Configuration().CanonicalBytes()));

    /// <summary>Values a length or count field is tried with: the edges of int and uint, and small ones.</summary>
    private static readonly Gen<uint> LengthValues = Gen.OneOf(
        Gen.OneOf(Gen.Const(0u), Gen.Const(1u), Gen.Const(0x7fffffffu), Gen.Const(0x7ffffff0u), Gen.Const(0x80000000u), Gen.Const(0xffffffffu), Gen.Const(0xfffffff0u)),
        Gen.UInt, Gen.UInt[0, 5000]);

    [Fact]
    public void A_manifest_with_random_bytes_flipped_is_read_or_rejected_never_thrown_otherwise()
    {
        Gen.Select(ValidManifests, Gen.Select(Gen.Int[0, int.MaxValue], Gen.Byte).Array[1, 8]).Sample(t =>
        {
            var bytes = t.Item1.ToArray();
            foreach (var (at, flip) in t.Item2) bytes[at % bytes.Length] ^= (byte)(flip | 1);
            ReadOrRejected(FileOf(bytes));
        }, iter: 2000);
    }

    [Fact]
    public void A_manifest_with_a_random_u32_written_anywhere_is_read_or_rejected_never_thrown_otherwise()
    {
        Gen.Select(ValidManifests, Gen.Int[0, int.MaxValue], LengthValues).Sample(t =>
        {
            var (bytes, at, value) = t;
            ReadOrRejected(FileOf(WithU32(bytes, at % (bytes.Length - 3), value)));
        }, iter: 2000);
    }

    [Fact]
    public void A_package_file_with_random_characters_changed_is_read_or_rejected_never_thrown_otherwise()
    {
        var valid = FileOf(Firmware(600, 64).CanonicalBytes(), contentBytes: 600);
        var characters = Gen.OneOf(Gen.Char, Gen.Char.AlphaNumeric, Gen.OneOf(Gen.Const('"'), Gen.Const('{'), Gen.Const('}'), Gen.Const('\\'), Gen.Const('=')));
        Gen.Select(Gen.Int[0, int.MaxValue], characters).Array[1, 6].Sample(changes =>
        {
            var text = new StringBuilder(valid);
            foreach (var (at, c) in changes) text[at % text.Length] = c;
            ReadOrRejected(text.ToString());
        }, iter: 2000);
    }
}
