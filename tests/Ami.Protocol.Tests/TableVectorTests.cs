using CsCheck;
using System.Text;
using AmiSim.Protocol.C1219;
using Xunit;

namespace AmiSim.Protocol.Tests;

/// <summary>Byte vectors written out by hand from the table layouts, decoded field by field.</summary>
public sealed class TableVectorTests
{
    [Fact]
    public void ST1_bytes_decode_field_by_field_with_the_firmware_version_at_offsets_14_and_15()
    {
        var bytes = Encoding.Latin1.GetBytes("ELEC").Concat(Encoding.Latin1.GetBytes("REX2    "))
            .Concat(new byte[] { 3, 1, 4, 12 })
            .Concat(Encoding.Latin1.GetBytes("0000000000004711")).ToArray();
        Assert.Equal(32, bytes.Length);

        var st1 = GeneralManufacturerIdTable.Decode(bytes);

        Assert.Equal("ELEC", st1.Manufacturer);
        Assert.Equal("REX2", st1.Model);
        Assert.Equal(3, st1.HwVersion);
        Assert.Equal(1, st1.HwRevision);
        Assert.Equal(4, st1.FwVersion);
        Assert.Equal(12, st1.FwRevision);
        Assert.Equal("0000000000004711", st1.SerialNumber);
        Assert.Equal(new FirmwareVersion(4, 12), st1.Firmware);
        Assert.Equal(4, bytes[GeneralManufacturerIdTable.FwVersionOffset]);
        Assert.Equal(12, bytes[GeneralManufacturerIdTable.FwRevisionOffset]);
        Assert.Equal(bytes, st1.Encode());
    }

    [Fact]
    public void SP13_parameters_are_the_count_then_each_table_id_in_the_data_order_without_the_pending_flag()
    {
        TableId[] tables = [new TableId(61), new TableId(62).AsPending()];
        Assert.Equal(new byte[] { 2, 0x00, 61, 0x00, 62 }, PendingTablesParameters.Encode(tables, DataOrder.BigEndian));
        Assert.Equal(new byte[] { 2, 61, 0x00, 62, 0x00 }, PendingTablesParameters.Encode(tables, DataOrder.LittleEndian));
        Assert.Equal([new TableId(61).AsPending(), new TableId(62).AsPending()], PendingTablesParameters.Decode(PendingTablesParameters.Encode(tables, DataOrder.LittleEndian), DataOrder.LittleEndian));
    }

    [Fact]
    public void ST0_bytes_decode_field_by_field()
    {
        byte[] bytes =
        [
            0b0000_0101, // FORMAT_CONTROL_1: DATA_ORDER 1 (big-endian), CHAR_FORMAT 2 (ISO-8859-1)
            0b0010_0010, // FORMAT_CONTROL_2: TM_FORMAT 2, ID_FORM 1
            0x00,        // FORMAT_CONTROL_3
            0x45, 0x4C, 0x45, 0x43, // DEVICE_CLASS "ELEC"
            2, 0, 64, 48, 2, 0, // NAMEPLATE_TYPE, DEFAULT_SET_USED, MAX_PROC_PARM_LENGTH, MAX_RESP_DATA_LEN, STD_VERSION_NO, STD_REVISION_NO
            2, 1, 2, 1,  // DIM_STD_TBLS_USED, DIM_MFG_TBLS_USED, DIM_STD_PROC_USED, DIM_MFG_PROC_USED
            1, 3,        // DIM_MFG_STATUS_USED, NBR_PENDING
            0b1010_1011, 0b0000_0000, // STD_TBLS_USED: 0,1,3,5,7
            0b0000_0100,              // MFG_TBLS_USED: 2
            0b0000_0000, 0b0011_0000, // STD_PROC_USED: 12,13
            0b0000_0010,              // MFG_PROC_USED: 1
            0b1000_0000, 0b0000_0000, // STD_TBLS_WRITE: 7
            0b0000_0100,              // MFG_TBLS_WRITE: 2
        ];

        var st0 = GeneralConfigTable.Decode(bytes);

        Assert.Equal(DataOrder.BigEndian, st0.DataOrder);
        Assert.Equal(CharFormat.Iso8859_1, st0.CharFormat);
        Assert.Equal(2, st0.TimeFormat);
        Assert.Equal(1, st0.IdForm);
        Assert.Equal(0x454C4543u, st0.DeviceClass);
        Assert.Equal(2, st0.NameplateType);
        Assert.Equal(64, st0.MaxProcParmLength);
        Assert.Equal(48, st0.MaxRespDataLength);
        Assert.Equal(2, st0.StdVersion);
        Assert.Equal(1, st0.MfgStatusBytes);
        Assert.Equal(3, st0.PendingTables);
        Assert.Equal([0, 1, 3, 5, 7], st0.StdTablesUsed);
        Assert.Equal([2], st0.MfgTablesUsed);
        Assert.Equal([12, 13], st0.StdProceduresUsed);
        Assert.Equal([1], st0.MfgProceduresUsed);
        Assert.Equal([7], st0.StdTablesWritable);
        Assert.True(st0.IsWritable(TableId.Standard(7)));
        Assert.False(st0.IsWritable(TableId.Standard(1)));
        Assert.True(st0.IsWritable(TableId.Manufacturer(2)));
        Assert.Equal(bytes, st0.Encode());
    }

