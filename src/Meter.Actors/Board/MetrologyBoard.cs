using System.Buffers.Binary;
using System.Runtime.InteropServices;
using AmiSim.Kernel;
using AmiSim.Protocol.C1219;
using AmiSim.Protocol.Network;
using AmiSim.Protocol.Programs;
using AmiSim.Protocol.Psem;

namespace AmiSim.Meter.Board;

/// <summary>What the board needs from its surroundings: the clock and timers of its LP.</summary>
public interface IBoardClock
{
    SimTime Now { get; }

    void StartTimer(string key, TimeSpan delay, BoardTimer timer);
}

/// <summary>A board timer: activation at a scheduled time, or the end of the reboot into a new image.</summary>
public sealed record BoardTimer(BoardTimerKind Kind);

public enum BoardTimerKind : byte
{
    StartActivation = 1,
    RebootComplete = 2,
}

/// <summary>What the board tells its NIC when a timer completed something (the NIC then reads ST8).</summary>
public sealed record ActivationFinished(ImageTransferStatus Status, ImageFailure Failure, FirmwareVersion Firmware, string ProgramId);

/// <summary>
/// The metrology board of a meter: its ANSI C12.19 tables behind PSEM (steps 1.6-1.8). Pure state:
/// the actor feeds it requests and timers. Reads need no session; writes and procedures need a
/// session authenticated with the meter's credential (logon, then security), else isc and nothing
/// happens. Image transfer follows DLMS class 18 over AmiSim's manufacturer tables MT100-MT103.
/// </summary>
public sealed class MetrologyBoard
{
    private readonly MeterSetup _setup;
    private readonly DataOrder _order;
    private readonly RandomStream _faults;
    private readonly byte[] _st0;
    private FirmwareVersion _firmware;
    private EndDeviceMode _mode = EndDeviceMode.Metering;
    private StandardStatus1 _status1;
    private LoadProfileControlTable _loadProfile = LoadProfileControlTable.Default;
    private TouScheduleTable _tou = TouScheduleTable.Flat(150);
    private Dictionary<TableId, byte[]>? _pending;
    private ProcedureResponseTable _lastProcedure;
    private (ProgramManifest Manifest, byte[] Signature)? _staged;
    private List<byte>? _manifestParts;
    private ImageTransfer? _transfer;
    private BoardEventLog? _log;
    private SessionState _session;

    public MetrologyBoard(MeterSetup setup, RandomStream faults)
    {
        _setup = setup;
        _order = setup.GeneralConfig.DataOrder;
        _faults = faults;
        _st0 = setup.GeneralConfig.Encode();
        _firmware = setup.Firmware;
        _lastProcedure = new ProcedureResponseTable(default, 0, ProcedureResult.Completed, []);
    }

    private enum SessionState : byte { None, LoggedOn, Authenticated }

    /// <summary>The board never answers again (a fault after activation).</summary>
    public bool Bricked { get; private set; }

    public FirmwareVersion Firmware => _firmware;

    public ImageTransfer? Transfer => _transfer;

    public LoadProfileControlTable LoadProfile => _loadProfile;

    public IReadOnlyCollection<LoggedEvent> Events => (IReadOnlyCollection<LoggedEvent>?)_log?.Entries ?? [];

    public GeneralManufacturerIdTable IdentityTable =>
        new(_setup.Manufacturer, _setup.Model, 1, 0, _firmware.Version, _firmware.Revision, _setup.Meter.Value.ToString("D16"));

    public PsemResponse Handle(PsemRequest request, IBoardClock clock) => request switch
    {
        IdentRequest or WaitRequest => PsemResponse.Ok,
        LogonRequest => Logon(),
        SecurityRequest security => Authenticate(security),
        LogoffRequest or TerminateRequest => EndSession(),
        FullReadRequest read => Read(read.Table, 0, null),
        PartialReadRequest read => Read(read.Table, read.Offset, read.Count),
        FullWriteRequest write => FullWrite(write, clock),
        PartialWriteRequest write => PartialWrite(write, clock),
        _ => PsemResponse.Of(PsemResponseCode.ServiceNotSupported),
    };

