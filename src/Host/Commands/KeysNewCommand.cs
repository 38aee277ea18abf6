using System.ComponentModel;
using System.Security.Cryptography;
using AmiSim.Host.Cli;
using AmiSim.Protocol.Programs;
using Spectre.Console;
using Spectre.Console.Cli;

namespace AmiSim.Host.Commands;

/// <summary>
/// <c>amisim keys new</c>: a vendor's ECDSA P-256 key pair, as PEM files NAME.key (private) and NAME.pub
/// (public). Neither file is ever overwritten; on Unix the private key is created readable and writable
/// by its owner only (0600), from its first byte.
/// </summary>
public sealed class KeysNewCommand : Command<KeysNewCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--out <NAME>")]
        [Description("Path without extension: writes NAME.key and NAME.pub.")]
        [DefaultValue("vendor")]
        public string Out { get; init; } = "vendor";
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        // --out vendor.key means the pair vendor.key and vendor.pub, not vendor.key.key.
        var name = Path.GetExtension(settings.Out) is ".key" or ".pub" ? Path.ChangeExtension(settings.Out, null) : settings.Out;
        var keyPath = name + ".key";
        var pubPath = name + ".pub";
        foreach (var path in new[] { keyPath, pubPath })
            if (File.Exists(path) || Directory.Exists(path))
                return ErrorLine.Exit(ExitCode.BadInput, $"--out {settings.Out}: {path} exists; choose another --out (a vendor key is never overwritten)");
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        try
        {
            NewFiles.Write(keyPath, key.ExportPkcs8PrivateKeyPem(), NewFiles.Secret);
            NewFiles.Write(pubPath, key.ExportSubjectPublicKeyInfoPem(), NewFiles.Public);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return ErrorLine.Exit(ExitCode.BadInput, $"--out {settings.Out}: cannot be written ({error.Message})");
        }
        AnsiConsole.MarkupLineInterpolated($"vendor key {PackageFile.KeyId(key.ExportSubjectPublicKeyInfo())}: {keyPath} (keep it secret), {pubPath} (give it to the head-end)");
        return ExitCode.Completed;
    }
}
