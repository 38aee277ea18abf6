using System.Security.Cryptography;
using AmiSim.Protocol.Programs;

namespace AmiSim.Scenario;

/// <summary>
/// The program a run rolls out, as it reaches the head-end (steps 1.1-1.2): a package file's text and
/// the vendor's public key the head-end and the meters trust. Either the user's own
/// (<see cref="PackagePath"/>: program.package and program.trust), or built by the scenario's vendor
/// tool from the seed and signed with a key made for the run.
/// </summary>
/// <param name="TrustedKey">the public key as SubjectPublicKeyInfo (DER); <paramref name="TrustPem"/> the same as PEM text.</param>
public sealed record VendorProgram(string PackageText, byte[] TrustedKey, string TrustPem, string? PackagePath = null)
{
    /// <summary>The scenario's own program: <see cref="ScenarioAssembly.BuildPackage"/>, signed with a new P-256 key.</summary>
    public static VendorProgram Build(ScenarioSettings scenario)
    {
        using var vendor = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var package = ScenarioAssembly.BuildPackage(scenario, vendor);
        var key = vendor.ExportSubjectPublicKeyInfo();
        return new VendorProgram(PackageFile.Write(package, PackageFile.KeyId(key)), key, vendor.ExportSubjectPublicKeyInfoPem());
    }

    /// <summary>The trusted key's id, as package files name their signer.</summary>
    public string KeyId => PackageFile.KeyId(TrustedKey);
}
