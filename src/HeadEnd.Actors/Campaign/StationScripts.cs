using System.Buffers.Binary;
using AmiSim.Protocol.C1219;
using AmiSim.Protocol.Programs;
using AmiSim.Protocol.Psem;

namespace AmiSim.HeadEnd.Campaign;

/// <summary>
/// The PSEM commands a station sends its meters, one per <see cref="CampaignStep"/>: each builds its
/// requests and reads the responses to them into a typed outcome, so that a response is read where its
/// request is written. Writes and procedures follow a logon and a security request with the meter's
/// credential; reads need neither. The failure texts are those of the campaign's reports.
/// </summary>
internal sealed class StationScripts(ProgramPackage package, CampaignSettings settings)
{
    /// <summary>Logon and security: the requests before the first write of an authenticated command.</summary>
    private const int Authentication = 2;

    private readonly ProgramManifest _manifest = package.Manifest;
    private byte[]? _manifestTable;

    // ---- initiate -----------------------------------------------------------------------------

    /// <summary>Writes the image's manifest, starts its transfer, and reads the procedure's response.</summary>
    public PsemRequest[] Initiate(byte[] credential) => Authenticated(credential,
        new FullWriteRequest(Tables.ImageManifest, _manifestTable ??= ImageManifestTable.Encode(_manifest, package.Signature)),
        Procedure(ProcedureId.Manufacturer(ManufacturerProcedure.InitiateImageTransfer),
            new InitiateImageTransferParameters(_manifest.ProgramId, _manifest.Version, (uint)_manifest.Size, (ushort)_manifest.BlockSize).Encode(DataOrder.BigEndian)),
        new FullReadRequest(Tables.ProcedureResponse));

    /// <summary>Responses to <see cref="Initiate"/>: the logon, security, manifest write, procedure and its response.</summary>
    private const int InitiateResponses = Authentication + 3;

    public static InitiateResult ReadInitiate(IReadOnlyList<PsemResponse> responses)
    {
        if (!AllOk(responses) || responses.Count < InitiateResponses) return new InitiateResult($"initiate refused: {Describe(responses)}");
        var st8 = ProcedureResponse(responses[^1]);
        if (st8.Result == ProcedureResult.Completed) return InitiateResult.Accepted;
        return new InitiateResult(st8.ResponseData.Length > 0 ? $"initiate: {(ImageFailure)st8.ResponseData[0]}" : $"initiate: {st8.Result}");
    }

    // ---- transfer status ------------------------------------------------------------------------

    /// <summary>Reads the image transfer's control table, its bitmap of received blocks, and the identity (ST1).</summary>
    public static PsemRequest[] Status() =>
        [new FullReadRequest(Tables.ImageTransferControl), new FullReadRequest(Tables.ImageTransferBitmap), new FullReadRequest(Tables.GeneralManufacturerId)];

    private const int ControlResponse = 0;
    private const int BitmapResponse = 1;
    private const int IdentityResponse = 2;
    private const int StatusResponses = 3;

    /// <summary>The meter's transfer status, or null when any of the three reads was refused.</summary>
    public static TransferStatus? ReadStatus(IReadOnlyList<PsemResponse> responses)
    {
        if (responses.Count != StatusResponses || !AllOk(responses)) return null;
        var control = ImageTransferControlTable.Decode(responses[ControlResponse].Data.Span, DataOrder.BigEndian);
        var bitmap = responses[BitmapResponse].Data.ToArray();
        var identity = GeneralManufacturerIdTable.Decode(responses[IdentityResponse].Data.Span);
        return new TransferStatus(control, bitmap, identity);
    }

    // ---- verify and activate ------------------------------------------------------------------

    /// <summary>Verifies the stored image, reads the verdict, activates it (at the campaign's activation time, if any), and reads that answer.</summary>
    public PsemRequest[] VerifyAndActivate(byte[] credential) => Authenticated(credential,
        Procedure(ProcedureId.Manufacturer(ManufacturerProcedure.VerifyImage), []),
        new FullReadRequest(Tables.ProcedureResponse),
        Procedure(ProcedureId.Manufacturer(ManufacturerProcedure.ActivateImage, ResponseSelector.ImmediatelyAndOnCompletion), ActivationTime()),
        new FullReadRequest(Tables.ProcedureResponse));

    private const int VerifyResponse = Authentication + 1;
    private const int ActivateResponse = Authentication + 3;
    private const int VerifyResponses = Authentication + 4;

