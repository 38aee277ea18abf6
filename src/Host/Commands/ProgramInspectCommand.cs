using System.ComponentModel;
using System.Security.Cryptography;
using AmiSim.HeadEnd.Programs;
using AmiSim.Protocol.Programs;
using Spectre.Console;
using Spectre.Console.Cli;

namespace AmiSim.Host.Commands;

/// <summary><c>amisim program inspect</c>: shows a package's manifest and checks it as the head-end would.</summary>
public sealed class ProgramInspectCommand : Command<ProgramInspectCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<PACKAGE>")]
        public string Package { get; init; } = "";

        [CommandOption("--trust <PUBLIC_KEY>")]
        [Description("A trusted vendor public key (PEM); repeatable. Without one, the signature is not checked.")]
        public string[] Trust { get; init; } = [];
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        string text;
        try
        {
            text = File.ReadAllText(settings.Package);
        }
        catch (IOException error)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {error.Message}");
            return 2;
        }
        try
        {
            var (package, keyId) = PackageFile.Read(text);
            var m = package.Manifest;
            var table = new Table().AddColumns("field", "value").HideHeaders();
            table.AddRow("program", Markup.Escape($"{m.ProgramId} ({m.Kind})"));
            table.AddRow("version", m.Version.ToString());
            table.AddRow("target models", Markup.Escape(m.TargetModels.Count == 0 ? "any" : string.Join(", ", m.TargetModels)));
            table.AddRow("allowed from", m.AllowedSourceVersions.Count == 0 ? "any older version" : string.Join(", ", m.AllowedSourceVersions));
            table.AddRow("size", $"{m.Size:N0} bytes, {m.BlockCount} blocks of {m.BlockSize}");
            table.AddRow("image digest", Convert.ToHexString(m.ImageDigest).ToLowerInvariant());
            table.AddRow("table writes", string.Join(", ", m.ConfigurationWrites.Select(w => w.Table.ToString())));
            table.AddRow("signed by", keyId);
            AnsiConsole.Write(table);
            if (settings.Trust.Length == 0)
            {
                AnsiConsole.MarkupLine("[yellow]signature not checked[/] (give --trust vendor.pub)");
                return 0;
            }
            var keys = settings.Trust.Select(path =>
            {
                using var key = ECDsa.Create();
                key.ImportFromPem(File.ReadAllText(path));
                return key.ExportSubjectPublicKeyInfo();
            }).ToList();
            new ProgramLibrary(keys).Load(text, [], allowDowngrade: true);
            AnsiConsole.MarkupLine("[green]verified:[/] signed by a trusted key, content matches the signed digests");
            return 0;
        }
        catch (PackageRejectedException error)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]rejected:[/] {error.Message}");
            return 1;
        }
    }
}
