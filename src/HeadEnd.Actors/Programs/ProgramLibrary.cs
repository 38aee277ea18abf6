using System.Security.Cryptography;
using AmiSim.Protocol;
using AmiSim.Protocol.C1219;
using AmiSim.Protocol.Programs;

namespace AmiSim.HeadEnd.Programs;

/// <summary>
/// The head-end's program library (step 1.2): it loads only packages signed by a trusted vendor key
/// whose content matches the signed manifest, and refuses downgrades and programs for none of the
/// fleet's models.
/// </summary>
public sealed class ProgramLibrary
{
    private readonly Dictionary<string, byte[]> _trusted;
    private readonly Dictionary<(string Id, FirmwareVersion Version), ProgramPackage> _packages = new();

    /// <param name="trustedPublicKeys">SubjectPublicKeyInfo (DER) of each trusted vendor key (a key given twice is trusted once).</param>
    public ProgramLibrary(IEnumerable<byte[]> trustedPublicKeys) =>
        _trusted = trustedPublicKeys.DistinctBy(PackageFile.KeyId).ToDictionary(PackageFile.KeyId);

    public IEnumerable<ProgramPackage> Packages => _packages.Values;

    /// <summary>
    /// Checks and loads a package file's text (at most <see cref="PackageFile.MaxBytes"/> characters, as
    /// <see cref="PackageFile.Read"/> takes it). <paramref name="fleetVersions"/> are the firmware versions
    /// running on meters of the package's target models (for the downgrade rule: a firmware package older
    /// than some of them and newer than none is refused; meters already on it or newer are the campaign's to skip); <paramref name="fleetModels"/>
    /// the models of the fleet (for the compatibility rule: a package that targets models, none of them in
    /// the fleet, has no meter to go to), or null to load a package without a fleet (inspecting it).
    /// </summary>
    /// <exception cref="PackageRejectedException">which rule it breaks and why.</exception>
    public ProgramPackage Load(string packageFile, IEnumerable<FirmwareVersion> fleetVersions, bool allowDowngrade = false, IReadOnlyCollection<string>? fleetModels = null)
    {
        var (package, keyId) = PackageFile.Read(packageFile);
        var manifest = package.Manifest;
        if (package.Signature.Length == 0)
            throw new PackageRejectedException(PackageRejection.Unsigned, $"{manifest.ProgramId} {manifest.Version} carries no signature");
        if (!_trusted.TryGetValue(keyId, out var key))
            throw new PackageRejectedException(PackageRejection.Untrusted, $"{manifest.ProgramId} {manifest.Version} is signed by key {OutsideText.Clean(keyId, 64)}, which the head-end does not trust");
        if (!SignatureVerifier.Verify(key, manifest.CanonicalBytes(), package.Signature))
            throw new PackageRejectedException(PackageRejection.Tampered, $"{manifest.ProgramId} {manifest.Version}: the signature does not match the manifest (altered after signing)");
        CheckContent(package);
        if (fleetModels is not null && Incompatible(manifest.ProgramId, manifest.Version, manifest.TargetModels, fleetModels) is { } incompatible) throw incompatible;
        var versions = fleetVersions.ToList();
        var newer = versions.Where(v => v > manifest.Version).ToList();
        if (manifest.Kind == ProgramKind.Firmware && !allowDowngrade && newer.Count > 0 && !versions.Any(v => v < manifest.Version))
            throw new PackageRejectedException(PackageRejection.Downgrade, $"{manifest.ProgramId} installs {manifest.Version}, and every meter of its target models runs that or newer ({string.Join(", ", versions.Distinct().Order())}): it would only downgrade");
        _packages[(manifest.ProgramId, manifest.Version)] = package;
        return package;
    }

    /// <summary>
    /// The refusal of a program for <paramref name="targetModels"/> (none: any model) by a fleet of
    /// <paramref name="fleetModels"/>, or null if some target model is in the fleet.
    /// </summary>
    public static PackageRejectedException? Incompatible(string programId, FirmwareVersion version, IReadOnlyCollection<string> targetModels, IReadOnlyCollection<string> fleetModels) =>
        targetModels.Count == 0 || targetModels.Any(fleetModels.Contains) ? null
            : new PackageRejectedException(PackageRejection.Incompatible,
                $"{OutsideText.Clean(programId, 80)} {version} targets models {Names(targetModels)}, none of which is in the fleet (its models: {Names(fleetModels)})");

    /// <summary>Model names as a list (from a package or a scenario: outside text, made printable).</summary>
    private static string Names(IEnumerable<string> models)
    {
        var names = models.Distinct().Order(StringComparer.Ordinal).Select(m => OutsideText.Clean(m, 40)).ToList();
        return names.Count == 0 ? "(none)" : string.Join(", ", names.Take(20)) + (names.Count > 20 ? $" and {names.Count - 20} more" : "");
    }

    private static void CheckContent(ProgramPackage package)
    {
        var manifest = package.Manifest;
        if (manifest.Kind == ProgramKind.Configuration)
        {
            if (manifest.ConfigurationWrites.Count == 0) throw new PackageRejectedException(PackageRejection.Malformed, $"{manifest.ProgramId}: a configuration program without table writes");
            return;
        }
        if (manifest.Size != package.Content.Length || manifest.BlockSize <= 0 || manifest.BlockDigests.Count != manifest.BlockCount)
            throw new PackageRejectedException(PackageRejection.Malformed, $"{manifest.ProgramId}: size {manifest.Size}, block size {manifest.BlockSize} and {manifest.BlockDigests.Count} block digests do not describe {package.Content.Length} bytes");
        if (!SHA256.HashData(package.Content.Span).AsSpan().SequenceEqual(manifest.ImageDigest))
            throw new PackageRejectedException(PackageRejection.Tampered, $"{manifest.ProgramId} {manifest.Version}: the image does not match the signed image digest");
        for (var block = 0; block < manifest.BlockCount; block++)
            if (!SHA256.HashData(package.Block(block).Span).AsSpan().SequenceEqual(manifest.BlockDigests[block]))
                throw new PackageRejectedException(PackageRejection.Tampered, $"{manifest.ProgramId} {manifest.Version}: block {block} does not match its signed digest");
    }
}
