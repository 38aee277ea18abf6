using System.ComponentModel;
using AmiSim.HeadEnd.Programs;
using AmiSim.Host.Cli;
using AmiSim.Host.Optical;
using AmiSim.Host.Run;
using AmiSim.Protocol.Programs;
using AmiSim.Protocol.Psem;
using Spectre.Console.Cli;

namespace AmiSim.Host.Commands;

/// <summary>
/// <c>amisim program flash</c>: the vendor tool programs one meter directly through its optical port
/// (<see cref="FieldFlash"/>). The package is checked against <c>--trust</c> as the head-end checks it
/// before anything is sent. Exit codes: <see cref="ExitCode.Completed"/> when the meter runs the package
/// (or already did), <see cref="ExitCode.BadInput"/> for arguments, files and a meter nothing listens
/// for, <see cref="ExitCode.CampaignNotCompleted"/> when the meter refused the program (it keeps the
/// one it ran), <see cref="ExitCode.RunFailed"/> when the link broke (the same command resumes),
/// <see cref="ExitCode.Interrupted"/> on Ctrl+C.
/// </summary>
public sealed class ProgramFlashCommand : AsyncCommand<ProgramFlashCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--meter <HOST:PORT>")]
        [Description("The meter's optical port (amisim meter serve prints it).")]
        public string Meter { get; init; } = "";

        [CommandOption("--package <FILE>")]
        [Description("The signed package (.amipkg, from amisim program build).")]
        public string Package { get; init; } = "";

        [CommandOption("--trust <KEY.pub>")]
        [Description("A vendor public key the package must be signed with (repeatable; at least one).")]
        public string[] Trust { get; init; } = [];

        [CommandOption("--user <NAME>")]
        [Description("The user name of the logon, at most 10 characters (default AMISIM).")]
        [DefaultValue("AMISIM")]
        public string User { get; init; } = "AMISIM";

        [CommandOption("--password-file <FILE>")]
        [Description($"The meter's password (first line); without it, the served meter's default ({MeterServeCommand.DefaultPassword}).")]
        public string? PasswordFile { get; init; }

        [CommandOption("--activation-timeout <SECONDS>")]
        [Description("How long the meter may take to reboot into the new image (default 300).")]
        [DefaultValue(300)]
        public int ActivationTimeoutSeconds { get; init; } = 300;

        public override Spectre.Console.ValidationResult Validate() =>
            Meter.Trim().Length == 0 ? Spectre.Console.ValidationResult.Error("--meter is required: HOST:PORT of the meter's optical port")
            : Package.Trim().Length == 0 ? Spectre.Console.ValidationResult.Error("--package is required: the .amipkg to program")
            : Trust.Length == 0 ? Spectre.Console.ValidationResult.Error("--trust is required: the vendor public key the package is signed with")
            : User.Length is 0 or > 10 || User.Any(c => c is < ' ' or > '~') ? Spectre.Console.ValidationResult.Error($"--user '{User}': expected 1 to 10 printable ASCII characters")
            : ActivationTimeoutSeconds is < 1 or > 86_400 ? Spectre.Console.ValidationResult.Error($"--activation-timeout {ActivationTimeoutSeconds}: expected 1 to 86400 seconds")
            : Spectre.Console.ValidationResult.Success();
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        (string Host, int Port) target;
        byte[] password;
        ProgramPackage package;
        try
        {
            target = ProbeTarget.Parse(settings.Meter);
            password = MeterPassword.Read(settings.PasswordFile);
            var keys = settings.Trust.Select(ReadKey).ToList();
            package = LoadPackage(settings.Package, keys);
            if (package.Manifest.Size > FieldFlash.LargestImage)
                throw new InputException($"--package {settings.Package}: an image of {package.Manifest.Size:N0} bytes; through the optical port at most {FieldFlash.LargestImage:N0} (MT102's partial writes have 24-bit offsets)");
        }
        catch (InputException error)
        {
            return ErrorLine.Exit(ExitCode.BadInput, error.Message);
        }

        var m = package.Manifest;
        System.Console.WriteLine($"programming {settings.Meter} with {m.ProgramId} {m.Version} ({m.Kind}, {m.Size:N0} bytes, {m.BlockCount:N0} blocks of {m.BlockSize})");
        using var signals = new SignalCancellation(cancellation);
        try
        {
            await using var probe = await C1218Client.ConnectAsync(target.Host, target.Port, signals.Token);
            var result = await new FieldFlash(probe, package, settings.User, line => System.Console.WriteLine(line))
                .RunAsync(password, TimeSpan.FromSeconds(settings.ActivationTimeoutSeconds), signals.Token);
            switch (result.Outcome)
            {
                case FlashOutcome.Refused:
                    return ErrorLine.Exit(ExitCode.CampaignNotCompleted, $"--meter {settings.Meter}: {result.Detail}");
                case FlashOutcome.AlreadyRunning:
                    System.Console.WriteLine($"nothing to do: {result.Detail}");
                    return ExitCode.Completed;
                default:
                    System.Console.WriteLine(m.Kind == ProgramKind.Firmware
                        ? $"done: {result.Detail} (was {result.Before}); {result.BlocksSent:N0} blocks sent, {result.BlocksResumed:N0} resumed from an earlier transfer"
                        : $"done: {result.Detail}");
                    return ExitCode.Completed;
            }
        }
        catch (InputException error)
        {
            return ErrorLine.Exit(ExitCode.BadInput, error.Message); // nothing listens there
        }
        catch (OperationCanceledException) when (signals.Token.IsCancellationRequested)
        {
            return ErrorLine.Exit(ExitCode.Interrupted, "interrupted: the same command resumes from the blocks the meter holds");
        }
        catch (Exception error) when (error is IOException or System.Net.Sockets.SocketException or PsemFormatException)
        {
            return ErrorLine.Exit(ExitCode.RunFailed, $"--meter {settings.Meter}: {error.Message}; the same command resumes from the blocks the meter holds");
        }
    }

    private static byte[] ReadKey(string path)
    {
        try
        {
            return VendorKeyFile.ReadPublic(path);
        }
        catch (InvalidDataException error)
        {
            throw new InputException($"--trust {error.Message}");
        }
    }

    /// <summary>The package, checked as the head-end checks one (format, signature by a trusted key, content against its digests).</summary>
    private static ProgramPackage LoadPackage(string path, IReadOnlyList<byte[]> keys)
    {
        try
        {
            return new ProgramLibrary(keys).Load(PackageFile.ReadText(path), [], allowDowngrade: true);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            throw new InputException(error.Message.StartsWith(path, StringComparison.Ordinal) ? $"--package {error.Message}" : $"--package {path}: {error.Message}");
        }
        catch (PackageRejectedException error)
        {
            throw new InputException($"--package {path}: rejected: {error.Message}");
        }
    }
}
