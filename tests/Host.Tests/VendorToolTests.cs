using AmiSim.HeadEnd.Programs;
using AmiSim.Protocol.C1219;
using AmiSim.Protocol.Programs;
using System.Security.Cryptography;
using Xunit;

namespace AmiSim.Host.Tests;

/// <summary>The vendor program tool through the real command line: keys, build, inspect, and the head-end loading the result.</summary>
public sealed class VendorToolTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("amisim-tool-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string In(string name) => Path.Combine(_dir, name);

    private static Task<int> Amisim(params string[] args) => AmiSimApp.Create().RunAsync(args);

    [Fact]
    public async Task A_firmware_package_built_by_the_tool_loads_into_the_head_end()
    {
        await File.WriteAllBytesAsync(In("fw.bin"), RandomNumberGenerator.GetBytes(5000));
        Assert.Equal(0, await Amisim("keys", "new", "--out", In("vendor")));
        Assert.Equal(0, await Amisim("program", "build", "--key", In("vendor.key"), "--id", "FW-2026-01", "--version", "2.1",
            "--image", In("fw.bin"), "--block-size", "256", "--models", "AM-100,AM-200", "--out", In("fw.amipkg")));
        Assert.Equal(0, await Amisim("program", "inspect", In("fw.amipkg"), "--trust", In("vendor.pub")));

        using var key = ECDsa.Create();
        key.ImportFromPem(await File.ReadAllTextAsync(In("vendor.pub")));
        var package = new ProgramLibrary([key.ExportSubjectPublicKeyInfo()]).Load(await File.ReadAllTextAsync(In("fw.amipkg")), [new FirmwareVersion(1, 0)]);
        Assert.Equal(20, package.Manifest.BlockCount);
        Assert.Equal(["AM-100", "AM-200"], package.Manifest.TargetModels);
        Assert.Equal(await File.ReadAllBytesAsync(In("fw.bin")), package.Content.ToArray());
    }

    [Fact]
    public async Task A_configuration_package_carries_the_pending_metering_interval()
    {
        Assert.Equal(0, await Amisim("keys", "new", "--out", In("vendor")));
        Assert.Equal(0, await Amisim("program", "build", "--key", In("vendor.key"), "--id", "CFG-5MIN", "--version", "1.2", "--interval", "5", "--out", In("cfg.amipkg")));

        var (package, _) = PackageFile.Read(await File.ReadAllTextAsync(In("cfg.amipkg")));
        var write = Assert.Single(package.Manifest.ConfigurationWrites);
        Assert.Equal(Tables.LoadProfileControl.AsPending(), write.Table);
        Assert.Equal(5, LoadProfileControlTable.Decode(write.Data, DataOrder.BigEndian).IntervalMinutes);
    }

    [Fact]
    public async Task Inspect_rejects_a_package_from_an_untrusted_key_and_bad_arguments_fail()
    {
        await File.WriteAllBytesAsync(In("fw.bin"), new byte[100]);
        Assert.Equal(0, await Amisim("keys", "new", "--out", In("vendor")));
        Assert.Equal(0, await Amisim("keys", "new", "--out", In("other")));
        Assert.Equal(0, await Amisim("program", "build", "--key", In("vendor.key"), "--id", "FW", "--version", "2.0", "--image", In("fw.bin"), "--out", In("fw.amipkg")));

        Assert.Equal(1, await Amisim("program", "inspect", In("fw.amipkg"), "--trust", In("other.pub")));
        Assert.NotEqual(0, await Amisim("program", "build", "--key", In("vendor.key"), "--id", "FW", "--version", "2.0", "--out", In("x.amipkg")));
        Assert.NotEqual(0, await Amisim("program", "build", "--key", In("vendor.key"), "--id", "FW", "--version", "two", "--image", In("fw.bin"), "--out", In("x.amipkg")));
        Assert.NotEqual(0, await Amisim("keys", "new", "--out", In("vendor"))); // never overwrites a key
    }
}
