using System.ComponentModel;
using AmiSim.HeadEnd.Programs;
using AmiSim.Host.Cli;
using AmiSim.Protocol;
using AmiSim.Protocol.Programs;
using Spectre.Console;
using Spectre.Console.Cli;

namespace AmiSim.Host.Commands;

/// <summary>
/// <c>amisim program inspect</c>: shows a package's manifest and checks it as the head-end would. The
/// package file and every <c>--trust</c> key are read and checked before anything is shown; a file that
/// cannot be read, a key that is not one and a package the head-end would reject are all bad input
/// (<see cref="ExitCode.BadInput"/>), each one error line naming the file.
/// </summary>
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
        var keys = new List<byte[]>();
        foreach (var path in settings.Trust)
        {
            try
            {
                keys.Add(VendorKeyFile.ReadPublic(path));
            }
            catch (InvalidDataException error)
            {
                return ErrorLine.Exit(ExitCode.BadInput, $"--trust {error.Message}");
            }
        }
        string text;
        ProgramPackage package;
        string keyId;
        try
        {
            text = PackageFile.ReadText(settings.Package);
            (package, keyId) = PackageFile.Read(text);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return ErrorLine.Exit(ExitCode.BadInput, error.Message.StartsWith(settings.Package, StringComparison.Ordinal) ? error.Message : $"{settings.Package}: {error.Message}");
        }
        catch (PackageRejectedException error)
        {
            return ErrorLine.Exit(ExitCode.BadInput, $"{settings.Package}: rejected: {error.Message}");
        }

        var m = package.Manifest;
        var table = new Table().AddColumns("field", "value").HideHeaders();
        table.AddRow("program", Markup.Escape($"{OutsideText.Clean(m.ProgramId)} ({m.Kind})"));
        table.AddRow("version", m.Version.ToString());
        table.AddRow("target models", Markup.Escape(m.TargetModels.Count == 0 ? "any" : string.Join(", ", m.TargetModels.Select(t => OutsideText.Clean(t)))));
        table.AddRow("allowed from", m.AllowedSourceVersions.Count == 0 ? "any older version" : string.Join(", ", m.AllowedSourceVersions));
        table.AddRow("size", $"{m.Size:N0} bytes, {m.BlockCount} blocks of {m.BlockSize}");
        table.AddRow("image digest", Convert.ToHexString(m.ImageDigest).ToLowerInvariant());
        table.AddRow("table writes", string.Join(", ", m.ConfigurationWrites.Select(w => w.Table.ToString())));
        table.AddRow("signed by", Markup.Escape(OutsideText.Clean(keyId)));
        AnsiConsole.Write(table);
        if (keys.Count == 0)
        {
            AnsiConsole.MarkupLine("[yellow]signature not checked[/] (give --trust vendor.pub)");
            return ExitCode.Completed;
        }
        try
        {
            new ProgramLibrary(keys).Load(text, [], allowDowngrade: true);
        }
        catch (PackageRejectedException error)
        {
            return ErrorLine.Exit(ExitCode.BadInput, $"{settings.Package}: rejected: {error.Message}");
        }
        AnsiConsole.MarkupLine("[green]verified:[/] signed by a trusted key, content matches the signed digests");
        return ExitCode.Completed;
    }
}
