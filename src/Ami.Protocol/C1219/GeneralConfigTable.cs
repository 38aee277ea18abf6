namespace AmiSim.Protocol.C1219;

/// <summary>ST0 CHAR_FORMAT values (FORMAT_CONTROL_1 bits 1-3).</summary>
public enum CharFormat : byte
{
    Iso646 = 1,
    Iso8859_1 = 2,
    Utf8 = 3,
}

/// <summary>
/// ST0 GEN_CONFIG_TBL: how the end device encodes its tables and which tables and procedures it has.
/// Byte layout: FORMAT_CONTROL_1 (bit 0 DATA_ORDER, bits 1-3 CHAR_FORMAT), FORMAT_CONTROL_2 (bits 0-2
/// TM_FORMAT, bit 5 ID_FORM), FORMAT_CONTROL_3, DEVICE_CLASS (4), NAMEPLATE_TYPE, DEFAULT_SET_USED,
/// MAX_PROC_PARM_LENGTH, MAX_RESP_DATA_LEN, STD_VERSION_NO, STD_REVISION_NO, DIM_STD_TBLS_USED,
/// DIM_MFG_TBLS_USED, DIM_STD_PROC_USED, DIM_MFG_PROC_USED, DIM_MFG_STATUS_USED, NBR_PENDING, then the
/// sets STD_TBLS_USED, MFG_TBLS_USED, STD_PROC_USED, MFG_PROC_USED, STD_TBLS_WRITE, MFG_TBLS_WRITE
/// (bit n of a set is bit n%8 of byte n/8). ST0 itself is always read as written: byte 0 tells the order.
/// </summary>
public sealed record GeneralConfigTable
{
    public DataOrder DataOrder { get; init; } = DataOrder.BigEndian;
    public CharFormat CharFormat { get; init; } = CharFormat.Iso8859_1;
    public byte TimeFormat { get; init; } = 2;
    /// <summary>ID_FORM: 0 = identifiers as characters, 1 = BCD. AmiSim boards use characters.</summary>
    public byte IdForm { get; init; }
    public byte FormatControl3 { get; init; }
    public uint DeviceClass { get; init; } = 0x45_41_4D_53; // "EAMS"
    public byte NameplateType { get; init; } = 2; // electric
    public byte DefaultSetUsed { get; init; }
    public byte MaxProcParmLength { get; init; } = 64;
    public byte MaxRespDataLength { get; init; } = 64;
    public byte StdVersion { get; init; } = 2;
    public byte StdRevision { get; init; }
    public byte MfgStatusBytes { get; init; } = 1;
    public byte PendingTables { get; init; } = 4;
    /// <summary>DIM_STD_TBLS_USED, DIM_MFG_TBLS_USED, DIM_STD_PROC_USED, DIM_MFG_PROC_USED as read; 0 = as few bytes as the sets need.</summary>
    public (byte StdTables, byte MfgTables, byte StdProcedures, byte MfgProcedures) SetDimensions { get; init; }
    public IReadOnlySet<int> StdTablesUsed { get; init; } = new SortedSet<int>();
    public IReadOnlySet<int> MfgTablesUsed { get; init; } = new SortedSet<int>();
    public IReadOnlySet<int> StdProceduresUsed { get; init; } = new SortedSet<int>();
    public IReadOnlySet<int> MfgProceduresUsed { get; init; } = new SortedSet<int>();
    public IReadOnlySet<int> StdTablesWritable { get; init; } = new SortedSet<int>();
    public IReadOnlySet<int> MfgTablesWritable { get; init; } = new SortedSet<int>();

    /// <summary>Whether ST0 lets the table be written (its write set; the pending flag does not matter).</summary>
    public bool IsWritable(TableId table) =>
        table.IsManufacturer ? MfgTablesWritable.Contains(table.Number) : StdTablesWritable.Contains(table.Number);

    public bool IsUsed(TableId table) =>
        table.IsManufacturer ? MfgTablesUsed.Contains(table.Number) : StdTablesUsed.Contains(table.Number);

