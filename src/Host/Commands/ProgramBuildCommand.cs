using System.ComponentModel;
using System.Security.Cryptography;
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

        public override ValidationResult Validate()
        {
            if (Key.Length == 0) return ValidationResult.Error("--key is required");
            if (Id.Length is 0 or > 16) return ValidationResult.Error("--id is required, at most 16 characters");
            if (Out.Length == 0) return ValidationResult.Error("--out is required");
            if ((Image is null) == (Interval is null && Price is null)) return ValidationResult.Error("give either --image (firmware) or --interval/--price (configuration)");
            if (BlockSize is < 16 or > 4096) return ValidationResult.Error($"--block-size must be 16-4096, was {BlockSize}");
            if (Interval is { } minutes && (minutes is < 1 or > 60 || 60 % minutes != 0)) return ValidationResult.Error($"--interval must divide an hour, was {minutes}");
            return ValidationResult.Success();
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        try
        {
            var version = FirmwareVersion.Parse(settings.Version);
            using var key = ECDsa.Create();
            key.ImportFromPem(File.ReadAllText(settings.Key));
            var models = Split(settings.Models);
            var sources = Split(settings.From).Select(FirmwareVersion.Parse).ToList();
            ProgramPackage package;
            if (settings.Image is { } imagePath)
            {
                var image = File.ReadAllBytes(imagePath);
                package = ProgramPackage.Sign(ProgramManifest.ForFirmware(settings.Id, version, image, settings.BlockSize, models, sources), image, key);
            }
            else
            {
                var writes = new List<TableWrite>();
                if (settings.Interval is { } minutes)
                    writes.Add(new TableWrite(Tables.LoadProfileControl.AsPending(), (LoadProfileControlTable.Default with { IntervalMinutes = (byte)minutes }).Encode(DataOrder.BigEndian)));
                if (settings.Price is { } price)
                    writes.Add(new TableWrite(Tables.TouSchedule.AsPending(), TouScheduleTable.Flat(price).Encode(DataOrder.BigEndian)));
                var manifest = new ProgramManifest { ProgramId = settings.Id, Kind = ProgramKind.Configuration, Version = version, TargetModels = models, AllowedSourceVersions = sources, ConfigurationWrites = writes };
                package = ProgramPackage.Sign(manifest, ReadOnlyMemory<byte>.Empty, key);
            }
            File.WriteAllText(settings.Out, PackageFile.Write(package, PackageFile.KeyId(key.ExportSubjectPublicKeyInfo())));
            AnsiConsole.MarkupLineInterpolated($"{settings.Out}: {package.Manifest.Kind} {package.Manifest.ProgramId} {package.Manifest.Version}, {package.Manifest.Size:N0} bytes in {package.Manifest.BlockCount} blocks, signed by {PackageFile.KeyId(key.ExportSubjectPublicKeyInfo())}");
            return 0;
        }
        catch (Exception error) when (error is IOException or FormatException or CryptographicException or ArgumentException or TableFormatException)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {error.Message}");
            return 2;
        }
    }

    private static List<string> Split(string? list) => list?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList() ?? [];
}
