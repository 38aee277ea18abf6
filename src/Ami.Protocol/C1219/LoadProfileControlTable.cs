namespace AmiSim.Protocol.C1219;

/// <summary>
/// ST61 ACT_LP_TBL, the load-profile control fields of data set 1 that hold the metering interval:
/// LP_MEMORY_LEN u32, LP_FLAGS u16, LP_FMATS u8, NBR_BLKS_SET1 u16, NBR_BLK_INTS_SET1 u16,
/// NBR_CHNS_SET1 u8, MAX_INT_TIME_SET1 u8 (the interval length in minutes). Sets 2-4 are not used.
/// </summary>
public sealed record LoadProfileControlTable(
    uint MemoryLength,
    ushort Flags,
    byte Formats,
    ushort Blocks,
    ushort IntervalsPerBlock,
    byte Channels,
    byte IntervalMinutes)
{
    public const int Size = 13;

    /// <summary>A 15-minute, 4-channel profile: the usual factory setting.</summary>
    public static LoadProfileControlTable Default => new(65_536, 0x0001, 0x01, 40, 96, 4, 15);

    public TimeSpan Interval => TimeSpan.FromMinutes(IntervalMinutes);

    public byte[] Encode(DataOrder order) => new TableWriter(order, Size)
        .U32(MemoryLength).U16(Flags).U8(Formats).U16(Blocks).U16(IntervalsPerBlock).U8(Channels).U8(IntervalMinutes)
        .ToArray();

    public static LoadProfileControlTable Decode(ReadOnlySpan<byte> data, DataOrder order)
    {
        if (data.Length != Size) throw new TableFormatException($"ST61: {data.Length} bytes, expected {Size}");
        var reader = new TableReader(data, order, "ST61");
        var table = new LoadProfileControlTable(
            reader.U32("LP_MEMORY_LEN"), reader.U16("LP_FLAGS"), reader.U8("LP_FMATS"),
            reader.U16("NBR_BLKS_SET1"), reader.U16("NBR_BLK_INTS_SET1"), reader.U8("NBR_CHNS_SET1"), reader.U8("MAX_INT_TIME_SET1"));
        if (table.IntervalMinutes == 0 || 60 % table.IntervalMinutes != 0)
            throw new TableFormatException($"ST61: MAX_INT_TIME_SET1 {table.IntervalMinutes} min does not divide an hour");
        return table;
    }
}

/// <summary>One switch point of a day's time-of-use schedule: from this minute of the day, this tier and its price.</summary>
/// <param name="PricePerKwh">price in thousandths of the currency unit per kWh.</param>
public sealed record TouSwitchPoint(ushort StartMinute, byte Tier, uint PricePerKwh);

/// <summary>
/// AmiSim's small TOU/pricing schedule, in the place of ST54 CALENDAR_TBL: NBR_SWITCHES u8, then per
/// switch point START_MINUTE u16 (0-1439, ascending, the first one 0), TIER u8, PRICE u32 (thousandths
/// per kWh). C12.19 keeps prices outside the calendar; AmiSim keeps them together so that one
/// configuration program changes the whole tariff.
/// </summary>
public sealed record TouScheduleTable(IReadOnlyList<TouSwitchPoint> SwitchPoints)
{
    public const int MaxSwitchPoints = 12;

    public static TouScheduleTable Flat(uint pricePerKwh) => new([new TouSwitchPoint(0, 1, pricePerKwh)]);

    public byte[] Encode(DataOrder order)
    {
        Validate(SwitchPoints);
        var writer = new TableWriter(order).U8((byte)SwitchPoints.Count);
        foreach (var point in SwitchPoints) writer.U16(point.StartMinute).U8(point.Tier).U32(point.PricePerKwh);
        return writer.ToArray();
    }

    public static TouScheduleTable Decode(ReadOnlySpan<byte> data, DataOrder order)
    {
        var reader = new TableReader(data, order, "ST54");
        var count = reader.U8("NBR_SWITCHES");
        var points = new List<TouSwitchPoint>(count);
        for (var i = 0; i < count; i++)
            points.Add(new TouSwitchPoint(reader.U16($"START_MINUTE[{i}]"), reader.U8($"TIER[{i}]"), reader.U32($"PRICE[{i}]")));
        if (reader.Remaining != 0) throw new TableFormatException($"ST54: {reader.Remaining} byte(s) after {count} switch points");
        Validate(points);
        return new TouScheduleTable(points);
    }

    public bool Equals(TouScheduleTable? other) => other is not null && SwitchPoints.SequenceEqual(other.SwitchPoints);

    public override int GetHashCode() => SwitchPoints.Count;

    private static void Validate(IReadOnlyList<TouSwitchPoint> points)
    {
        if (points.Count is 0 or > MaxSwitchPoints) throw new TableFormatException($"ST54: {points.Count} switch points, expected 1-{MaxSwitchPoints}");
        if (points[0].StartMinute != 0) throw new TableFormatException("ST54: the first switch point must start at minute 0");
        for (var i = 1; i < points.Count; i++)
            if (points[i].StartMinute <= points[i - 1].StartMinute || points[i].StartMinute >= 1440)
                throw new TableFormatException($"ST54: START_MINUTE[{i}] = {points[i].StartMinute} must be after {points[i - 1].StartMinute} and before 1440");
    }
}
