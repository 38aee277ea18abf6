namespace AmiSim.Protocol.C1219;

/// <summary>
/// ST1 GENERAL_MFG_ID_TBL, 32 bytes: MANUFACTURER char(4) @0, ED_MODEL char(8) @4,
/// HW_VERSION_NUMBER @12, HW_REVISION_NUMBER @13, FW_VERSION_NUMBER @14, FW_REVISION_NUMBER @15,
/// MFG_SERIAL_NUMBER char(16) @16. The firmware version the head-end and the MDM report is
/// FW_VERSION_NUMBER.FW_REVISION_NUMBER read from here.
/// </summary>
public sealed record GeneralManufacturerIdTable(
    string Manufacturer,
    string Model,
    byte HwVersion,
    byte HwRevision,
    byte FwVersion,
    byte FwRevision,
    string SerialNumber)
{
    public const int Size = 32;
    public const int FwVersionOffset = 14;
    public const int FwRevisionOffset = 15;

    public FirmwareVersion Firmware => new(FwVersion, FwRevision);

    public byte[] Encode() => new TableWriter(DataOrder.BigEndian, Size)
        .Chars("ST1 MANUFACTURER", Manufacturer, 4)
        .Chars("ST1 ED_MODEL", Model, 8)
        .U8(HwVersion).U8(HwRevision).U8(FwVersion).U8(FwRevision)
        .Chars("ST1 MFG_SERIAL_NUMBER", SerialNumber, 16)
        .ToArray();

    public static GeneralManufacturerIdTable Decode(ReadOnlySpan<byte> data)
    {
        if (data.Length != Size) throw new TableFormatException($"ST1: {data.Length} bytes, expected {Size}");
        var reader = new TableReader(data, DataOrder.BigEndian, "ST1");
        return new GeneralManufacturerIdTable(
            reader.Chars("MANUFACTURER", 4),
            reader.Chars("ED_MODEL", 8),
            reader.U8("HW_VERSION_NUMBER"),
            reader.U8("HW_REVISION_NUMBER"),
            reader.U8("FW_VERSION_NUMBER"),
            reader.U8("FW_REVISION_NUMBER"),
            reader.Chars("MFG_SERIAL_NUMBER", 16));
    }
}

/// <summary>A firmware version as ST1 holds it: FW_VERSION_NUMBER.FW_REVISION_NUMBER.</summary>
public readonly record struct FirmwareVersion(byte Version, byte Revision) : IComparable<FirmwareVersion>
{
    public int CompareTo(FirmwareVersion other) => (Version * 256 + Revision).CompareTo(other.Version * 256 + other.Revision);

    public static bool operator <(FirmwareVersion a, FirmwareVersion b) => a.CompareTo(b) < 0;

    public static bool operator >(FirmwareVersion a, FirmwareVersion b) => a.CompareTo(b) > 0;

    public static bool operator <=(FirmwareVersion a, FirmwareVersion b) => a.CompareTo(b) <= 0;

    public static bool operator >=(FirmwareVersion a, FirmwareVersion b) => a.CompareTo(b) >= 0;

    /// <summary>Parses "major.minor", each 0-255.</summary>
    public static FirmwareVersion Parse(string text)
    {
        var parts = text.Split('.');
        if (parts.Length != 2 || !byte.TryParse(parts[0], out var version) || !byte.TryParse(parts[1], out var revision))
            throw new FormatException($"'{text}' is not a firmware version major.minor with each part 0-255");
        return new FirmwareVersion(version, revision);
    }

    public override string ToString() => $"{Version}.{Revision}";
}
