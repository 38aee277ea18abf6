using System.ComponentModel;
using System.Security.Cryptography;
using AmiSim.Protocol.Programs;
using Spectre.Console;
using Spectre.Console.Cli;

namespace AmiSim.Host.Commands;

/// <summary><c>amisim keys new</c>: a vendor's ECDSA P-256 key pair, as PEM files NAME.key (private) and NAME.pub (public).</summary>
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
        var keyPath = settings.Out + ".key";
        if (File.Exists(keyPath))
        {
            AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {keyPath} exists; choose another --out (a vendor key is never overwritten)");
            return 2;
        }
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(settings.Out + ".pub", key.ExportSubjectPublicKeyInfoPem());
        AnsiConsole.MarkupLineInterpolated($"vendor key {PackageFile.KeyId(key.ExportSubjectPublicKeyInfo())}: {keyPath} (keep it secret), {settings.Out}.pub (give it to the head-end)");
        return 0;
    }
}