    [Fact]
    public void ST0_little_endian_device_class_follows_data_order()
    {
        var little = new GeneralConfigTable { DataOrder = DataOrder.LittleEndian, DeviceClass = 0x01020304 }.Encode();
        var big = new GeneralConfigTable { DataOrder = DataOrder.BigEndian, DeviceClass = 0x01020304 }.Encode();
        Assert.Equal(new byte[] { 4, 3, 2, 1 }, little[3..7]);
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, big[3..7]);
        Assert.Equal(0x01020304u, GeneralConfigTable.Decode(little).DeviceClass);
    }

    [Fact]
    public void ST61_numbers_follow_the_data_order()
    {
        var table = new LoadProfileControlTable(0x00010203, 0x0405, 6, 0x0708, 0x090A, 4, 30);
        var big = table.Encode(DataOrder.BigEndian);
        var little = table.Encode(DataOrder.LittleEndian);
        Assert.Equal(new byte[] { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 4, 30 }, big);
        Assert.Equal(new byte[] { 3, 2, 1, 0, 5, 4, 6, 8, 7, 10, 9, 4, 30 }, little);
        Assert.Equal(TimeSpan.FromMinutes(30), LoadProfileControlTable.Decode(little, DataOrder.LittleEndian).Interval);
    }

    [Fact]
    public void Table_ids_carry_the_manufacturer_and_pending_flags()
    {
        var mt = TableId.Manufacturer(100);
        Assert.Equal(0x0864, mt.Raw);
        Assert.True(mt.IsManufacturer);
        Assert.Equal(100, mt.Number);
        var pending = TableId.Standard(61).AsPending();
        Assert.Equal(0x103D, pending.Raw);
        Assert.True(pending.IsPending);
        Assert.Equal(TableId.Standard(61), pending.WithoutPending());
        Assert.Equal("pending ST61", pending.ToString());
    }

    [Fact]
    public void The_table_checksum_is_the_twos_complement_of_the_byte_sum()
    {
        Assert.Equal(0xFA, TableChecksum.Of([1, 2, 3]));
        Assert.Equal(0x00, TableChecksum.Of([]));
        Assert.Equal(0x01, TableChecksum.Of([0xFF]));
        Assert.True(TableChecksum.Matches([0x80, 0x80], 0x00));
    }

    [Fact]
    public void The_vectorised_checksum_equals_the_byte_by_byte_sum_at_every_length() =>
        // Lengths around and past the vector width, odd offsets into a larger array (slices of a package).
        Gen.Select(Gen.Byte.Array[0, 1100], Gen.Int[0, 7]).Sample((bytes, skip) =>
        {
            var data = bytes.AsSpan(Math.Min(skip, bytes.Length));
            byte sum = 0;
            foreach (var b in data) sum += b;
            Assert.Equal((byte)(0x100 - sum), TableChecksum.Of(data));
            Assert.True(TableChecksum.Matches(data, (byte)(0x100 - sum)));
        });

    [Fact]
    public void Short_or_inconsistent_tables_are_rejected_naming_the_field()
    {
        var st1 = Assert.Throws<TableFormatException>(() => GeneralManufacturerIdTable.Decode(new byte[31]));
        Assert.Contains("ST1", st1.Message);
        var st8 = Assert.Throws<TableFormatException>(() => ProcedureResponseTable.Decode(new byte[] { 0, 1, 2 }, DataOrder.BigEndian));
        Assert.Contains("RESULT_CODE", st8.Message);
        var st54 = Assert.Throws<TableFormatException>(() => TouScheduleTable.Decode(new byte[] { 1, 0, 5, 1, 0, 0, 0, 1 }, DataOrder.BigEndian));
        Assert.Contains("minute 0", st54.Message);
        var st61 = Assert.Throws<TableFormatException>(() => LoadProfileControlTable.Decode(new LoadProfileControlTable(1, 1, 1, 1, 1, 1, 7).Encode(DataOrder.BigEndian), DataOrder.BigEndian));
        Assert.Contains("MAX_INT_TIME_SET1", st61.Message);
    }
}