    private PsemResponse Logon()
    {
        _session = SessionState.LoggedOn;
        return PsemResponse.Ok;
    }

    private PsemResponse Authenticate(SecurityRequest security)
    {
        if (_session == SessionState.None) return PsemResponse.Of(PsemResponseCode.InvalidServiceSequenceState);
        if (!security.Password.AsSpan().SequenceEqual(_setup.Credential))
        {
            _session = SessionState.LoggedOn;
            return PsemResponse.Of(PsemResponseCode.InsufficientSecurityClearance);
        }
        _session = SessionState.Authenticated;
        return PsemResponse.Ok;
    }

    private PsemResponse EndSession()
    {
        _session = SessionState.None;
        return PsemResponse.Ok;
    }

    private PsemResponse Read(TableId table, uint offset, ushort? count)
    {
        var data = TableBytes(table);
        if (data is null)
            return PsemResponse.Of(table == Tables.ImageTransferData || table == Tables.ProcedureInitiate
                ? PsemResponseCode.InappropriateActionRequested // write-only tables
                : PsemResponseCode.OperationNotPossible);
        var length = count ?? data.Length - (int)offset;
        if (offset > data.Length || length < 0 || offset + length > data.Length)
            return PsemResponse.Of(PsemResponseCode.OperationNotPossible);
        return PsemResponse.ReadOk(data.AsMemory((int)offset, length));
    }

    /// <summary>The current bytes of a readable table, or null when it cannot be read.</summary>
    public byte[]? TableBytes(TableId table)
    {
        if (table.IsPending) return _pending?.GetValueOrDefault(table);
        if (table == Tables.GeneralConfig) return _st0;
        if (table == Tables.GeneralManufacturerId) return IdentityTable.Encode();
        if (table == Tables.EndDeviceModeStatus)
            return new EndDeviceModeStatusTable(_mode, _status1, 0, new byte[_setup.GeneralConfig.MfgStatusBytes]).Encode(_order);
        if (table == Tables.DeviceIdent) return new DeviceIdentTable(_setup.Meter.Identification).Encode();
        if (table == Tables.ProcedureResponse) return _lastProcedure.Encode(_order);
        if (table == Tables.LoadProfileControl) return _loadProfile.Encode(_order);
        if (table == Tables.TouSchedule) return _tou.Encode(_order);
        if (table == Tables.ImageTransferControl) return (_transfer?.ToTable() ?? ImageTransferControlTable.Idle).Encode(_order);
        if (table == Tables.ImageTransferBitmap) return _transfer?.Bitmap.ToArray() ?? [];
        return null;
    }

    private PsemResponse CheckWrite(TableId table, bool checksumValid)
    {
        if (_session != SessionState.Authenticated) return PsemResponse.Of(PsemResponseCode.InsufficientSecurityClearance);
        if (!checksumValid) return PsemResponse.Of(PsemResponseCode.Error);
        if (!_setup.GeneralConfig.IsUsed(table.WithoutPending())) return PsemResponse.Of(PsemResponseCode.OperationNotPossible);
        if (!_setup.GeneralConfig.IsWritable(table.WithoutPending())) return PsemResponse.Of(PsemResponseCode.InappropriateActionRequested);
        return PsemResponse.Ok;
    }

    private PsemResponse FullWrite(FullWriteRequest write, IBoardClock clock)
    {
        var check = CheckWrite(write.Table, write.ChecksumValid);
        if (!check.IsOk) return check;
        var data = write.Data.Span;
        try
        {
            if (write.Table.IsPending)
            {
                ValidateConfigurationTable(write.Table.WithoutPending(), data);
                (_pending ??= new Dictionary<TableId, byte[]>())[write.Table] = data.ToArray();
            }
            else if (write.Table == Tables.ProcedureInitiate)
            {
                RunProcedure(ProcedureInitiateTable.Decode(data, _order), clock);
            }
            else if (write.Table == Tables.ImageManifest)
            {
                _staged = ManifestCache.Decode(write.Data);
            }
            else if (write.Table == Tables.LoadProfileControl)
            {
                _loadProfile = LoadProfileControlTable.Decode(data, _order);
            }
            else if (write.Table == Tables.TouSchedule)
            {
                _tou = TouScheduleTable.Decode(data, _order);
            }
            else
            {
                return PsemResponse.Of(PsemResponseCode.InappropriateActionRequested); // MT102 takes partial writes only
            }
        }
        catch (TableFormatException error)
        {
            Log(clock.Now, EventCode.ConfigurationError, error.Message);
            return PsemResponse.Of(PsemResponseCode.Error);
        }
        Log(clock.Now, EventCode.TableWritten, write.Table.ToString());
        return PsemResponse.Ok;
    }

