namespace AmiSim.Protocol.C1219;

/// <summary>ST3 ED_MODE bits.</summary>
[Flags]
public enum EndDeviceMode : byte
{
    None = 0,
    Metering = 1 << 0,
    TestMode = 1 << 1,
    MeterShopMode = 1 << 2,
    Factory = 1 << 3,
}

/// <summary>ST3 ED_STD_STATUS1 bits.</summary>
[Flags]
public enum StandardStatus1 : ushort
{
    None = 0,
    Unprogrammed = 1 << 0,
    ConfigurationError = 1 << 1,
    SelfCheckError = 1 << 2,
    RamFailure = 1 << 3,
    RomFailure = 1 << 4,
    NonvolatileMemoryFailure = 1 << 5,
    ClockError = 1 << 6,
    PowerFailure = 1 << 11,
    TamperDetect = 1 << 12,
}

/// <summary>ST3 ED_MODE_STATUS_TBL: ED_MODE u8, ED_STD_STATUS1 u16, ED_STD_STATUS2 u8, ED_MFG_STATUS (DIM_MFG_STATUS_USED bytes).</summary>
public sealed record EndDeviceModeStatusTable(EndDeviceMode Mode, StandardStatus1 Status1, byte Status2, byte[] ManufacturerStatus)
{
    public byte[] Encode(DataOrder order) =>
        new TableWriter(order).U8((byte)Mode).U16((ushort)Status1).U8(Status2).Bytes(ManufacturerStatus).ToArray();

    public static EndDeviceModeStatusTable Decode(ReadOnlySpan<byte> data, DataOrder order, int manufacturerStatusBytes)
    {
        var reader = new TableReader(data, order, "ST3");
        var table = new EndDeviceModeStatusTable(
            (EndDeviceMode)reader.U8("ED_MODE"),
            (StandardStatus1)reader.U16("ED_STD_STATUS1"),
            reader.U8("ED_STD_STATUS2"),
            reader.Bytes("ED_MFG_STATUS", manufacturerStatusBytes).ToArray());
        if (reader.Remaining != 0) throw new TableFormatException($"ST3: {reader.Remaining} byte(s) after ED_MFG_STATUS");
        return table;
    }

    public bool Equals(EndDeviceModeStatusTable? other) =>
        other is not null && Mode == other.Mode && Status1 == other.Status1 && Status2 == other.Status2 && ManufacturerStatus.AsSpan().SequenceEqual(other.ManufacturerStatus);

    public override int GetHashCode() => HashCode.Combine(Mode, Status1, Status2, ManufacturerStatus.Length);
}

/// <summary>ST5 DEVICE_IDENT_TBL: IDENTIFICATION char(20).</summary>
public sealed record DeviceIdentTable(string Identification)
{
    public const int Size = 20;

    public byte[] Encode() => new TableWriter(DataOrder.BigEndian, Size).Chars("ST5 IDENTIFICATION", Identification, Size).ToArray();

    public static DeviceIdentTable Decode(ReadOnlySpan<byte> data)
    {
        if (data.Length != Size) throw new TableFormatException($"ST5: {data.Length} bytes, expected {Size}");
        return new DeviceIdentTable(new TableReader(data, DataOrder.BigEndian, "ST5").Chars("IDENTIFICATION", Size));
    }
}
