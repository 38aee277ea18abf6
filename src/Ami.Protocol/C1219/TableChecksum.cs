namespace AmiSim.Protocol.C1219;

/// <summary>The PSEM table-data checksum: the two's complement of the byte sum, so that data plus checksum sums to zero.</summary>
public static class TableChecksum
{
    public static byte Of(ReadOnlySpan<byte> data)
    {
        byte sum = 0;
        foreach (var b in data) sum += b;
        return (byte)(~sum + 1);
    }

    public static bool Matches(ReadOnlySpan<byte> data, byte checksum) => Of(data) == checksum;
}
