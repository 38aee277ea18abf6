using AmiSim.HeadEnd.Programs;
using AmiSim.Protocol.C1219;
using AmiSim.Protocol.Programs;
using System.Security.Cryptography;
using Xunit;

namespace AmiSim.Host.Tests;

/// <summary>The vendor program tool through the real command line: keys, build, inspect, and the head-end loading the result.</summary>
[Collection("runs")] // CommandOutput swaps the process's console
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

        Assert.Equal(2, await Amisim("program", "inspect", In("fw.amipkg"), "--trust", In("other.pub"))); // a rejected package is bad input
        Assert.NotEqual(0, await Amisim("program", "build", "--key", In("vendor.key"), "--id", "FW", "--version", "2.0", "--out", In("x.amipkg")));
        Assert.NotEqual(0, await Amisim("program", "build", "--key", In("vendor.key"), "--id", "FW", "--version", "two", "--image", In("fw.bin"), "--out", In("x.amipkg")));
        Assert.NotEqual(0, await Amisim("keys", "new", "--out", In("vendor"))); // never overwrites a key
    }

    /// <summary>A key pair and a small firmware package signed with it, in the test's folder.</summary>
    private async Task BuildPackage()
    {
        await File.WriteAllBytesAsync(In("fw.bin"), new byte[1000]);
        Assert.Equal(0, await Amisim("keys", "new", "--out", In("vendor")));
        Assert.Equal(0, await Amisim("program", "build", "--key", In("vendor.key"), "--id", "FW", "--version", "2.0", "--image", In("fw.bin"), "--out", In("fw.amipkg")));
    }

    private static void AssertOneErrorLine(CommandOutput run, params string[] contains)
    {
        Assert.Equal(2, run.Code);
        var line = Assert.Single(run.ErrorLines);
        Assert.StartsWith("error: ", line);
        foreach (var part in contains) Assert.Contains(part, line);
        Assert.DoesNotContain("   at ", run.Error); // no stack trace
    }

    [Fact]
    public async Task Keys_new_creates_the_private_key_readable_by_its_owner_only()
    {
        if (OperatingSystem.IsWindows()) return; // Unix file modes only
        Assert.Equal(0, await Amisim("keys", "new", "--out", In("vendor")));

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(In("vendor.key")));
        Assert.False(File.GetUnixFileMode(In("vendor.pub")).HasFlag(UnixFileMode.OtherWrite));
    }

    [Fact]
    public async Task Keys_new_never_overwrites_an_existing_public_key()
    {
        await File.WriteAllTextAsync(In("vendor.pub"), "the head-end's copy");

        var run = await CommandOutput.Run("keys", "new", "--out", In("vendor"));

        AssertOneErrorLine(run, In("vendor.pub"), "exists");
        Assert.Equal("the head-end's copy", await File.ReadAllTextAsync(In("vendor.pub")));
        Assert.False(File.Exists(In("vendor.key")));
    }

    [Fact]
    public async Task Inspect_refuses_a_trust_file_that_is_not_a_P256_key_before_printing_anything()
    {
        await BuildPackage();
        await File.WriteAllBytesAsync(In("junk.pub"), RandomNumberGenerator.GetBytes(300));
        using (var rsa = RSA.Create(2048)) await File.WriteAllTextAsync(In("rsa.pub"), rsa.ExportSubjectPublicKeyInfoPem());

        foreach (var (trust, problem) in new[] { (In("none.pub"), "no such file"), (In("junk.pub"), "not an ECDSA P-256 key"), (In("rsa.pub"), "not an ECDSA P-256 key"), ("/dev/null", "empty"), (_dir, "folder") })
        {
            var run = await CommandOutput.Run("program", "inspect", In("fw.amipkg"), "--trust", trust);
            AssertOneErrorLine(run, "--trust", trust, problem);
            Assert.Equal("", run.Out);
        }
    }

    [Fact]
    public async Task Inspect_refuses_a_missing_package_a_folder_or_one_over_the_size_cap_with_one_error_line()
    {
        using (var file = File.Create(In("huge.amipkg"))) file.SetLength(PackageFile.MaxBytes + 1);

        AssertOneErrorLine(await CommandOutput.Run("program", "inspect", In("none.amipkg")), In("none.amipkg"), "no such file");
        AssertOneErrorLine(await CommandOutput.Run("program", "inspect", _dir), _dir, "folder");
        AssertOneErrorLine(await CommandOutput.Run("program", "inspect", In("huge.amipkg")), In("huge.amipkg"), $"{PackageFile.MaxBytes:N0} bytes");
    }

    [Fact]
    public async Task Inspect_of_a_malformed_or_untrusted_package_is_bad_input_with_the_reason()
    {
        await BuildPackage();
        Assert.Equal(0, await Amisim("keys", "new", "--out", In("other")));
        var document = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(In("fw.amipkg")))!;
        var manifest = Convert.FromBase64String(document["manifest"]!.GetValue<string>());
        manifest[17] = manifest[18] = manifest[19] = manifest[20] = 0xff; // the program id's length
        document["manifest"] = Convert.ToBase64String(manifest);
        await File.WriteAllTextAsync(In("bad.amipkg"), document.ToJsonString());

        AssertOneErrorLine(await CommandOutput.Run("program", "inspect", In("bad.amipkg")), In("bad.amipkg"), "Malformed", "program id length 4294967295 exceeds");
        AssertOneErrorLine(await CommandOutput.Run("program", "inspect", In("fw.amipkg"), "--trust", In("other.pub")), In("fw.amipkg"), "Untrusted");
    }

    [Fact]
    public async Task Build_refuses_bad_input_with_one_error_line_on_standard_error()
    {
        await File.WriteAllBytesAsync(In("fw.bin"), new byte[100]);
        Assert.Equal(0, await Amisim("keys", "new", "--out", In("vendor")));
        using (var file = File.Create(In("huge.bin"))) file.SetLength(ProgramManifest.MaxImageBytes + 1L);
        string[] Build(params string[] more) => ["program", "build", "--id", "FW", "--version", "2.0", "--out", In("x.amipkg"), .. more];

        AssertOneErrorLine(await CommandOutput.Run(Build("--key", In("vendor.key"), "--image", In("huge.bin"))), "--image", In("huge.bin"), "64 MiB");
        AssertOneErrorLine(await CommandOutput.Run(Build("--key", In("vendor.key"), "--image", In("none.bin"))), "--image", In("none.bin"), "no such file");
        AssertOneErrorLine(await CommandOutput.Run(Build("--key", In("vendor.pub"), "--image", In("fw.bin"))), "--key", In("vendor.pub"), "not a private one");
        AssertOneErrorLine(await CommandOutput.Run(Build("--key", In("none.key"), "--image", In("fw.bin"))), "--key", In("none.key"), "no such file");
        AssertOneErrorLine(await CommandOutput.Run(Build("--key", In("vendor.key"))), "either --image");
        Assert.False(File.Exists(In("x.amipkg")));
    }
}
