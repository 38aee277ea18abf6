using System.ComponentModel;
using System.Net;
using System.Runtime.InteropServices;
using AmiSim.Host.Cli;
using AmiSim.Host.Console;
using AmiSim.Host.Optical;
using AmiSim.Host.Run;
using AmiSim.Host.Web;
using AmiSim.Meter;
using AmiSim.Meter.Board;
using AmiSim.Meter.Optical;
using AmiSim.Protocol.C1219;
using AmiSim.Protocol.Network;
using AmiSim.Protocol.Programs;
using AmiSim.Protocol.Psem;
using Serilog;
using Serilog.Events;
using Spectre.Console;
using Spectre.Console.Cli;

namespace AmiSim.Host.Commands;

/// <summary>
/// <c>amisim meter serve</c>: one simulated meter behind its C12.18 optical port, carried over TCP on
/// loopback (<see cref="MeterEndpoint"/>), until Ctrl+C or SIGTERM.
/// </summary>
public sealed class MeterServeCommand : AsyncCommand<MeterServeCommand.Settings>
{
    /// <summary>The password a served meter takes when no --password-file is given: twenty ASCII zeros.</summary>
    public const string DefaultPassword = "00000000000000000000";

    public sealed class Settings : CommandSettings
    {
        [CommandOption("--port <PORT>")]
        [Description("TCP port of the optical port (0: any free one, printed).")]
        [DefaultValue(0)]
        public int Port { get; init; }

        [CommandOption("--listen <ADDRESS>")]
        [Description("Address to listen on (default 127.0.0.1; another one lets other machines program the meter).")]
        [DefaultValue("127.0.0.1")]
        public string Listen { get; init; } = "127.0.0.1";

        [CommandOption("--meter <N>")]
        [Description("The meter's number (its identification is MTR and ten digits).")]
        [DefaultValue(1L)]
        public long Meter { get; init; } = 1;

        [CommandOption("--model <MODEL>")]
        [Description("The meter's model, as packages name their target models (default AM-100).")]
        [DefaultValue("AM-100")]
        public string Model { get; init; } = "AM-100";

        [CommandOption("--firmware <V>")]
        [Description("The firmware it runs, major.minor (default 1.0).")]
        [DefaultValue("1.0")]
        public string Firmware { get; init; } = "1.0";

        [CommandOption("--seed <N>")]
        [Description("Seed of the meter's random faults (default 1).")]
        [DefaultValue(1L)]
        public long Seed { get; init; } = 1;

        [CommandOption("--trust <KEY.pub>")]
        [Description("The vendor's public key whose packages the meter accepts (without it, every package fails verification).")]
        public string? Trust { get; init; }

        [CommandOption("--password-file <FILE>")]
        [Description($"A file whose first line is the meter's password, at most 20 bytes (default {DefaultPassword}).")]
        public string? PasswordFile { get; init; }

        [CommandOption("--lockout-after <N>")]
        [Description("Wrong passwords in a row that lock the port's security (0: never; default 3).")]
        [DefaultValue(3)]
        public int LockoutAfter { get; init; } = 3;

        [CommandOption("--lockout-for <SECONDS>")]
        [Description("How long a locked port refuses every password (default 300).")]
        [DefaultValue(300)]
        public int LockoutSeconds { get; init; } = 300;

        [CommandOption("--reboot <SECONDS>")]
        [Description("How long the meter takes to reboot into a new image (default 20).")]
        [DefaultValue(20)]
        public int RebootSeconds { get; init; } = 20;

