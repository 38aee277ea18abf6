using System.Net.Sockets;
using AmiSim.Protocol.C1218;
using Xunit;

namespace AmiSim.Host.Tests;

/// <summary>`amisim meter serve` and `amisim meter read`: a meter's C12.18 optical port over real loopback TCP.</summary>
[Collection("runs")]
public sealed class MeterServeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("amisim-meter-").FullName;
    private readonly AmisimProcesses _processes = new();

    public void Dispose()
    {
        _processes.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private Task<(int Port, System.Diagnostics.Process Served)> Serve(params string[] arguments) => ServedMeter.StartAsync(_processes, arguments);

    [Fact]
    public async Task A_served_meter_answers_table_reads_and_survives_junk_and_a_second_probe()
    {
        var (port, served) = await Serve("--meter", "42", "--model", "AM-200", "--firmware", "2.3");
        var errors = new System.Text.StringBuilder();
        served.ErrorDataReceived += (_, line) => { lock (errors) errors.AppendLine(line.Data); };
        served.BeginErrorReadLine();

        var (code, output, error) = await CommandLine.RunAsync(["meter", "read", "--meter", $"127.0.0.1:{port}", "--table", "ST1"]);
        Assert.True(code == ExitCode.Completed, error);
        Assert.Contains("ST1 model: AM-200", output);
        Assert.Contains("ST1 firmware: 2.3", output);
        Assert.Contains("ST1 serial: 0000000000000042", output);

        // A damaged packet is NAKed; a probe connected meanwhile is turned away; the meter still answers after.
        using (var probe = new TcpClient())
        {
            await probe.ConnectAsync("127.0.0.1", port);
            var stream = probe.GetStream();
            var packet = new C1218Packet(0, C1218Control.None, 0, new byte[] { 0x20 }).Encode();
            packet[^1] ^= 0x55;
            await stream.WriteAsync(packet);
            var answer = new byte[16];
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            Assert.Equal(1, await stream.ReadAsync(answer, timeout.Token));
            Assert.Equal(C1218Packet.Nak, answer[0]);
            var (busy, _, busyError) = await CommandLine.RunAsync(["meter", "read", "--meter", $"127.0.0.1:{port}"]);
            Assert.Equal(ExitCode.RunFailed, busy);
            Assert.Contains("closed the connection", busyError);
        }
        (code, output, error) = await CommandLine.RunAsync(["meter", "read", "--meter", $"127.0.0.1:{port}", "--table", "MT100"]);
        Assert.True(code == ExitCode.Completed, error);
        Assert.Contains("MT100 status: NotInitiated", output);
        Assert.False(served.HasExited);
        string Logged() { lock (errors) return errors.ToString(); }
        Assert.Contains("refused a packet: CRC", Logged());
        Assert.Contains("another probe is connected", Logged());
    }

    [Theory]
    [InlineData("meter read", "--meter is required")]
    [InlineData("meter read --meter 127.0.0.1", "expected HOST:PORT")]
    [InlineData("meter read --meter 127.0.0.1:1 --table ST9", "--table ST9: expected one of")]
    [InlineData("meter serve --firmware 2", "--firmware: '2' is not a firmware version")]
    [InlineData("meter serve --model ABCDEFGHIJ", "--model 'ABCDEFGHIJ': expected 1 to 8")]
    [InlineData("meter serve --password-file {dir}/none", "--password-file {dir}/none: no such file")]
    [InlineData("meter serve --trust {dir}/none.pub", "none.pub")]
    [InlineData("meter serve --listen example.org", "--listen example.org --port 0")]
    public async Task Bad_arguments_are_one_clear_error(string arguments, string message)
    {
        var (code, _, error) = await CommandLine.RunAsync(arguments.Replace("{dir}", _dir, StringComparison.Ordinal).Split(' '));

        Assert.Equal(ExitCode.BadInput, code);
        Assert.Contains(message.Replace("{dir}", _dir, StringComparison.Ordinal), error);
    }

    [Fact]
    public async Task Reading_a_port_nothing_listens_on_is_bad_input()
    {
        var free = HeadEnd.Tests.LoopbackPort.Free();
        var (code, _, error) = await CommandLine.RunAsync(["meter", "read", "--meter", $"127.0.0.1:{free}"]);

        Assert.Equal(ExitCode.BadInput, code);
        Assert.Contains("cannot connect", error);
    }
}
