using AmiSim.Protocol.C1219;
using AmiSim.Protocol.Programs;
using AmiSim.Protocol.Psem;
using CsCheck;
using Xunit;

namespace AmiSim.Protocol.Tests;

/// <summary>Encode -> decode round trips over generated values, for every codec.</summary>
public sealed class CodecPropertyTests
{
    private static readonly Gen<DataOrder> Order = Gen.OneOf(DataOrder.BigEndian, DataOrder.LittleEndian);
    private static readonly Gen<string> Text8 = Gen.String[Gen.Char.AlphaNumeric, 0, 8];
    private static readonly Gen<byte[]> Bytes = Gen.Byte.Array[0, 64];
    private static readonly Gen<FirmwareVersion> Version = Gen.Select(Gen.Byte, Gen.Byte, (v, r) => new FirmwareVersion(v, r));

    [Fact]
    public void ST1_round_trips() =>
        Gen.Select(Gen.String[Gen.Char.AlphaNumeric, 0, 4], Text8, Gen.Byte, Gen.Byte, Version, Gen.String[Gen.Char.AlphaNumeric, 0, 16])
            .Select(t => new GeneralManufacturerIdTable(t.Item1, t.Item2, t.Item3, t.Item4, t.Item5.Version, t.Item5.Revision, t.Item6))
            .Sample(table => Assert.Equal(table, GeneralManufacturerIdTable.Decode(table.Encode())));

    [Fact]
    public void ST0_round_trips()
    {
        var set = Gen.Int[0, 120].HashSet[0, 10].Select(s => (IReadOnlySet<int>)new SortedSet<int>(s));
        Gen.Select(Order, Gen.OneOf(CharFormat.Iso646, CharFormat.Iso8859_1, CharFormat.Utf8), Gen.Int[0, 7], Gen.Int[0, 1], Gen.UInt, set, set, set)
            .Select(t => new GeneralConfigTable
            {
                DataOrder = t.Item1, CharFormat = t.Item2, TimeFormat = (byte)t.Item3, IdForm = (byte)t.Item4, DeviceClass = t.Item5,
                StdTablesUsed = t.Item6, MfgTablesUsed = t.Item7, StdProceduresUsed = t.Item8, StdTablesWritable = t.Item6,
            })
            .Sample(table => Assert.Equal(table, GeneralConfigTable.Decode(table.Encode())));
    }

    [Fact]
    public void ST3_ST5_ST7_ST8_round_trip()
    {
        Gen.Select(Order, Gen.Byte, Gen.UShort, Gen.Byte, Gen.Byte.Array[0, 4]).Sample(t =>
        {
            var st3 = new EndDeviceModeStatusTable((EndDeviceMode)t.Item2, (StandardStatus1)t.Item3, t.Item4, t.Item5);
            Assert.Equal(st3, EndDeviceModeStatusTable.Decode(st3.Encode(t.Item1), t.Item1, t.Item5.Length));
        });
        Gen.String[Gen.Char.AlphaNumeric, 0, 20].Sample(id => Assert.Equal(new DeviceIdentTable(id), DeviceIdentTable.Decode(new DeviceIdentTable(id).Encode())));
        Gen.Select(Order, Gen.UShort, Gen.Byte, Bytes).Sample(t =>
        {
            var st7 = new ProcedureInitiateTable(new ProcedureId(t.Item2), t.Item3, t.Item4);
            Assert.Equal(st7, ProcedureInitiateTable.Decode(st7.Encode(t.Item1), t.Item1));
        });
        Gen.Select(Order, Gen.UShort, Gen.Byte, Gen.Int[0, 6], Bytes).Sample(t =>
        {
            var st8 = new ProcedureResponseTable(new ProcedureId(t.Item2), t.Item3, (ProcedureResult)t.Item4, t.Item5);
            Assert.Equal(st8, ProcedureResponseTable.Decode(st8.Encode(t.Item1), t.Item1));
        });
    }

