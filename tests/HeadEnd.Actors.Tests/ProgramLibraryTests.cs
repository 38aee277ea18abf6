using System.Security.Cryptography;
using System.Text.Json.Nodes;
using AmiSim.HeadEnd.Programs;
using AmiSim.Protocol.C1219;
using AmiSim.Protocol.Programs;
using CsCheck;
using Xunit;

namespace AmiSim.HeadEnd.Tests;

public sealed class ProgramLibraryTests
{
    private static readonly ECDsa Vendor = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private static readonly ECDsa Stranger = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private static readonly FirmwareVersion[] Fleet = [new(1, 0), new(1, 1)];

    private static string Package(ECDsa key, FirmwareVersion version, Func<ProgramPackage, ProgramPackage>? alter = null)
    {
        var image = new byte[4096];
        new Random(3).NextBytes(image);
        var package = ProgramPackage.Sign(ProgramManifest.ForFirmware("FW-X", version, image, 512), image, key);
        return PackageFile.Write(alter?.Invoke(package) ?? package, PackageFile.KeyId(key.ExportSubjectPublicKeyInfo()));
    }

    private static ProgramLibrary Library() => new([Vendor.ExportSubjectPublicKeyInfo()]);

    [Fact]
    public void A_package_signed_by_a_trusted_key_loads()
    {
        var package = Library().Load(Package(Vendor, new(2, 0)), Fleet);
        Assert.Equal(new FirmwareVersion(2, 0), package.Manifest.Version);
        Assert.Equal(8, package.Manifest.BlockCount);
    }

    [Fact]
    public void Unsigned_untrusted_tampered_malformed_and_downgrade_packages_are_rejected_with_the_reason()
    {
        PackageRejection Rejection(string file) => Assert.Throws<PackageRejectedException>(() => Library().Load(file, Fleet)).Reason;

        Assert.Equal(PackageRejection.Unsigned, Rejection(Package(Vendor, new(2, 0), p => new ProgramPackage(p.Manifest, p.Content, []))));
        Assert.Equal(PackageRejection.Untrusted, Rejection(Package(Stranger, new(2, 0))));
        Assert.Equal(PackageRejection.Tampered, Rejection(Package(Vendor, new(2, 0), p =>
        {
            var content = p.Content.ToArray();
            content[100] ^= 1;
            return new ProgramPackage(p.Manifest, content, p.Signature);
        })));
        var alteredManifest = JsonNode.Parse(Package(Vendor, new(2, 0)))!;
        var otherManifest = ProgramManifest.FromCanonicalBytes(Convert.FromBase64String(JsonNode.Parse(Package(Vendor, new(3, 0)))!["manifest"]!.GetValue<string>()));
        alteredManifest["manifest"] = Convert.ToBase64String(otherManifest.CanonicalBytes());
        Assert.Equal(PackageRejection.Tampered, Rejection(alteredManifest.ToJsonString()));
        Assert.Equal(PackageRejection.Malformed, Rejection("{ not json"));
        Assert.Equal(PackageRejection.Malformed, Rejection("""{"format":"amisim-package/1","signerKeyId":"x","manifest":"AAAA","signature":"","content":""}"""));
        Assert.Equal(PackageRejection.Downgrade, Rejection(Package(Vendor, new(1, 0))));
    }

    [Fact]
    public void A_package_for_none_of_the_fleets_models_is_refused_as_incompatible_naming_both()
    {
        var image = new byte[4096];
        var package = ProgramPackage.Sign(ProgramManifest.ForFirmware("FW-X", new(2, 0), image, 512, ["AM-999", "AM-998"]), image, Vendor);
        var file = PackageFile.Write(package, PackageFile.KeyId(Vendor.ExportSubjectPublicKeyInfo()));

        var error = Assert.Throws<PackageRejectedException>(() => Library().Load(file, [], fleetModels: ["AM-200", "AM-100"]));

        Assert.Equal(PackageRejection.Incompatible, error.Reason);
        Assert.Equal("Incompatible: FW-X 2.0 targets models AM-998, AM-999, none of which is in the fleet (its models: AM-100, AM-200)", error.Message);
    }