    private PsemResponse PartialWrite(PartialWriteRequest write, IBoardClock clock)
    {
        var check = CheckWrite(write.Table, write.ChecksumValid);
        if (!check.IsOk) return check;
        if (write.Table == Tables.ImageManifest) return WriteManifestPart(write.Offset, write.Data.Span, clock);
        if (write.Table != Tables.ImageTransferData) return PsemResponse.Of(PsemResponseCode.InappropriateActionRequested);
        return WriteImageData(write.Offset, write.Data);
    }

    /// <summary>Largest MT103 taken by parts: the manifest of the largest package in blocks of 64 bytes, with room to spare.</summary>
    public const int MaxManifestTable = 16 << 20;

    /// <summary>
    /// MT103 by partial writes, for a manifest longer than a full write carries (65,535 bytes): parts in
    /// order, the first at offset 0 (which starts afresh), each at the end of those before, else onp.
    /// The manifest is staged, as by a full write, with the part that makes the table whole by its own
    /// lengths; a table longer than that or than <see cref="MaxManifestTable"/> gets onp and is dropped,
    /// one that does not decode gets err.
    /// </summary>
    private PsemResponse WriteManifestPart(uint offset, ReadOnlySpan<byte> data, IBoardClock clock)
    {
        if (offset == 0) _manifestParts = [];
        if (_manifestParts is null || offset != _manifestParts.Count || _manifestParts.Count + data.Length > MaxManifestTable)
        {
            _manifestParts = null;
            return PsemResponse.Of(PsemResponseCode.OperationNotPossible);
        }
        _manifestParts.AddRange(data);
        var parts = CollectionsMarshal.AsSpan(_manifestParts);
        if (parts.Length < 4) return PsemResponse.Ok;
        var signatureAt = 4 + (long)BinaryPrimitives.ReadUInt32BigEndian(parts);
        if (parts.Length < signatureAt + 2) return signatureAt + 2 > MaxManifestTable ? DropManifestParts() : PsemResponse.Ok;
        var whole = signatureAt + 2 + BinaryPrimitives.ReadUInt16BigEndian(parts[(int)signatureAt..]);
        if (parts.Length < whole) return PsemResponse.Ok;
        if (parts.Length > whole) return DropManifestParts();
        var table = parts.ToArray();
        _manifestParts = null;
        try
        {
            _staged = ManifestCache.Decode(table);
        }
        catch (TableFormatException error)
        {
            Log(clock.Now, EventCode.ConfigurationError, error.Message);
            return PsemResponse.Of(PsemResponseCode.Error);
        }
        Log(clock.Now, EventCode.TableWritten, Tables.ImageManifest.ToString());
        return PsemResponse.Ok;
    }

    private PsemResponse DropManifestParts()
    {
        _manifestParts = null;
        return PsemResponse.Of(PsemResponseCode.OperationNotPossible);
    }