    [Fact]
    public void ST61_ST54_and_MT100_round_trip()
    {
        Gen.Select(Order, Gen.UInt, Gen.UShort, Gen.Byte, Gen.UShort, Gen.UShort, Gen.Byte, Gen.OneOf<byte>(1, 2, 5, 10, 15, 30, 60)).Sample(t =>
        {
            var st61 = new LoadProfileControlTable(t.Item2, t.Item3, t.Item4, t.Item5, t.Item6, t.Item7, t.Item8);
            Assert.Equal(st61, LoadProfileControlTable.Decode(st61.Encode(t.Item1), t.Item1));
        });
        Gen.Select(Order, Gen.Int[1, 1439].HashSet[0, 11], Gen.UInt).Sample(t =>
        {
            var starts = new[] { 0 }.Concat(t.Item2.Order()).ToList();
            var st54 = new TouScheduleTable(starts.Select((m, i) => new TouSwitchPoint((ushort)m, (byte)(i % 4 + 1), t.Item3 + (uint)i)).ToList());
            Assert.Equal(st54, TouScheduleTable.Decode(st54.Encode(t.Item1), t.Item1));
        });
        Gen.Select(Order, Gen.Int[0, 7], Gen.UShort, Gen.UInt, Gen.UInt, Gen.String[Gen.Char.AlphaNumeric, 0, 16], Version, Gen.Int[0, 7]).Sample(t =>
        {
            var mt100 = new ImageTransferControlTable((ImageTransferStatus)t.Item2, true, t.Item3, t.Item4, Math.Min(t.Item5, t.Item4), t.Item5,
                t.Item6, t.Item7, t.Item4 * 2, (ImageFailure)t.Item8);
            Assert.Equal(mt100, ImageTransferControlTable.Decode(mt100.Encode(t.Item1), t.Item1));
        });
    }

    [Fact]
    public void PSEM_requests_round_trip_and_say_their_length_without_encoding()
    {
        var table = Gen.UShort.Select(raw => new TableId(raw));
        var offset = Gen.UInt[0, 0xFFFFFF];
        var request = Gen.OneOf<PsemRequest>(
            Gen.Const<PsemRequest>(new IdentRequest()),
            Gen.Const<PsemRequest>(new TerminateRequest()),
            Gen.Const<PsemRequest>(new LogoffRequest()),
            Gen.Byte.Select(s => (PsemRequest)new WaitRequest(s)),
            table.Select(t => (PsemRequest)new FullReadRequest(t)),
            Gen.Select(table, offset, Gen.UShort, (t, o, c) => (PsemRequest)new PartialReadRequest(t, o, c)),
            Gen.Select(table, Bytes, Gen.Byte, Gen.Bool, (t, d, c, good) => (PsemRequest)(good ? new FullWriteRequest(t, d) : new FullWriteRequest(t, d, c))),
            Gen.Select(table, offset, Bytes, (t, o, d) => (PsemRequest)new PartialWriteRequest(t, o, d)),
            Gen.Select(Gen.UShort, Gen.String[Gen.Char.AlphaNumeric, 0, 10], (id, user) => (PsemRequest)new LogonRequest(id, user)),
            Gen.Byte.Array[20].Select(p => (PsemRequest)new SecurityRequest(p)));
        request.Sample(r =>
        {
            var frame = r.Encode();
            Assert.Equal(r, PsemRequest.Decode(frame));
            Assert.Equal(frame.Length, r.EncodedLength); // airtime is worked out from it, hop by hop
        });
    }

    [Fact]
    public void PSEM_responses_round_trip()
    {
        Gen.Select(Gen.Int[0, 10], Bytes, Gen.Bool).Sample(t =>
        {
            var code = (PsemResponseCode)t.Item1;
            var response = code == PsemResponseCode.Ok && t.Item3 ? PsemResponse.ReadOk(t.Item2) : PsemResponse.Of(code);
            Assert.Equal(response, PsemResponse.Decode(response.Encode(isReadResponse: t.Item3), isReadResponse: t.Item3));
        });
    }

    [Fact]
    public void Manifests_round_trip_through_their_canonical_bytes()
    {
        Gen.Select(Text8, Version, Gen.Byte.Array[1, 3000], Gen.Int[16, 512], Text8.List[0, 3]).Sample(t =>
        {
            var manifest = ProgramManifest.ForFirmware(t.Item1, t.Item2, t.Item3, t.Item4, t.Item5, [new FirmwareVersion(1, 0)]);
            Assert.Equal(manifest, ProgramManifest.FromCanonicalBytes(manifest.CanonicalBytes()));
            var (decoded, signature) = ImageManifestTable.Decode(ImageManifestTable.Encode(manifest, [1, 2, 3]));
            Assert.Equal(manifest, decoded);
            Assert.Equal(new byte[] { 1, 2, 3 }, signature);
        }, iter: 200);
    }
}