    public static VerifyActivateResult ReadVerifyAndActivate(IReadOnlyList<PsemResponse> responses)
    {
        if (responses.Count < VerifyResponses || !responses[VerifyResponse].IsOk)
            return new VerifyActivateResult(VerifyOutcome.Refused, ImageFailure.None, $"verification command refused: {Describe(responses)}");
        var verify = ProcedureResponse(responses[VerifyResponse]);
        var failure = verify.ResponseData.Length > 1 ? (ImageFailure)verify.ResponseData[1] : ImageFailure.None;
        if (verify.Result != ProcedureResult.Completed || failure != ImageFailure.None)
            return new VerifyActivateResult(VerifyOutcome.VerificationFailed, failure, $"verification failed: {failure}");
        var activate = responses[ActivateResponse];
        if (!activate.IsOk || ProcedureResponse(activate).Result is not (ProcedureResult.AcceptedNotCompleted or ProcedureResult.Completed))
            return new VerifyActivateResult(VerifyOutcome.ActivationRefused, ImageFailure.None, "activation refused");
        return VerifyActivateResult.Activating;
    }

    // ---- configure ----------------------------------------------------------------------------

    /// <summary>Writes the program's tables as pending, activates them together, and reads the procedure's response.</summary>
    public PsemRequest[] Configure(byte[] credential) => Authenticated(credential, [
        .. _manifest.ConfigurationWrites.Select(w => (PsemRequest)new FullWriteRequest(w.Table.AsPending(), w.Data)),
        Procedure(ProcedureId.Standard(StandardProcedure.ActivateSpecificPendingTables), PendingList()),
        new FullReadRequest(Tables.ProcedureResponse)]);

    /// <summary>Null when the tables were activated, else why not.</summary>
    public static string? ReadConfigure(IReadOnlyList<PsemResponse> responses) =>
        AllOk(responses) && ProcedureResponse(responses[^1]).Result == ProcedureResult.Completed ? null : $"configuration refused: {Describe(responses)}";

    // ---- parts --------------------------------------------------------------------------------

    /// <summary>The response codes, as the failure texts give them ("Ok,Ok,InsufficientSecurityClearance").</summary>
    public static string Describe(IReadOnlyList<PsemResponse> responses) => string.Join(",", responses.Select(r => r.Code));

    private static bool AllOk(IReadOnlyList<PsemResponse> responses) => responses.All(r => r.IsOk);

    private static ProcedureResponseTable ProcedureResponse(PsemResponse response) => ProcedureResponseTable.Decode(response.Data.Span, DataOrder.BigEndian);

    private static PsemRequest[] Authenticated(byte[] credential, params PsemRequest[] requests) =>
        [new LogonRequest(1, "headend"), new SecurityRequest(credential), .. requests];

    private static FullWriteRequest Procedure(ProcedureId procedure, byte[] parameters) =>
        new(Tables.ProcedureInitiate, new ProcedureInitiateTable(procedure, 1, parameters).Encode(DataOrder.BigEndian));

    private byte[] ActivationTime()
    {
        if (settings.ActivateAt is not { } at) return [];
        var bytes = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, (ulong)at.Micros);
        return bytes;
    }

    private byte[] PendingList() => PendingTablesParameters.Encode(_manifest.ConfigurationWrites.Select(w => w.Table).ToList(), DataOrder.BigEndian);
}

/// <summary>What a meter answered to its initiation: accepted, or the reason it was not (<see cref="Failure"/>).</summary>
internal sealed record InitiateResult(string? Failure)
{
    public static readonly InitiateResult Accepted = new((string?)null);
}

/// <summary>A meter's image transfer as it reported it: the control table, its bitmap of received blocks, and its identity (ST1).</summary>
internal sealed record TransferStatus(ImageTransferControlTable Control, byte[] Bitmap, GeneralManufacturerIdTable Identity)
{
    public FirmwareVersion Firmware => Identity.Firmware;

    /// <summary>The blocks of an image of <paramref name="blockCount"/> blocks the bitmap does not hold, in order.</summary>
    public int[] Missing(int blockCount) => BlockBitmap.Missing(Bitmap, blockCount).ToArray();
}

internal enum VerifyOutcome : byte
{
    /// <summary>The command itself was refused (its session, or the verification procedure).</summary>
    Refused,
    /// <summary>The stored image failed verification (<see cref="VerifyActivateResult.Failure"/> says how).</summary>
    VerificationFailed,
    /// <summary>Verified, but the activation was refused.</summary>
    ActivationRefused,
    /// <summary>Verified, and the activation accepted: the meter confirms once it has run it.</summary>
    Activating,
}

/// <summary>What a meter answered to verification and activation, and the failure text when it did not get through.</summary>
internal sealed record VerifyActivateResult(VerifyOutcome Outcome, ImageFailure Failure, string Reason)
{
    public static readonly VerifyActivateResult Activating = new(VerifyOutcome.Activating, ImageFailure.None, "");
}
