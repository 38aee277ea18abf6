using System.Diagnostics;
using Xunit;

namespace AmiSim.Host.Tests;

/// <summary>`amisim program flash`: the vendor tool programs a served meter through its optical port, over real loopback TCP.</summary>
[Collection("runs")]
public sealed class ProgramFlashTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("amisim-flash-").FullName;
    private readonly AmisimProcesses _processes = new();

    public void Dispose()
    {
        _processes.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private string In(string name) => Path.Combine(_dir, name);

    /// <summary>A vendor key pair and a signed firmware package of <paramref name="bytes"/> random bytes in blocks of 512.</summary>
    private async Task<string> Package(string key, string name, string version, int bytes)
    {
        if (!File.Exists(In(key + ".key"))) Assert.Equal(0, (await CommandLine.RunAsync("keys", "new", "--out", In(key))).Code);
        var image = new byte[bytes];
        new Random(bytes).NextBytes(image);
        await File.WriteAllBytesAsync(In(name + ".bin"), image);
        var (code, _, error) = await CommandLine.RunAsync("program", "build", "--key", In(key + ".key"), "--id", "FW-FIELD", "--version", version,
            "--image", In(name + ".bin"), "--block-size", "512", "--out", In(name + ".amipkg"));
        Assert.True(code == 0, error);
        return In(name + ".amipkg");
    }

    private static async Task<string> Firmware(int port)
    {
        var (code, output, error) = await CommandLine.RunAsync("meter", "read", "--meter", $"127.0.0.1:{port}", "--table", "ST1");
        Assert.True(code == 0, error);
        return output.Split('\n').Single(line => line.StartsWith("ST1 firmware: ", StringComparison.Ordinal))["ST1 firmware: ".Length..].Trim();
    }

    private static string[] Flash(int port, string package, string trust, params string[] more) =>
        ["program", "flash", "--meter", $"127.0.0.1:{port}", "--package", package, "--trust", trust, .. more];

    [Fact]
    public async Task Flash_upgrades_a_served_meter_and_a_second_flash_has_nothing_to_do()
    {
        var package = await Package("vendor", "fw", "2.0", 200_000);
        var (port, _) = await ServedMeter.StartAsync(_processes, "--trust", In("vendor.pub"), "--reboot", "1", "--firmware", "1.4");

        var (code, output, error) = await CommandLine.RunAsync(Flash(port, package, In("vendor.pub")));

        Assert.True(code == 0, error);
        Assert.Contains("done: the meter runs FW-FIELD 2.0 (was 1.4); 391 blocks sent, 0 resumed", output);
        Assert.Equal("2.0", await Firmware(port));
        (code, output, error) = await CommandLine.RunAsync(Flash(port, package, In("vendor.pub")));
        Assert.True(code == 0, error);
        Assert.Contains("nothing to do: the meter already runs 2.0", output);
    }

    [Fact]
    public async Task A_transfer_cut_midway_resumes_from_the_meters_bitmap()
    {
        var package = await Package("vendor", "big", "2.0", 1 << 20); // 2,048 blocks, a manifest longer than one full write
        var (port, _) = await ServedMeter.StartAsync(_processes, "--trust", In("vendor.pub"), "--reboot", "1");

        var cut = _processes.Start(Flash(port, package, In("vendor.pub")));
        string? line;
        do line = await cut.StandardOutput.ReadLineAsync(); while (line is not null && !line.StartsWith("sent ", StringComparison.Ordinal));
        Assert.NotNull(line);
        cut.Kill(entireProcessTree: true); // the probe falls off the meter
        await cut.WaitForExitAsync();

        var (code, output, error) = await CommandLine.RunAsync(Flash(port, package, In("vendor.pub")));

        Assert.True(code == 0, error);
        var resumed = System.Text.RegularExpressions.Regex.Match(output, @"resuming: ([\d,]+) of 2,048 blocks are on the meter already");
        Assert.True(resumed.Success, output);
        var held = int.Parse(resumed.Groups[1].Value, System.Globalization.NumberStyles.AllowThousands, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(held, 1, 2047);
        Assert.Contains($"{2048 - held:N0} blocks sent, {held:N0} resumed", output);
        Assert.Equal("2.0", await Firmware(port));
    }

    [Fact]
    public async Task A_package_the_meter_does_not_trust_is_refused_by_the_meter_and_the_old_program_stays()
    {
        await Package("vendor", "fw", "2.0", 20_000);
        var tampered = await Package("attacker", "evil", "3.0", 30_000); // re-signed by a key the tool is given but the meter does not hold
        var (port, _) = await ServedMeter.StartAsync(_processes, "--trust", In("vendor.pub"), "--reboot", "1");

        var (code, _, error) = await CommandLine.RunAsync(Flash(port, tampered, In("attacker.pub")));

        Assert.Equal(ExitCode.CampaignNotCompleted, code);
        Assert.Contains("the meter refused the image: verification failed (SignatureInvalid); it keeps firmware 1.0", error);
        Assert.Equal("1.0", await Firmware(port));
        var (mt100Code, mt100, _) = await CommandLine.RunAsync("meter", "read", "--meter", $"127.0.0.1:{port}", "--table", "MT100");
        Assert.Equal(0, mt100Code);
        Assert.Contains("MT100 status: VerificationFailed", mt100);
        Assert.Contains("MT100 last failure: SignatureInvalid", mt100);
    }

    [Fact]
    public async Task A_configuration_package_is_put_in_force_through_the_port()
    {
        Assert.Equal(0, (await CommandLine.RunAsync("keys", "new", "--out", In("vendor"))).Code);
        Assert.Equal(0, (await CommandLine.RunAsync("program", "build", "--key", In("vendor.key"), "--id", "CFG-5MIN", "--version", "1.2", "--interval", "5", "--out", In("cfg.amipkg"))).Code);
        var (port, _) = await ServedMeter.StartAsync(_processes, "--trust", In("vendor.pub"));
        var (_, before, _) = await CommandLine.RunAsync("meter", "read", "--meter", $"127.0.0.1:{port}", "--table", "ST61");

        var (code, output, error) = await CommandLine.RunAsync(Flash(port, In("cfg.amipkg"), In("vendor.pub")));

        Assert.True(code == 0, error);
        Assert.Contains("done: the meter runs CFG-5MIN", output);
        var (_, after, _) = await CommandLine.RunAsync("meter", "read", "--meter", $"127.0.0.1:{port}", "--table", "ST61");
        Assert.NotEqual(before, after);
    }

    [Theory]
    [InlineData("--package {fw}", "--meter is required")]
    [InlineData("--meter 127.0.0.1:{port}", "--package is required")]
    [InlineData("--meter 127.0.0.1:{port} --package {fw}", "--trust is required")]
    [InlineData("--meter 127.0.0.1:{port} --package {dir}/none.amipkg --trust {dir}/vendor.pub", "--package {dir}/none.amipkg: no such file")]
    [InlineData("--meter 127.0.0.1:{port} --package {fw} --trust {dir}/vendor.key", "a private key; give the public one")]
    [InlineData("--meter 127.0.0.1:{port} --package {fw} --trust {dir}/other.pub", "rejected: Untrusted")]
    [InlineData("--meter 127.0.0.1 --package {fw} --trust {dir}/vendor.pub", "expected HOST:PORT")]
    [InlineData("--meter 127.0.0.1:{port} --package {fw} --trust {dir}/vendor.pub --user ABCDEFGHIJK", "--user 'ABCDEFGHIJK': expected 1 to 10")]
    public async Task Bad_arguments_are_one_clear_error_and_the_meter_is_not_touched(string arguments, string message)
    {
        var fw = await Package("vendor", "fw", "2.0", 10_000);
        Assert.Equal(0, (await CommandLine.RunAsync("keys", "new", "--out", In("other"))).Code);
        var (port, served) = await ServedMeter.StartAsync(_processes, "--trust", In("vendor.pub"));
        string Fill(string text) => text.Replace("{fw}", fw, StringComparison.Ordinal).Replace("{dir}", _dir, StringComparison.Ordinal).Replace("{port}", port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);

        var (code, _, error) = await CommandLine.RunAsync(["program", "flash", .. Fill(arguments).Split(' ')]);

        Assert.Equal(ExitCode.BadInput, code);
        Assert.Contains(Fill(message), error);
        Assert.Equal("1.0", await Firmware(port));
        Assert.False(served.HasExited);
    }

    [Fact]
    public async Task A_wrong_password_is_refused_by_the_meter_before_anything_is_written()
    {
        var fw = await Package("vendor", "fw", "2.0", 10_000);
        var (port, _) = await ServedMeter.StartAsync(_processes, "--trust", In("vendor.pub"));
        await File.WriteAllTextAsync(In("password"), "not-the-password\n");

        var (code, _, error) = await CommandLine.RunAsync(Flash(port, fw, In("vendor.pub"), "--password-file", In("password")));

        Assert.Equal(ExitCode.CampaignNotCompleted, code);
        Assert.Contains("the meter refused the password (InsufficientSecurityClearance)", error);
        var (_, mt100, _) = await CommandLine.RunAsync("meter", "read", "--meter", $"127.0.0.1:{port}", "--table", "MT100");
        Assert.Contains("MT100 status: NotInitiated", mt100);
    }
}
