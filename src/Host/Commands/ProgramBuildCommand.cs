using System.ComponentModel;
using System.Security.Cryptography;
using AmiSim.Host.Cli;
using AmiSim.Protocol.C1219;
using AmiSim.Protocol.Programs;
using Spectre.Console;
using Spectre.Console.Cli;

namespace AmiSim.Host.Commands;

/// <summary>
/// <c>amisim program build</c>, the vendor program tool (step 1.1): a signed firmware package from an
/// image file, or a configuration program (metering interval and/or a flat price) as pending table writes.
/// </summary>
public sealed class ProgramBuildCommand : Command<ProgramBuildCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--key <FILE>")]
        [Description("The vendor's private key (PEM), from `amisim keys new`.")]
        public string Key { get; init; } = "";

        [CommandOption("--id <PROGRAM_ID>")]
        [Description("Program id, at most 16 characters.")]
        public string Id { get; init; } = "";

        [CommandOption("--version <MAJOR.MINOR>")]
        [Description("Version written to ST1 FW_VERSION.FW_REVISION (firmware) or the configuration's version.")]
        public string Version { get; init; } = "";

        [CommandOption("--image <FILE>")]
        [Description("Firmware image (makes a firmware program).")]
        public string? Image { get; init; }

        [CommandOption("--block-size <BYTES>")]
        [DefaultValue(512)]
        public int BlockSize { get; init; } = 512;

        [CommandOption("--interval <MINUTES>")]
        [Description("Configuration program: the metering interval (ST61), minutes dividing an hour.")]
        public int? Interval { get; init; }

        [CommandOption("--price <MILLI_PER_KWH>")]
        [Description("Configuration program: a flat price (ST54), in thousandths per kWh.")]
        public uint? Price { get; init; }

        [CommandOption("--models <LIST>")]
        [Description("Comma-separated target meter models (default: any).")]
        public string? Models { get; init; }

        [CommandOption("--from <LIST>")]
        [Description("Comma-separated versions the program may be applied over (default: any older).")]
        public string? From { get; init; }

        [CommandOption("--out <FILE>")]
        [Description("Package file to write (.amipkg).")]
        public string Out { get; init; } = "";

        /// <summary>
        /// What is wrong with the options, or null. Checked by the command, not by Spectre's Validate, so
        /// that it is one error line on standard error with <see cref="ExitCode.BadInput"/> like every other.
        /// </summary>
        public string? Problem()
        {
            if (Key.Length == 0) return "--key is required";
            if (Id.Length is 0 or > 16) return "--id is required, at most 16 characters";
            if (Out.Length == 0) return "--out is required";
            if ((Image is null) == (Interval is null && Price is null)) return "give either --image (firmware) or --interval/--price (configuration)";
            if (BlockSize is < 16 or > 4096) return $"--block-size must be 16-4096, was {BlockSize}";
            if (Interval is { } minutes && (minutes is < 1 or > 60 || 60 % minutes != 0)) return $"--interval must divide an hour, was {minutes}";
            return null;
        }
    }

    /// <summary>Bad input (a key, an image, a version, the output path) is one error line and <see cref="ExitCode.BadInput"/>.</summary>
    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        if (settings.Problem() is { } problem) return ErrorLine.Exit(ExitCode.BadInput, problem);
        if (File.Exists(settings.Out) || Directory.Exists(settings.Out))
            return ErrorLine.Exit(ExitCode.BadInput, $"--out {settings.Out}: exists; choose another --out (a signed package is never overwritten)");
        FirmwareVersion version;
        List<FirmwareVersion> sources;
        try
        {
            version = FirmwareVersion.Parse(settings.Version);
        }
        catch (FormatException error)
        {
            return ErrorLine.Exit(ExitCode.BadInput, $"--version {settings.Version}: {error.Message}");
        }
        try
        {
            sources = Split(settings.From).Select(FirmwareVersion.Parse).ToList();
        }
        catch (FormatException error)
        {
            return ErrorLine.Exit(ExitCode.BadInput, $"--from {settings.From}: {error.Message}");
        }
        ECDsa key;
        try
        {
            key = VendorKeyFile.ReadPrivate(settings.Key);
        }
        catch (InvalidDataException error)
        {
            return ErrorLine.Exit(ExitCode.BadInput, $"--key {error.Message}");
        }
        using (key)
        {
            var models = Split(settings.Models);
            ProgramPackage package;
            if (settings.Image is { } imagePath)
            {
                byte[] image;
                try
                {
                    image = ReadImage(imagePath);
                }
                catch (Exception error) when (error is IOException or UnauthorizedAccessException or InvalidDataException)
                {
                    return ErrorLine.Exit(ExitCode.BadInput, $"--image {error.Message}");
                }
                try
                {
                    package = ProgramPackage.Sign(ProgramManifest.ForFirmware(settings.Id, version, image, settings.BlockSize, models, sources), image, key);
                }
                catch (ArgumentException error)
                {
                    return ErrorLine.Exit(ExitCode.BadInput, $"--image {imagePath}: {error.Message.Replace($" (Parameter '{error.ParamName}')", "")}");
                }
            }
            else
            {
                var writes = new List<TableWrite>();
                try
                {
                    if (settings.Interval is { } minutes)
                        writes.Add(new TableWrite(Tables.LoadProfileControl.AsPending(), (LoadProfileControlTable.Default with { IntervalMinutes = (byte)minutes }).Encode(DataOrder.BigEndian)));
                    if (settings.Price is { } price)
                        writes.Add(new TableWrite(Tables.TouSchedule.AsPending(), TouScheduleTable.Flat(price).Encode(DataOrder.BigEndian)));
                }
                catch (Exception error) when (error is ArgumentException or TableFormatException)
                {
                    return ErrorLine.Exit(ExitCode.BadInput, $"--interval/--price: {(error is ArgumentException argument ? error.Message.Replace($" (Parameter '{argument.ParamName}')", "") : error.Message)}");
                }
                var manifest = new ProgramManifest { ProgramId = settings.Id, Kind = ProgramKind.Configuration, Version = version, TargetModels = models, AllowedSourceVersions = sources, ConfigurationWrites = writes };
                package = ProgramPackage.Sign(manifest, ReadOnlyMemory<byte>.Empty, key);
            }
            var keyId = PackageFile.KeyId(key.ExportSubjectPublicKeyInfo());
            try
            {
                File.WriteAllText(settings.Out, PackageFile.Write(package, keyId));
            }
            catch (Exception error) when (error is IOException or UnauthorizedAccessException)
            {
                return ErrorLine.Exit(ExitCode.BadInput, $"--out {settings.Out}: cannot be written ({error.Message})");
            }
            AnsiConsole.MarkupLineInterpolated($"{settings.Out}: {package.Manifest.Kind} {package.Manifest.ProgramId} {package.Manifest.Version}, {package.Manifest.Size:N0} bytes in {package.Manifest.BlockCount} blocks, signed by {keyId}");
            return ExitCode.Completed;
        }
    }

    /// <summary>The image file, refused before reading when larger than <see cref="ProgramManifest.MaxImageBytes"/>.</summary>
    private static byte[] ReadImage(string path)
    {
        if (Directory.Exists(path)) throw new InvalidDataException($"{path}: is a folder, not an image file");
        var info = new FileInfo(path);
        if (!info.Exists) throw new InvalidDataException($"{path}: no such file");
        if (info.Length > ProgramManifest.MaxImageBytes)
            throw new InvalidDataException($"{path}: {info.Length:N0} bytes, more than the {ProgramManifest.MaxImageBytes:N0} bytes (64 MiB) an image may hold");
        return File.ReadAllBytes(path);
    }

    private static List<string> Split(string? list) => list?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList() ?? [];
}