    /// <summary>
    /// A train of partial writes into MT102, one per block at block x <paramref name="blockSize"/>, handled
    /// exactly as the same <see cref="PartialWriteRequest"/>s one after the other (the NIC writes a chunk
    /// this way). The writes' checksums are left out: the NIC computes each over the bytes the board then
    /// checks it against, and the simulated serial link does not alter them, so the check cannot fail.
    /// Returns how many were answered ok, and the code of the first that was not.
    /// </summary>
    public (int Written, PsemResponseCode FirstRefusal) WriteImageBlocks(int blockSize, IReadOnlyList<ImageBlock> blocks)
    {
        // The session and the table's rights do not change between the writes: checked once for all.
        var check = CheckWrite(Tables.ImageTransferData, checksumValid: true);
        if (!check.IsOk) return (0, check.Code);
        var written = 0;
        var firstRefusal = PsemResponseCode.Ok;
        for (var i = 0; i < blocks.Count; i++)
        {
            var block = blocks[i];
            var response = WriteImageData((uint)(block.Number * blockSize), block.Data);
            if (response.IsOk) written++;
            else if (firstRefusal == PsemResponseCode.Ok) firstRefusal = response.Code;
        }
        return (written, firstRefusal);
    }

    private PsemResponse WriteImageData(uint offset, ReadOnlyMemory<byte> data)
    {
        if (_transfer is not { Status: ImageTransferStatus.TransferInitiated } transfer)
            return PsemResponse.Of(PsemResponseCode.InvalidServiceSequenceState);

        var manifest = transfer.Manifest;
        var block = (int)(offset / (uint)manifest.BlockSize);
        var expectedLength = Math.Min(manifest.BlockSize, manifest.Size - block * manifest.BlockSize);
        if (offset % manifest.BlockSize != 0 || block >= manifest.BlockCount || data.Length != expectedLength)
            return PsemResponse.Of(PsemResponseCode.OperationNotPossible);
        if (_faults.Chance(_setup.Faults.FlashWriteFailure)) return PsemResponse.Of(PsemResponseCode.Error);

        var corrupt = _faults.Chance(_setup.Faults.SilentCorruption) || !BlockDigests.Matches(data, manifest.BlockDigests[block]);
        transfer.Record(block, corrupt);
        return PsemResponse.Ok;
    }

    private static void ValidateConfigurationTable(TableId table, ReadOnlySpan<byte> data)
    {
        // Decoding proves the pending contents are well formed before they can be activated.
        if (table == Tables.LoadProfileControl) LoadProfileControlTable.Decode(data, DataOrder.BigEndian);
        else if (table == Tables.TouSchedule) TouScheduleTable.Decode(data, DataOrder.BigEndian);
        else throw new TableFormatException($"{table} cannot be written as a pending table");
    }

    private void RunProcedure(ProcedureInitiateTable initiate, IBoardClock clock)
    {
        Log(clock.Now, EventCode.ProcedureInvoked, initiate.Procedure.ToString());
        var (result, data) = initiate.Procedure switch
        {
            { IsManufacturer: false, Number: (int)StandardProcedure.ActivateAllPendingTables } => ActivatePending(null, clock),
            { IsManufacturer: false, Number: (int)StandardProcedure.ActivateSpecificPendingTables } => ActivatePending(PendingList(initiate.Parameters), clock),
            { IsManufacturer: false, Number: (int)StandardProcedure.ClearAllPendingTables } => ClearPending(null),
            { IsManufacturer: false, Number: (int)StandardProcedure.ClearSpecificPendingTables } => ClearPending(PendingList(initiate.Parameters)),
            { IsManufacturer: true, Number: (int)ManufacturerProcedure.InitiateImageTransfer } => Initiate(initiate.Parameters),
            { IsManufacturer: true, Number: (int)ManufacturerProcedure.VerifyImage } => Verify(),
            { IsManufacturer: true, Number: (int)ManufacturerProcedure.ActivateImage } => Activate(initiate.Parameters, clock),
            _ => (ProcedureResult.UnrecognizedProcedure, Array.Empty<byte>()),
        };
        _lastProcedure = new ProcedureResponseTable(initiate.Procedure, initiate.Sequence, result, data);
    }

    private List<TableId>? PendingList(byte[] parameters) => PendingTablesParameters.Decode(parameters, _order);

