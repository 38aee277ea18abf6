using AmiSim.Protocol.C1218;
using AmiSim.Protocol.C1219;
using AmiSim.Protocol.Programs;
using AmiSim.Protocol.Psem;

namespace AmiSim.Host.Optical;

/// <summary>What became of programming one meter in the field.</summary>
public enum FlashOutcome : byte
{
    /// <summary>The meter runs the package: a firmware image activated, or a configuration's tables in force.</summary>
    Programmed,
    /// <summary>The meter already ran the package's firmware version; nothing was written.</summary>
    AlreadyRunning,
    /// <summary>The meter refused the program (password, compatibility, verification, activation) and keeps the one it ran.</summary>
    Refused,
}

/// <summary>
/// A field programming's result: the firmware before and after, the blocks found on the meter from an
/// earlier, broken transfer and the blocks sent now, and for <see cref="FlashOutcome.Refused"/> why.
/// </summary>
public sealed record FlashResult(FlashOutcome Outcome, FirmwareVersion Before, FirmwareVersion After, int BlocksResumed, int BlocksSent, string Detail);

/// <summary>
/// Programs one meter through its optical port, as the vendor tool does in the field, with the
/// head-end's flow over one C12.18 session (docs/IMAGE-TRANSFER-TABLES.md): identification,
/// negotiation of a packet that holds a block, logon and security; ST0 (byte order) and ST1; for
/// firmware, the signed manifest to MT103, MP1, the blocks the meter's bitmap (MT101) lacks as partial
/// writes to MT102, MT100 read back and its missing blocks sent again (at most
/// <see cref="RepairRounds"/> times), MP2, MP3 now, MT100 polled until the reboot ends, ST1 again; for
/// a configuration, its tables written pending and SP13. Because MP1 of the image a meter already holds
/// keeps its blocks, running it again after a broken connection resumes where the bitmap says.
/// The meter's refusals become <see cref="FlashOutcome.Refused"/>; a broken link throws
/// <see cref="C1218LinkException"/> (or <see cref="IOException"/>).
/// </summary>
public sealed class FieldFlash(C1218Client probe, ProgramPackage package, string user, Action<string> progress)
{
    /// <summary>How often a block answered with a checksum or flash error is written again before the flash gives up.</summary>
    public const int WriteRetries = 3;

    /// <summary>How many times the blocks MT100 still counts missing are sent again.</summary>
    public const int RepairRounds = 3;

    /// <summary>The largest image a partial write's 24-bit offset reaches (the last block starts below it).</summary>
    public const int LargestImage = 1 << 24;

    /// <summary>Bytes of MT103 per write: a longer manifest (more blocks) is written in parts.</summary>
    public const int ManifestPart = 4096;

    private static readonly TimeSpan ActivationPoll = TimeSpan.FromMilliseconds(250);

    private readonly ProgramManifest _manifest = package.Manifest;
    private DataOrder _order = DataOrder.BigEndian;
    private byte _sequence;

    /// <param name="activationTimeout">how long the meter may take to reboot into the new image.</param>
    public async Task<FlashResult> RunAsync(byte[] password, TimeSpan activationTimeout, CancellationToken cancellation)
    {
        await probe.IdentifyAsync(cancellation);
        await probe.NegotiateAsync(Math.Min(C1218Packet.LargestPacket, Math.Max(C1218Packet.DefaultPacketSize, _manifest.BlockSize + 64)), 1, cancellation);
        var security = await probe.LogonAsync(user, password, cancellation);
        var before = default(FirmwareVersion);
        try
        {
            _order = GeneralConfigTable.Decode((await ReadAsync(Tables.GeneralConfig, cancellation)).Span).DataOrder;
            before = GeneralManufacturerIdTable.Decode((await ReadAsync(Tables.GeneralManufacturerId, cancellation)).Span).Firmware;
            if (security != PsemResponseCode.Ok) throw new Refusal($"the meter refused the password ({security})");
            var result = _manifest.Kind == ProgramKind.Configuration
                ? await ConfigureAsync(before, cancellation)
                : await FirmwareAsync(before, activationTimeout, cancellation);
            await EndAsync(cancellation);
            return result;
        }
        catch (Refusal refusal)
        {
            await EndAsync(cancellation);
            return new FlashResult(FlashOutcome.Refused, before, before, 0, 0, refusal.Message);
        }
        catch (TableFormatException error)
        {
            throw new C1218LinkException($"the meter sent a table that does not decode: {error.Message}");
        }
    }

