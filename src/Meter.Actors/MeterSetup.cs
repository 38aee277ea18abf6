using AmiSim.Kernel;
using AmiSim.Meter.Board;
using AmiSim.Protocol.C1219;
using AmiSim.Protocol.Network;
using AmiSim.Protocol.Programs;

namespace AmiSim.Meter;

/// <summary>What a meter is made with: identity, credential, tables' format, faults, and where its NIC sends uplink frames.</summary>
public sealed record MeterSetup
{
    public required MeterId Meter { get; init; }

    public string Manufacturer { get; init; } = "AMIS";

    public required string Model { get; init; }

    public FirmwareVersion Firmware { get; init; } = new(1, 0);

    /// <summary>The 20-byte PSEM password the board accepts (provisioned per meter by the scenario).</summary>
    public required byte[] Credential { get; init; }

    /// <summary>ST0, shared by every meter of a model (tables' byte order, writable tables, ...).</summary>
    public GeneralConfigTable GeneralConfig { get; init; } = BoardTables.DefaultGeneralConfig;

    /// <summary>Trusted vendor keys; shared by the fleet so that a package is verified once.</summary>
    public required SignatureVerifier Verifier { get; init; }

    public MeterFaultProfile Faults { get; init; } = MeterFaultProfile.None;

    /// <summary>Time from activation to the board running the new image.</summary>
    public TimeSpan RebootDelay { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>The LP that carries the NIC's uplink frames (its collector, or the head-end directly in tests).</summary>
    public required LpId Uplink { get; init; }

    /// <summary>Delay of handing an uplink frame to <see cref="Uplink"/>; at least the lookahead.</summary>
    public TimeSpan UplinkDelay { get; init; } = TimeSpan.FromMilliseconds(20);

    /// <summary>First wait before a stored confirmation is sent again; doubles up to <see cref="ConfirmationResendMax"/>.</summary>
    public TimeSpan ConfirmationResendInitial { get; init; } = TimeSpan.FromMinutes(5);

    public TimeSpan ConfirmationResendMax { get; init; } = TimeSpan.FromHours(6);

    /// <summary>Scheduled NIC outages (power or radio), in virtual time; random ones come from <see cref="Faults"/>.</summary>
    public IReadOnlyList<(SimTime Start, TimeSpan Duration)> Outages { get; init; } = [];

    public static LpId LpOf(MeterId meter) => new(AmiLps.Meter, meter.Value);
}

/// <summary>
/// Per-meter fault probabilities, drawn from the meter's own random stream (seed, meter, "faults"),
/// so the same seed gives the same faults whatever else happens.
/// </summary>
public sealed record MeterFaultProfile
{
    public static readonly MeterFaultProfile None = new();

    /// <summary>Per block write: the flash write fails (PSEM err, nothing written).</summary>
    public double FlashWriteFailure { get; init; }

    /// <summary>Per block write: the block is stored corrupted without any error; verification catches it.</summary>
    public double SilentCorruption { get; init; }

    /// <summary>Per activation: the new image fails to start and the board rolls back.</summary>
    public double ActivationFailure { get; init; }

    /// <summary>Per activation: the board never answers again.</summary>
    public double Brick { get; init; }

    /// <summary>Random NIC outages per virtual day (Poisson); 0 = none.</summary>
    public double NicOutagesPerDay { get; init; }

    public TimeSpan NicOutageMeanDuration { get; init; } = TimeSpan.FromHours(1);
}
