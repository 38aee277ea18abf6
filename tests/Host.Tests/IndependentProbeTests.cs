using System.Net.Sockets;
using System.Text;
using Xunit;

namespace AmiSim.Host.Tests;

/// <summary>
/// A served meter read by a probe written only from ANSI C12.18's packet description, sharing no code
/// with AmiSim's codec: packets of STP 0xEE, identity, control (bit 5 toggle, bit 6 first of many, bit 7
/// part of many), sequence (packets still to come), length (big-endian), data, and a CRC-16 of
/// polynomial x^16 + x^12 + x^5 + 1 over the bytes sent least significant bit first, register preset
/// to all ones, complemented, low byte first; every packet answered ACK 0x06.
/// </summary>
[Collection("runs")]
public sealed class IndependentProbeTests : IDisposable
{
    private readonly AmisimProcesses _processes = new();

    public void Dispose() => _processes.Dispose();

    /// <summary>The CRC as the polynomial says, computed most significant bit first on bit-reversed bytes.</summary>
    private static ushort Crc(ReadOnlySpan<byte> bytes)
    {
        uint register = 0xFFFF;
        foreach (var b in bytes)
        {
            register ^= (uint)Reverse(b, 8) << 8;
            for (var bit = 0; bit < 8; bit++) register = (register & 0x8000) != 0 ? ((register << 1) ^ 0x1021) & 0xFFFF : (register << 1) & 0xFFFF;
        }
        return (ushort)(Reverse(register, 16) ^ 0xFFFF);
    }

    private static uint Reverse(uint value, int bits)
    {
        uint reversed = 0;
        for (var i = 0; i < bits; i++) reversed |= ((value >> i) & 1) << (bits - 1 - i);
        return reversed;
    }

    private sealed class Probe(NetworkStream stream)
    {
        private bool _toggle;

        public async Task<byte[]> AskAsync(params byte[] request)
        {
            var packet = new List<byte> { 0xEE, 0x00, (byte)(_toggle ? 0x20 : 0x00), 0x00, (byte)(request.Length >> 8), (byte)(request.Length & 0xFF) };
            packet.AddRange(request);
            var crc = Crc([.. packet]);
            packet.Add((byte)(crc & 0xFF));
            packet.Add((byte)(crc >> 8));
            _toggle = !_toggle;
            await stream.WriteAsync(packet.ToArray());
            Assert.Equal(0x06, await ByteAsync());
            var answer = new List<byte>();
            while (true)
            {
                Assert.Equal(0xEE, await ByteAsync());
                var header = await BytesAsync(5);
                var length = header[3] << 8 | header[4];
                var rest = await BytesAsync(length + 2);
                var received = new byte[] { 0xEE }.Concat(header).Concat(rest[..length]).ToArray();
                Assert.Equal(Crc(received), (ushort)(rest[length] | rest[length + 1] << 8));
                await stream.WriteAsync(new byte[] { 0x06 });
                if ((header[1] & 0x40) != 0) answer.Clear(); // first of many
                answer.AddRange(rest[..length]);
                if ((header[1] & 0x80) == 0 || header[2] == 0) return [.. answer];
            }
        }

        /// <summary>A full read of standard table <paramref name="table"/>: the table's bytes, after the answer's code, count and checksum are checked.</summary>
        public async Task<byte[]> ReadTableAsync(int table)
        {
            var answer = await AskAsync(0x30, 0x00, (byte)table);
            Assert.Equal(0x00, answer[0]);
            var count = answer[1] << 8 | answer[2];
            Assert.Equal(answer.Length, 3 + count + 1);
            var data = answer[3..(3 + count)];
            Assert.Equal(0, (data.Sum(b => b) + answer[^1]) & 0xFF); // the two's complement checksum
            return data;
        }

        private async Task<byte> ByteAsync() => (await BytesAsync(1))[0];

        private async Task<byte[]> BytesAsync(int count)
        {
            var buffer = new byte[count];
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await stream.ReadExactlyAsync(buffer, timeout.Token);
            return buffer;
        }
    }

    [Fact]
    public void The_CRC_gives_the_CRC_16_X_25_check_value() => Assert.Equal(0x906E, Crc("123456789"u8));

    [Fact]
    public async Task A_probe_from_the_standard_reads_ST0_and_ST1()
    {
        var (port, _) = await ServedMeter.StartAsync(_processes, "--meter", "77", "--model", "AM-200", "--firmware", "2.3");
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", port);
        var probe = new Probe(tcp.GetStream());

        var ident = await probe.AskAsync(0x20);
        Assert.Equal(new byte[] { 0x00, 0x00, 0x01 }, ident[..3]); // ok, C12.18, version 1
        Assert.Equal(new byte[] { 0x00 }, await probe.AskAsync([0x50, 0x00, 0x02, .. "PROBE     "u8]));
        var st0 = await probe.ReadTableAsync(0);
        var st1 = await probe.ReadTableAsync(1);
        Assert.Equal(new byte[] { 0x00 }, await probe.AskAsync(0x52));
        Assert.Equal(new byte[] { 0x00 }, await probe.AskAsync(0x21));

        Assert.Equal(1, st0[0] & 0x01); // FORMAT_CONTROL_1 DATA_ORDER: 1, big-endian
        Assert.Equal("EAMS", Encoding.ASCII.GetString(st0, 3, 4)); // DEVICE_CLASS
        var (stdTables, mfgTables) = (st0[13], st0[14]); // DIM_STD_TBLS_USED, DIM_MFG_TBLS_USED
        Assert.Equal(19 + stdTables + mfgTables + st0[15] + st0[16] + stdTables + mfgTables, st0.Length); // the used sets, then the write-access sets
        Assert.True((st0[19] & 0x03) == 0x03, "ST0 and ST1 are among the tables used");
        Assert.Equal("AMIS", Encoding.ASCII.GetString(st1, 0, 4));
        Assert.Equal("AM-200  ", Encoding.ASCII.GetString(st1, 4, 8));
        Assert.Equal((byte)2, st1[14]); // FW_VERSION_NUMBER
        Assert.Equal((byte)3, st1[15]); // FW_REVISION_NUMBER
        Assert.Equal("0000000000000077", Encoding.ASCII.GetString(st1, 16, 16));
    }
}
