using AmiSim.Kernel;
using AmiSim.Meter.Board;
using AmiSim.Protocol.C1219;
using AmiSim.Protocol.Network;
using AmiSim.Protocol.Programs;
using AmiSim.Protocol.Psem;
using Xunit;

namespace AmiSim.Meter.Tests;

/// <summary>MT103 written in partial writes, as a manifest longer than one full write (65,535 bytes) must be.</summary>
public sealed class ManifestByPartsTests
{
    private static readonly byte[] Password = MeterTestBed.CredentialOf(3);
    private static readonly ProgramPackage Large = MeterTestBed.Firmware(new FirmwareVersion(2, 0), size: 2_200 * 64, blockSize: 64); // 2,200 digests: about 70 KB
    private readonly MetrologyBoard _board;
    private readonly byte[] _table = ImageManifestTable.Encode(Large.Manifest, Large.Signature);

    public ManifestByPartsTests()
    {
        var setup = new MeterSetup
        {
            Meter = new MeterId(3), Model = "AM-100", Credential = Password, Verifier = MeterTestBed.VendorVerifier(), Uplink = LpId.Kernel,
        };
        _board = new MetrologyBoard(setup, RandomStream.For(1, MeterSetup.LpOf(setup.Meter), "board-faults"));
        Assert.True(_board.Handle(new LogonRequest(1, "TEST"), Clock).IsOk);
        Assert.True(_board.Handle(new SecurityRequest(Password), Clock).IsOk);
        Assert.True(_table.Length > ushort.MaxValue);
    }

    private static readonly MeterTestBed.StillClock Clock = new();

    private PsemResponseCode Part(int offset, int count) =>
        _board.Handle(new PartialWriteRequest(Tables.ImageManifest, (uint)offset, _table.AsMemory(offset, count)), Clock).Code;

    private ProcedureResult Initiate()
    {
        var m = Large.Manifest;
        var procedure = new ProcedureInitiateTable(ProcedureId.Manufacturer(ManufacturerProcedure.InitiateImageTransfer), 1,
            new InitiateImageTransferParameters(m.ProgramId, m.Version, (uint)m.Size, (ushort)m.BlockSize).Encode(DataOrder.BigEndian));
        Assert.True(_board.Handle(new FullWriteRequest(Tables.ProcedureInitiate, procedure.Encode(DataOrder.BigEndian)), Clock).IsOk);
        var st8 = _board.Handle(new FullReadRequest(Tables.ProcedureResponse), Clock);
        return ProcedureResponseTable.Decode(st8.Data.Span, DataOrder.BigEndian).Result;
    }

    [Fact]
    public void Parts_in_order_stage_the_manifest_when_the_table_is_whole()
    {
        for (var offset = 0; offset < _table.Length; offset += 4096)
            Assert.Equal(PsemResponseCode.Ok, Part(offset, Math.Min(4096, _table.Length - offset)));

        Assert.Equal(ProcedureResult.Completed, Initiate());
        Assert.Equal(ImageTransferStatus.TransferInitiated, _board.Transfer!.Status);
        Assert.Equal(2_200u, _board.Transfer.ToTable().BlockCount);
    }

    [Fact]
    public void A_part_out_of_order_is_refused_and_nothing_is_staged()
    {
        Assert.Equal(PsemResponseCode.Ok, Part(0, 4096));
        Assert.Equal(PsemResponseCode.OperationNotPossible, Part(8192, 4096)); // a gap
        Assert.Equal(PsemResponseCode.OperationNotPossible, Part(4096, 4096)); // the parts were dropped: start again at 0
        for (var offset = 4096; offset < _table.Length; offset += 4096) Part(offset, Math.Min(4096, _table.Length - offset));

        Assert.Equal(ProcedureResult.InvalidParameter, Initiate());
    }

    [Fact]
    public void A_table_longer_than_its_lengths_say_is_refused()
    {
        var longer = (byte[])_table.Clone();
        Array.Resize(ref longer, _table.Length + 1);
        var write = new PartialWriteRequest(Tables.ImageManifest, 0, longer);

        Assert.Equal(PsemResponseCode.OperationNotPossible, _board.Handle(write, Clock).Code);
        Assert.Equal(ProcedureResult.InvalidParameter, Initiate());
    }

    [Fact]
    public void Parts_need_an_authenticated_session()
    {
        _board.Handle(new LogoffRequest(), Clock);

        Assert.Equal(PsemResponseCode.InsufficientSecurityClearance, Part(0, 4096));
    }
}
