namespace AmiSim.Protocol.C1219;

/// <summary>
/// An ANSI C12.19 table id: the table number in bits 0-10, bit 11 set for a manufacturer table
/// (MT n = 2048 + n), bit 12 set for the pending version of a table (a write that takes effect when
/// activated). Procedure numbers use the same layout (<see cref="ProcedureId"/>).
/// </summary>
public readonly record struct TableId(ushort Raw)
{
    public const ushort ManufacturerFlag = 0x0800;
    public const ushort PendingFlag = 0x1000;
    private const ushort NumberMask = 0x07FF;

    /// <summary>Standard table ST<paramref name="number"/>.</summary>
    public static TableId Standard(int number) => new(CheckNumber(number));

    /// <summary>Manufacturer table MT<paramref name="number"/>.</summary>
    public static TableId Manufacturer(int number) => new((ushort)(CheckNumber(number) | ManufacturerFlag));

    public int Number => Raw & NumberMask;

    public bool IsManufacturer => (Raw & ManufacturerFlag) != 0;

    public bool IsPending => (Raw & PendingFlag) != 0;

    /// <summary>The pending version of this table: written now, in force when activated (SP 12/13).</summary>
    public TableId AsPending() => new((ushort)(Raw | PendingFlag));

    /// <summary>The table a pending write will become.</summary>
    public TableId WithoutPending() => new((ushort)(Raw & ~PendingFlag));

    public override string ToString() => (IsPending ? "pending " : "") + (IsManufacturer ? "MT" : "ST") + Number;

    private static ushort CheckNumber(int number) =>
        number is >= 0 and <= NumberMask ? (ushort)number : throw new ArgumentOutOfRangeException(nameof(number), number, "a table number has 11 bits (0-2047)");
}

/// <summary>The standard tables AmiSim's boards hold.</summary>
public static class Tables
{
    public static readonly TableId GeneralConfig = TableId.Standard(0);
    public static readonly TableId GeneralManufacturerId = TableId.Standard(1);
    public static readonly TableId EndDeviceModeStatus = TableId.Standard(3);
    public static readonly TableId DeviceIdent = TableId.Standard(5);
    public static readonly TableId ProcedureInitiate = TableId.Standard(7);
    public static readonly TableId ProcedureResponse = TableId.Standard(8);
    public static readonly TableId TouSchedule = TableId.Standard(54);
    public static readonly TableId LoadProfileControl = TableId.Standard(61);

    /// <summary>AmiSim's image-transfer control and status table (docs/IMAGE-TRANSFER-TABLES.md).</summary>
    public static readonly TableId ImageTransferControl = TableId.Manufacturer(100);

    /// <summary>AmiSim's transferred-blocks bitmap table.</summary>
    public static readonly TableId ImageTransferBitmap = TableId.Manufacturer(101);

    /// <summary>AmiSim's image data table, written block by block with partial writes at block x block size.</summary>
    public static readonly TableId ImageTransferData = TableId.Manufacturer(102);

    /// <summary>AmiSim's signed-manifest table, written before a transfer is initiated.</summary>
    public static readonly TableId ImageManifest = TableId.Manufacturer(103);
}