        public override ValidationResult Validate() =>
            Port is < 0 or > 65535 ? ValidationResult.Error($"--port {Port}: expected 0 to 65535")
            : Meter is < 1 or > 9_999_999_999 ? ValidationResult.Error($"--meter {Meter}: expected 1 to 9999999999")
            : Model.Trim().Length == 0 || Model.Length > 8 || Model.Any(char.IsControl) ? ValidationResult.Error($"--model '{Model}': expected 1 to 8 printable characters (ST1's model field)")
            : LockoutAfter is < 0 or > 100 ? ValidationResult.Error($"--lockout-after {LockoutAfter}: expected 0 to 100")
            : LockoutSeconds is < 0 or > 86_400 ? ValidationResult.Error($"--lockout-for {LockoutSeconds}: expected 0 to 86400 seconds")
            : RebootSeconds is < 0 or > 3_600 ? ValidationResult.Error($"--reboot {RebootSeconds}: expected 0 to 3600 seconds")
            : ValidationResult.Success();
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        MeterSetup setup;
        IPEndPoint endpoint;
        try
        {
            endpoint = OperatorConsole.ParseEndpoint($"{settings.Listen}:{settings.Port}");
            setup = new MeterSetup
            {
                Meter = new MeterId(settings.Meter),
                Model = settings.Model,
                Firmware = ParseFirmware(settings.Firmware),
                Credential = MeterPassword.Read(settings.PasswordFile),
                Verifier = new SignatureVerifier(settings.Trust is null ? [] : [VendorKeyFile.ReadPublic(settings.Trust)]),
                Uplink = AmiSim.Kernel.LpId.Kernel,
                RebootDelay = TimeSpan.FromSeconds(settings.RebootSeconds),
            };
        }
        catch (Exception error) when (error is FormatException or InvalidDataException or InputException)
        {
            return ErrorLine.Exit(ExitCode.BadInput, error is FormatException ? $"--listen {settings.Listen} --port {settings.Port}: {error.Message}" : error.Message);
        }
        Logging.StartNode(LogEventLevel.Information);
        MeterEndpoint served;
        try
        {
            served = MeterEndpoint.Start(endpoint, setup, settings.Seed, new OpticalPortSettings(settings.LockoutAfter, TimeSpan.FromSeconds(settings.LockoutSeconds)));
        }
        catch (System.Net.Sockets.SocketException error)
        {
            await Logging.StopAsync();
            return ErrorLine.Exit(ExitCode.BadInput, $"--listen {settings.Listen} --port {settings.Port}: cannot listen there ({error.Message})");
        }
        await using (served)
        {
            System.Console.WriteLine($"meter {setup.Meter} ({setup.Model}, firmware {setup.Firmware}) on its optical port at {served.Endpoint} (C12.18 over TCP); Ctrl+C stops it");
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
            using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
            try
            {
                await Task.Delay(Timeout.Infinite, stop.Token);
            }
            catch (OperationCanceledException)
            {
                Log.Information("Stopping: meter {Meter} runs firmware {Firmware}", setup.Meter, served.Inspect(b => b.Firmware));
            }

            void Stop(PosixSignalContext signal)
            {
                signal.Cancel = true;
                stop.Cancel();
            }
        }
        await Logging.StopAsync();
        return ExitCode.Completed;
    }

    private static FirmwareVersion ParseFirmware(string text)
    {
        try
        {
            return FirmwareVersion.Parse(text);
        }
        catch (FormatException error)
        {
            throw new InputException($"--firmware: {error.Message}");
        }
    }
}

/// <summary>A meter's password from <c>--password-file</c> (its first line), or the served meter's default.</summary>
public static class MeterPassword
{
    /// <exception cref="InputException">the file is missing, too large, or its password longer than 20 bytes.</exception>
    public static byte[] Read(string? file)
    {
        if (file is null) return C1218Client.Password(MeterServeCommand.DefaultPassword);
        try
        {
            if (!File.Exists(file)) throw new InputException($"--password-file {file}: no such file");
            if (new FileInfo(file).Length > 1024) throw new InputException($"--password-file {file}: more than 1 KiB; a password has at most 20 bytes");
            return C1218Client.Password(File.ReadLines(file).FirstOrDefault() ?? "");
        }
        catch (ArgumentException error)
        {
            throw new InputException($"--password-file {file}: {error.Message}");
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            throw new InputException($"--password-file {file}: cannot be read ({error.Message})");
        }
    }
}

/// <summary><c>amisim meter read --meter HOST:PORT --table ST1</c>: one table of a served meter (or any C12.18 meter on a TCP carrier), read and shown.</summary>
public sealed class MeterReadCommand : AsyncCommand<MeterReadCommand.Settings>
{
    private static readonly Dictionary<string, TableId> Named = new(StringComparer.OrdinalIgnoreCase)
    {
        ["ST0"] = Tables.GeneralConfig, ["ST1"] = Tables.GeneralManufacturerId, ["ST3"] = Tables.EndDeviceModeStatus,
        ["ST5"] = Tables.DeviceIdent, ["ST8"] = Tables.ProcedureResponse, ["ST61"] = Tables.LoadProfileControl,
        ["MT100"] = Tables.ImageTransferControl, ["MT101"] = Tables.ImageTransferBitmap,
    };

    public sealed class Settings : CommandSettings
    {
        [CommandOption("--meter <HOST:PORT>")]
        [Description("The meter's optical port (amisim meter serve prints it).")]
        public string Meter { get; init; } = "";