    [Fact]
    public void A_package_for_some_of_the_fleets_models_or_for_any_model_loads()
    {
        var image = new byte[4096];
        string File(IReadOnlyList<string> models) => PackageFile.Write(ProgramPackage.Sign(ProgramManifest.ForFirmware("FW-X", new(2, 0), image, 512, models), image, Vendor),
            PackageFile.KeyId(Vendor.ExportSubjectPublicKeyInfo()));

        Assert.Equal(["AM-999", "AM-100"], Library().Load(File(["AM-999", "AM-100"]), Fleet, fleetModels: ["AM-100", "AM-200"]).Manifest.TargetModels);
        Assert.Empty(Library().Load(File([]), Fleet, fleetModels: ["AM-100"]).Manifest.TargetModels);
        Assert.Equal(["AM-999"], Library().Load(File(["AM-999"]), [], allowDowngrade: true).Manifest.TargetModels); // no fleet: inspecting a package
    }

    [Fact]
    public void A_package_older_than_some_meters_but_newer_than_others_loads_for_the_older_ones()
    {
        FirmwareVersion[] mixed = [new(1, 0), new(3, 0)];
        Assert.Equal(new FirmwareVersion(2, 0), Library().Load(Package(Vendor, new(2, 0)), mixed).Manifest.Version);
        var refused = Assert.Throws<PackageRejectedException>(() => Library().Load(Package(Vendor, new(1, 0)), mixed));
        Assert.Equal(PackageRejection.Downgrade, refused.Reason); // none runs older: it would update no meter
    }

    [Fact]
    public void A_downgrade_loads_when_allowed()
    {
        var package = Library().Load(Package(Vendor, new(1, 0)), Fleet, allowDowngrade: true);
        Assert.Equal(new FirmwareVersion(1, 0), package.Manifest.Version);
    }

    /// <summary>Loads <paramref name="file"/>; true when loaded, false when rejected; any other exception escapes.</summary>
    private static bool LoadedOrRejected(string file)
    {
        try
        {
            Library().Load(file, Fleet);
            return true;
        }
        catch (PackageRejectedException)
        {
            return false;
        }
    }

    [Fact]
    public void A_trusted_signature_over_any_size_block_size_and_digests_loads_or_is_rejected_never_thrown_otherwise()
    {
        var sizes = Gen.OneOf(Gen.Int[0, 5000], Gen.OneOf(Gen.Const(ProgramManifest.MaxImageBytes), Gen.Const(ProgramManifest.MaxImageBytes - 1), Gen.Const(1)));
        var blockSizes = Gen.OneOf(Gen.Int[0, 600], Gen.OneOf(Gen.Const(ProgramManifest.MaxBlockBytes), Gen.Const(1), Gen.Const(0)));
        Gen.Select(sizes, blockSizes, Gen.Int[0, 40], Gen.Int[0, 5000], Gen.Bool).Sample(t =>
        {
            var (size, blockSize, digests, contentBytes, kind) = t;
            // Half the time the content and the digests agree with the size, so that the checks past the first are reached.
            var content = new byte[contentBytes % 2 == 0 && size <= 5000 ? size : contentBytes];
            var blocks = blockSize == 0 ? 0 : (size + blockSize - 1) / blockSize;
            if (digests % 2 == 0 && blocks <= 5000) digests = blocks;
            var manifest = ProgramManifest.ForFirmware("FW-X", new(2, 0), new byte[100], 16) with
            {
                Kind = kind ? ProgramKind.Firmware : ProgramKind.Configuration, Size = size, BlockSize = blockSize,
                BlockDigests = Enumerable.Range(0, digests).Select(i => new byte[i % 3 == 0 ? 32 : i % 40]).ToList(),
            };
            var file = PackageFile.Write(ProgramPackage.Sign(manifest, content, Vendor), PackageFile.KeyId(Vendor.ExportSubjectPublicKeyInfo()));
            LoadedOrRejected(file);
        }, iter: 300);
    }

    [Fact]
    public void A_signed_package_file_with_random_characters_changed_loads_or_is_rejected_never_thrown_otherwise()
    {
        var valid = Package(Vendor, new(2, 0));
        var characters = Gen.OneOf(Gen.Char.AlphaNumeric, Gen.OneOf(Gen.Const('"'), Gen.Const('/'), Gen.Const('+'), Gen.Const('='), Gen.Const('A')));
        Gen.Select(Gen.Int[0, int.MaxValue], characters).Array[1, 4].Sample(changes =>
        {
            var text = new System.Text.StringBuilder(valid);
            foreach (var (at, c) in changes) text[at % text.Length] = c;
            LoadedOrRejected(text.ToString());
        }, iter: 1000);
    }
}