    private async Task<FlashResult> FirmwareAsync(FirmwareVersion before, TimeSpan activationTimeout, CancellationToken cancellation)
    {
        if (before == _manifest.Version) return new FlashResult(FlashOutcome.AlreadyRunning, before, before, 0, 0, $"the meter already runs {before}");
        await WriteManifestAsync(ImageManifestTable.Encode(_manifest, package.Signature), cancellation);
        var initiate = await ProcedureAsync(ProcedureId.Manufacturer(ManufacturerProcedure.InitiateImageTransfer),
            new InitiateImageTransferParameters(_manifest.ProgramId, _manifest.Version, (uint)_manifest.Size, (ushort)_manifest.BlockSize).Encode(_order), cancellation);
        if (initiate.Result != ProcedureResult.Completed)
            throw new Refusal($"the meter refused the transfer: {(initiate.ResponseData.Length > 0 ? (ImageFailure)initiate.ResponseData[0] : initiate.Result)}");

        var missing = await MissingAsync(cancellation);
        var resumed = _manifest.BlockCount - missing.Length;
        if (resumed > 0) progress($"resuming: {resumed:N0} of {_manifest.BlockCount:N0} blocks are on the meter already");
        var sent = await SendAsync(missing, cancellation);
        for (var round = 0; round < RepairRounds; round++)
        {
            var control = ImageTransferControlTable.Decode((await ReadAsync(Tables.ImageTransferControl, cancellation)).Span, _order);
            if (control.MissingCount == 0) break;
            progress($"repair: the meter misses {control.MissingCount:N0} blocks");
            sent += await SendAsync(await MissingAsync(cancellation), cancellation);
        }

        var verify = await ProcedureAsync(ProcedureId.Manufacturer(ManufacturerProcedure.VerifyImage), [], cancellation);
        var failure = verify.ResponseData.Length > 1 ? (ImageFailure)verify.ResponseData[1] : ImageFailure.None;
        if (verify.Result != ProcedureResult.Completed || failure != ImageFailure.None)
            throw new Refusal($"the meter refused the image: verification failed ({(failure != ImageFailure.None ? failure : verify.Result)}); it keeps firmware {before}");
        progress($"verified: {sent:N0} blocks sent, {resumed:N0} resumed; activating {_manifest.Version} (the meter reboots)");
        var activate = await ProcedureAsync(ProcedureId.Manufacturer(ManufacturerProcedure.ActivateImage, ResponseSelector.ImmediatelyAndOnCompletion), [], cancellation);
        if (activate.Result is not (ProcedureResult.AcceptedNotCompleted or ProcedureResult.Completed))
            throw new Refusal($"the meter refused the activation ({activate.Result}); it keeps firmware {before}");

        var deadline = DateTime.UtcNow + activationTimeout;
        while (true)
        {
            var control = ImageTransferControlTable.Decode((await ReadAsync(Tables.ImageTransferControl, cancellation)).Span, _order);
            if (control.Status == ImageTransferStatus.ActivationSuccessful) break;
            if (control.Status == ImageTransferStatus.ActivationFailed) throw new Refusal($"the activation failed ({control.LastFailure}): the meter rolled back to {before}");
            if (DateTime.UtcNow > deadline) throw new Refusal($"the meter did not finish activating within {activationTimeout.TotalSeconds:0} s (MT100 status {control.Status})");
            await Task.Delay(ActivationPoll, cancellation);
        }
        var after = GeneralManufacturerIdTable.Decode((await ReadAsync(Tables.GeneralManufacturerId, cancellation)).Span).Firmware;
        return new FlashResult(FlashOutcome.Programmed, before, after, resumed, sent, $"the meter runs {_manifest.ProgramId} {after}");
    }

    private async Task<FlashResult> ConfigureAsync(FirmwareVersion firmware, CancellationToken cancellation)
    {
        foreach (var write in _manifest.ConfigurationWrites)
            await WriteAsync(new FullWriteRequest(write.Table.AsPending(), write.Data), $"pending {write.Table}", cancellation);
        var list = PendingTablesParameters.Encode(_manifest.ConfigurationWrites.Select(w => w.Table).ToList(), _order);
        var activate = await ProcedureAsync(ProcedureId.Standard(StandardProcedure.ActivateSpecificPendingTables), list, cancellation);
        if (activate.Result != ProcedureResult.Completed) throw new Refusal($"the meter refused to activate the tables ({activate.Result})");
        return new FlashResult(FlashOutcome.Programmed, firmware, firmware, 0, 0,
            $"the meter runs {_manifest.ProgramId} ({string.Join(", ", _manifest.ConfigurationWrites.Select(w => w.Table))} in force)");
    }