    private (ProcedureResult, byte[]) ActivatePending(List<TableId>? tables, IBoardClock clock)
    {
        var toActivate = tables ?? _pending?.Keys.OrderBy(t => t.Raw).ToList() ?? [];
        if (toActivate.Count == 0 || toActivate.Any(t => _pending?.ContainsKey(t) != true))
            return (ProcedureResult.ConflictsWithSetup, []);
        foreach (var pending in toActivate)
        {
            var data = _pending![pending];
            var table = pending.WithoutPending();
            if (table == Tables.LoadProfileControl) _loadProfile = LoadProfileControlTable.Decode(data, _order);
            else if (table == Tables.TouSchedule) _tou = TouScheduleTable.Decode(data, _order);
            _pending.Remove(pending);
            Log(clock.Now, EventCode.PendingTableActivated, table.ToString());
        }
        Log(clock.Now, EventCode.EndDeviceProgrammed, string.Join(",", toActivate.Select(t => t.WithoutPending())));
        return (ProcedureResult.Completed, []);
    }

    private (ProcedureResult, byte[]) ClearPending(List<TableId>? tables)
    {
        if (tables is null) _pending = null;
        else foreach (var table in tables) _pending?.Remove(table);
        return (ProcedureResult.Completed, []);
    }

    private (ProcedureResult, byte[]) Initiate(byte[] parameters)
    {
        InitiateImageTransferParameters request;
        try
        {
            request = InitiateImageTransferParameters.Decode(parameters, _order);
        }
        catch (TableFormatException)
        {
            return (ProcedureResult.InvalidParameter, []);
        }
        if (_staged is not { } staged || staged.Manifest.ProgramId != request.ImageId || staged.Manifest.Version != request.Version ||
            staged.Manifest.Size != request.ImageSize || staged.Manifest.BlockSize != request.BlockSize || staged.Manifest.Kind != ProgramKind.Firmware)
            return (ProcedureResult.InvalidParameter, []);
        if (_transfer is { Status: ImageTransferStatus.ActivationInitiated })
            return (ProcedureResult.ConflictsWithSetup, []);
        if (!staged.Manifest.Accepts(_setup.Model, _firmware))
        {
            _transfer = new ImageTransfer(staged.Manifest, staged.Signature) { Status = ImageTransferStatus.NotInitiated, LastFailure = ImageFailure.IncompatibleImage };
            return (ProcedureResult.ConflictsWithSetup, [(byte)ImageFailure.IncompatibleImage]);
        }
        // A new initiate of the same image during its transfer keeps the blocks already received (a resumed
        // transfer); after a failed verification it starts afresh.
        if (_transfer is null || _transfer.Manifest.ProgramId != staged.Manifest.ProgramId || _transfer.Manifest.Version != staged.Manifest.Version ||
            _transfer.Status is not ImageTransferStatus.TransferInitiated)
            _transfer = new ImageTransfer(staged.Manifest, staged.Signature);
        else
            _transfer.Status = ImageTransferStatus.TransferInitiated;
        return (ProcedureResult.Completed, []);
    }

    private (ProcedureResult, byte[]) Verify()
    {
        if (_transfer is { Status: ImageTransferStatus.VerificationSuccessful or ImageTransferStatus.ActivationInitiated or ImageTransferStatus.ActivationSuccessful } done)
            return (ProcedureResult.Completed, [(byte)ImageTransferStatus.VerificationSuccessful, (byte)ImageFailure.None]); // asked again: the answer was lost
        if (_transfer is not { Status: ImageTransferStatus.TransferInitiated or ImageTransferStatus.VerificationFailed } transfer)
            return (ProcedureResult.ConflictsWithSetup, []);
        transfer.Status = ImageTransferStatus.VerificationInitiated;
        transfer.LastFailure =
            !transfer.Complete ? ImageFailure.IncompleteImage
            : !_setup.Verifier.IsTrusted(transfer.Manifest, transfer.Signature) ? ImageFailure.SignatureInvalid
            : transfer.HasCorruptBlocks ? ImageFailure.BlockDigestMismatch
            : ImageFailure.None;
        if (transfer.LastFailure == ImageFailure.IncompleteImage)
        {
            transfer.Status = ImageTransferStatus.TransferInitiated; // go on transferring
            return (ProcedureResult.ConflictsWithSetup, [(byte)transfer.Status, (byte)transfer.LastFailure]);
        }
        transfer.Status = transfer.LastFailure == ImageFailure.None ? ImageTransferStatus.VerificationSuccessful : ImageTransferStatus.VerificationFailed;
        return (ProcedureResult.Completed, [(byte)transfer.Status, (byte)transfer.LastFailure]);
    }

