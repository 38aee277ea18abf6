using System.Numerics;

namespace AmiSim.Protocol.C1219;

/// <summary>The PSEM table-data checksum: the two's complement of the byte sum, so that data plus checksum sums to zero.</summary>
public static class TableChecksum
{
    public static byte Of(ReadOnlySpan<byte> data)
    {
        // Lane-wise byte additions wrap modulo 256 exactly as the scalar sum does, so the lanes' sum is
        // the byte sum; a 512-byte block is 16 vector additions instead of 512 scalar ones (the NIC and
        // the board checksum every block of every transfer).
        var lanes = Vector<byte>.Zero;
        var i = 0;
        for (; i <= data.Length - Vector<byte>.Count; i += Vector<byte>.Count) lanes += new Vector<byte>(data[i..]);
        var sum = Vector.Sum(lanes);
        for (; i < data.Length; i++) sum += data[i];
        return (byte)(~sum + 1);
    }

    public static bool Matches(ReadOnlySpan<byte> data, byte checksum) => Of(data) == checksum;
}