        [CommandOption("--table <TABLE>")]
        [Description("ST0, ST1, ST3, ST5, ST8, ST61, MT100 or MT101 (default ST1).")]
        [DefaultValue("ST1")]
        public string Table { get; init; } = "ST1";

        [CommandOption("--password-file <FILE>")]
        [Description($"The meter's password (first line); without it, the served meter's default ({MeterServeCommand.DefaultPassword}).")]
        public string? PasswordFile { get; init; }

        public override ValidationResult Validate() =>
            Meter.Trim().Length == 0 ? ValidationResult.Error("--meter is required: HOST:PORT of the meter's optical port")
            : !Named.ContainsKey(Table) ? ValidationResult.Error($"--table {Table}: expected one of {string.Join(", ", Named.Keys)}")
            : ValidationResult.Success();
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        (string Host, int Port) target;
        byte[] password;
        try
        {
            target = ProbeTarget.Parse(settings.Meter);
            password = MeterPassword.Read(settings.PasswordFile);
        }
        catch (InputException error)
        {
            return ErrorLine.Exit(ExitCode.BadInput, error.Message);
        }
        var table = Named[settings.Table];
        try
        {
            await using var probe = await C1218Client.ConnectAsync(target.Host, target.Port, cancellation);
            await probe.IdentifyAsync(cancellation);
            await probe.NegotiateAsync(1024, 1, cancellation);
            var security = await probe.LogonAsync("AMISIM", password, cancellation);
            var config = await probe.ServiceAsync(new FullReadRequest(Tables.GeneralConfig), cancellation);
            var order = config.IsOk ? GeneralConfigTable.Decode(config.Data.Span).DataOrder : DataOrder.BigEndian;
            var read = await probe.ServiceAsync(new FullReadRequest(table), cancellation);
            await probe.ServiceAsync(new LogoffRequest(), cancellation);
            await probe.ServiceAsync(new TerminateRequest(), cancellation);
            if (!read.IsOk) return ErrorLine.Exit(ExitCode.RunFailed, $"{settings.Table}: the meter answered {read.Code}{(security == PsemResponseCode.Ok ? "" : $" (its security answered {security})")}");
            var output = ConsoleOutput.Create();
            foreach (var (name, value) in TableText.Of(table, read.Data.Span, order)) output.MarkupLineInterpolated($"{settings.Table.ToUpperInvariant()} {name}: [bold]{value}[/]");
            return ExitCode.Completed;
        }
        catch (InputException error)
        {
            return ErrorLine.Exit(ExitCode.BadInput, error.Message); // nothing listens there
        }
        catch (Exception error) when (error is IOException or System.Net.Sockets.SocketException or PsemFormatException)
        {
            return ErrorLine.Exit(ExitCode.RunFailed, $"--meter {settings.Meter}: {error.Message}");
        }
    }
}

/// <summary>HOST:PORT of a meter's optical port.</summary>
public static class ProbeTarget
{
    /// <exception cref="InputException">not a host and a port from 1 to 65535.</exception>
    public static (string Host, int Port) Parse(string text)
    {
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text[(colon + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            throw new InputException($"--meter {text}: expected HOST:PORT such as 127.0.0.1:4059");
        return (text[..colon].Trim('[', ']'), port);
    }
}

/// <summary>A table's fields as text, for <c>meter read</c>.</summary>
public static class TableText
{
    /// <param name="order">the meter's byte order (its ST0's), for the tables that have one.</param>
    public static IEnumerable<(string Name, string Value)> Of(TableId table, ReadOnlySpan<byte> data, DataOrder order)
    {
        if (table == Tables.GeneralManufacturerId)
        {
            var st1 = GeneralManufacturerIdTable.Decode(data);
            return [("manufacturer", st1.Manufacturer), ("model", st1.Model), ("firmware", st1.Firmware.ToString()), ("serial", st1.SerialNumber)];
        }
        if (table == Tables.ImageTransferControl)
        {
            var mt100 = ImageTransferControlTable.Decode(data, order);
            return [("status", mt100.Status.ToString()), ("image", mt100.ImageId.Length == 0 ? "-" : $"{mt100.ImageId} {mt100.ImageVersion}"), ("block size", mt100.BlockSize.ToString()),
                ("blocks", mt100.BlockCount.ToString()), ("missing blocks", mt100.MissingCount.ToString()), ("first missing block", mt100.FirstMissingBlock.ToString()), ("last failure", mt100.LastFailure.ToString())];
        }
        return [("bytes", data.Length.ToString()), ("data", Convert.ToHexString(data))];
    }
}