    public byte[] Encode()
    {
        var stdTblBytes = Math.Max(SetDimensions.StdTables, SetBytes(StdTablesUsed, StdTablesWritable));
        var mfgTblBytes = Math.Max(SetDimensions.MfgTables, SetBytes(MfgTablesUsed, MfgTablesWritable));
        var stdProcBytes = Math.Max(SetDimensions.StdProcedures, SetBytes(StdProceduresUsed));
        var mfgProcBytes = Math.Max(SetDimensions.MfgProcedures, SetBytes(MfgProceduresUsed));
        var writer = new TableWriter(DataOrder)
            .U8((byte)((byte)DataOrder | ((byte)CharFormat << 1)))
            .U8((byte)((TimeFormat & 0x07) | ((IdForm & 1) << 5)))
            .U8(FormatControl3)
            .U32(DeviceClass)
            .U8(NameplateType).U8(DefaultSetUsed).U8(MaxProcParmLength).U8(MaxRespDataLength)
            .U8(StdVersion).U8(StdRevision)
            .U8((byte)stdTblBytes).U8((byte)mfgTblBytes).U8((byte)stdProcBytes).U8((byte)mfgProcBytes)
            .U8(MfgStatusBytes).U8(PendingTables);
        writer.Bytes(ToSet(StdTablesUsed, stdTblBytes)).Bytes(ToSet(MfgTablesUsed, mfgTblBytes))
            .Bytes(ToSet(StdProceduresUsed, stdProcBytes)).Bytes(ToSet(MfgProceduresUsed, mfgProcBytes))
            .Bytes(ToSet(StdTablesWritable, stdTblBytes)).Bytes(ToSet(MfgTablesWritable, mfgTblBytes));
        return writer.ToArray();
    }

    public static GeneralConfigTable Decode(ReadOnlySpan<byte> data)
    {
        if (data.Length < 1) throw new TableFormatException("ST0: empty table");
        var order = (DataOrder)(data[0] & 1);
        var reader = new TableReader(data, order, "ST0");
        var control1 = reader.U8("FORMAT_CONTROL_1");
        var control2 = reader.U8("FORMAT_CONTROL_2");
        var charFormat = (control1 >> 1) & 0x07;
        if (charFormat is < 1 or > 3) throw new TableFormatException($"ST0: CHAR_FORMAT {charFormat} is not 1 (ISO-646), 2 (ISO-8859-1) or 3 (UTF-8)");
        var table = new GeneralConfigTable
        {
            DataOrder = order,
            CharFormat = (CharFormat)charFormat,
            TimeFormat = (byte)(control2 & 0x07),
            IdForm = (byte)((control2 >> 5) & 1),
            FormatControl3 = reader.U8("FORMAT_CONTROL_3"),
            DeviceClass = reader.U32("DEVICE_CLASS"),
            NameplateType = reader.U8("NAMEPLATE_TYPE"),
            DefaultSetUsed = reader.U8("DEFAULT_SET_USED"),
            MaxProcParmLength = reader.U8("MAX_PROC_PARM_LENGTH"),
            MaxRespDataLength = reader.U8("MAX_RESP_DATA_LEN"),
            StdVersion = reader.U8("STD_VERSION_NO"),
            StdRevision = reader.U8("STD_REVISION_NO"),
        };
        var stdTbl = reader.U8("DIM_STD_TBLS_USED");
        var mfgTbl = reader.U8("DIM_MFG_TBLS_USED");
        var stdProc = reader.U8("DIM_STD_PROC_USED");
        var mfgProc = reader.U8("DIM_MFG_PROC_USED");
        table = table with
        {
            SetDimensions = (stdTbl, mfgTbl, stdProc, mfgProc),
            MfgStatusBytes = reader.U8("DIM_MFG_STATUS_USED"),
            PendingTables = reader.U8("NBR_PENDING"),
        };
        return table with
        {
            StdTablesUsed = FromSet(reader.Bytes("STD_TBLS_USED", stdTbl)),
            MfgTablesUsed = FromSet(reader.Bytes("MFG_TBLS_USED", mfgTbl)),
            StdProceduresUsed = FromSet(reader.Bytes("STD_PROC_USED", stdProc)),
            MfgProceduresUsed = FromSet(reader.Bytes("MFG_PROC_USED", mfgProc)),
            StdTablesWritable = FromSet(reader.Bytes("STD_TBLS_WRITE", stdTbl)),
            MfgTablesWritable = FromSet(reader.Bytes("MFG_TBLS_WRITE", mfgTbl)),
        };
    }

    public bool Equals(GeneralConfigTable? other) =>
        other is not null && Encode().AsSpan().SequenceEqual(other.Encode());

    public override int GetHashCode() => Encode().Length;

    private static byte SetBytes(params IReadOnlySet<int>[] sets)
    {
        var max = sets.SelectMany(s => s).DefaultIfEmpty(-1).Max();
        if (max > 2047) throw new TableFormatException($"ST0: element {max} does not fit a set of table or procedure numbers");
        return (byte)Math.Min(255, max / 8 + 1);
    }

    private static byte[] ToSet(IReadOnlySet<int> members, int bytes)
    {
        var set = new byte[bytes];
        foreach (var n in members)
        {
            if (n < 0 || n >= bytes * 8) throw new TableFormatException($"ST0: element {n} does not fit a set of {bytes} bytes");
            set[n / 8] |= (byte)(1 << (n % 8));
        }
        return set;
    }

    private static SortedSet<int> FromSet(ReadOnlySpan<byte> set)
    {
        var members = new SortedSet<int>();
        for (var i = 0; i < set.Length * 8; i++)
            if ((set[i / 8] & (1 << (i % 8))) != 0) members.Add(i);
        return members;
    }
}