    /// <summary>MT103 in one full write, or in partial writes of <see cref="ManifestPart"/> bytes when it is longer.</summary>
    private async Task WriteManifestAsync(byte[] table, CancellationToken cancellation)
    {
        if (table.Length <= ManifestPart)
        {
            await WriteAsync(new FullWriteRequest(Tables.ImageManifest, table), "the manifest (MT103)", cancellation);
            return;
        }
        for (var offset = 0; offset < table.Length; offset += ManifestPart)
            await WriteAsync(new PartialWriteRequest(Tables.ImageManifest, (uint)offset, table.AsMemory(offset, Math.Min(ManifestPart, table.Length - offset))),
                $"the manifest (MT103) at {offset:N0} of {table.Length:N0} bytes", cancellation);
    }

    /// <summary>The blocks MT101 does not hold, in order.</summary>
    private async Task<int[]> MissingAsync(CancellationToken cancellation) =>
        BlockBitmap.Missing((await ReadAsync(Tables.ImageTransferBitmap, cancellation)).ToArray(), _manifest.BlockCount).ToArray();

    /// <summary>Writes <paramref name="blocks"/> to MT102; returns how many were written.</summary>
    private async Task<int> SendAsync(int[] blocks, CancellationToken cancellation)
    {
        var tenths = 0L;
        for (var i = 0; i < blocks.Length; i++)
        {
            var write = new PartialWriteRequest(Tables.ImageTransferData, (uint)(blocks[i] * _manifest.BlockSize), package.Block(blocks[i]));
            var answer = await probe.ServiceAsync(write, cancellation);
            for (var retry = 0; answer.Code == PsemResponseCode.Error && retry < WriteRetries; retry++) answer = await probe.ServiceAsync(write, cancellation);
            if (!answer.IsOk) throw new Refusal($"the meter refused block {blocks[i]} ({answer.Code})");
            if ((i + 1L) * 10 / blocks.Length > tenths)
            {
                tenths = (i + 1L) * 10 / blocks.Length;
                progress($"sent {i + 1:N0} of {blocks.Length:N0} blocks");
            }
        }
        return blocks.Length;
    }

    private async Task<ReadOnlyMemory<byte>> ReadAsync(TableId table, CancellationToken cancellation)
    {
        var answer = await probe.ServiceAsync(new FullReadRequest(table), cancellation);
        return answer.IsOk ? answer.Data : throw new Refusal($"the meter refused to read {table} ({answer.Code})");
    }

    private async Task WriteAsync(PsemRequest write, string what, CancellationToken cancellation)
    {
        var answer = await probe.ServiceAsync(write, cancellation);
        if (!answer.IsOk) throw new Refusal($"the meter refused to write {what} ({answer.Code})");
    }

    /// <summary>Writes <paramref name="procedure"/> to ST7 and reads its answer from ST8.</summary>
    private async Task<ProcedureResponseTable> ProcedureAsync(ProcedureId procedure, byte[] parameters, CancellationToken cancellation)
    {
        var sequence = ++_sequence;
        await WriteAsync(new FullWriteRequest(Tables.ProcedureInitiate, new ProcedureInitiateTable(procedure, sequence, parameters).Encode(_order)), $"procedure {procedure}", cancellation);
        var response = ProcedureResponseTable.Decode((await ReadAsync(Tables.ProcedureResponse, cancellation)).Span, _order);
        return response.Procedure.Number == procedure.Number && response.Procedure.IsManufacturer == procedure.IsManufacturer && response.Sequence == sequence ? response
            : throw new Refusal($"the meter answered procedure {response.Procedure} #{response.Sequence} to {procedure} #{sequence}");
    }

    private async Task EndAsync(CancellationToken cancellation)
    {
        await probe.ServiceAsync(new LogoffRequest(), cancellation);
        await probe.ServiceAsync(new TerminateRequest(), cancellation);
    }

    private sealed class Refusal(string message) : Exception(message);
}