    private (ProcedureResult, byte[]) Activate(byte[] parameters, IBoardClock clock)
    {
        if (_transfer is { Status: ImageTransferStatus.ActivationInitiated })
            return (ProcedureResult.AcceptedNotCompleted, []); // asked again: already under way
        if (_transfer is { Status: ImageTransferStatus.ActivationSuccessful } activated)
            return (ProcedureResult.Completed, [(byte)activated.Status, (byte)activated.LastFailure, _firmware.Version, _firmware.Revision]);
        if (_transfer is not { Status: ImageTransferStatus.VerificationSuccessful } transfer)
            return (ProcedureResult.ConflictsWithSetup, []);
        TimeSpan wait;
        if (parameters.Length == 0) wait = TimeSpan.Zero;
        else if (parameters.Length == 8)
        {
            var at = new SimTime((long)BinaryPrimitives.ReadUInt64BigEndian(parameters));
            wait = at > clock.Now ? at - clock.Now : TimeSpan.Zero;
        }
        else return (ProcedureResult.InvalidParameter, []);

        transfer.Status = ImageTransferStatus.ActivationInitiated;
        if (wait > TimeSpan.Zero) clock.StartTimer("activation", wait, new BoardTimer(BoardTimerKind.StartActivation));
        else clock.StartTimer("activation", _setup.RebootDelay, new BoardTimer(BoardTimerKind.RebootComplete));
        return (ProcedureResult.AcceptedNotCompleted, []);
    }

    /// <summary>A board timer fired; returns what the NIC must learn, if anything.</summary>
    public ActivationFinished? OnTimer(BoardTimer timer, IBoardClock clock)
    {
        if (Bricked || _transfer is not { Status: ImageTransferStatus.ActivationInitiated } transfer) return null;
        if (timer.Kind == BoardTimerKind.StartActivation)
        {
            clock.StartTimer("activation", _setup.RebootDelay, new BoardTimer(BoardTimerKind.RebootComplete));
            return null;
        }

        _session = SessionState.None; // a reboot ends any session
        if (_faults.Chance(_setup.Faults.Brick))
        {
            Bricked = true;
            return null;
        }
        var activate = ProcedureId.Manufacturer(ManufacturerProcedure.ActivateImage);
        if (_faults.Chance(_setup.Faults.ActivationFailure))
        {
            transfer.Status = ImageTransferStatus.ActivationFailed;
            transfer.LastFailure = ImageFailure.ActivationFailed;
            Log(clock.Now, EventCode.ConfigurationError, $"activation of {transfer.Manifest.ProgramId} {transfer.Manifest.Version} failed; rolled back to {_firmware}");
        }
        else
        {
            var previous = _firmware;
            _firmware = transfer.Manifest.Version;
            transfer.Status = ImageTransferStatus.ActivationSuccessful;
            Log(clock.Now, EventCode.EndDeviceReprogrammed, $"firmware {previous} -> {_firmware}");
            Log(clock.Now, EventCode.EndDeviceProgrammed, transfer.Manifest.ProgramId);
        }
        _lastProcedure = new ProcedureResponseTable(activate, _lastProcedure.Sequence, ProcedureResult.Completed,
            [(byte)transfer.Status, (byte)transfer.LastFailure, _firmware.Version, _firmware.Revision]);
        return new ActivationFinished(transfer.Status, transfer.LastFailure, _firmware, transfer.Manifest.ProgramId);
    }

    private void Log(SimTime time, EventCode code, string detail)
    {
        if (code == EventCode.ConfigurationError) _status1 |= StandardStatus1.ConfigurationError;
        (_log ??= new BoardEventLog()).Add(time, code, detail);
    }
}
