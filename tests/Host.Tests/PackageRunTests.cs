using System.Text.Json.Nodes;
using Xunit;

namespace AmiSim.Host.Tests;

/// <summary>
/// A package of the user's, built by the vendor tool from their own image, rolled out by `amisim run
/// --package --trust` (issue 25, part 1); and every package the head-end refuses stops the run before
/// anything is written.
/// </summary>
[Collection("runs")]
public sealed class PackageRunTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("amisim-package-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string In(string name) => Path.Combine(_dir, name);

    /// <summary>A vendor key pair NAME.key / NAME.pub, by `amisim keys new`.</summary>
    private async Task<string> Vendor(string name)
    {
        var (code, _, error) = await CommandLine.RunAsync("keys", "new", "--out", In(name));
        Assert.True(code == 0, error);
        return In(name);
    }

    /// <summary>A firmware package from an image file of <paramref name="bytes"/> bytes, by `amisim program build`.</summary>
    private async Task<string> Firmware(string key, string id, string version, int bytes = 20_000, params string[] more)
    {
        var image = In($"{id}-{version}.bin");
        var data = new byte[bytes];
        new Random(bytes).NextBytes(data);
        await File.WriteAllBytesAsync(image, data);
        var package = In($"{Path.GetFileName(key)}-{id}-{version}.amipkg");
        var (code, _, error) = await CommandLine.RunAsync(["program", "build", "--key", $"{key}.key", "--id", id, "--version", version, "--image", image, "--out", package, .. more]);
        Assert.True(code == 0, error);
        return package;
    }

    private static async Task<JsonNode> Report(string folder) => JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(folder, "report.json")))!;

    [Fact]
    public async Task A_package_built_from_the_users_image_is_rolled_out_and_named_in_the_report_and_the_cim()
    {
        var vendor = await Vendor("vendor");
        var package = await Firmware(vendor, "FW-MINE", "2.1", bytes: 20_000);
        var folder = In("run");

        var (code, output, error) = await CommandLine.RunAsync(["run", "--package", package, "--trust", $"{vendor}.pub", "--out", folder, .. SmallFleet.Network(120)]);

        Assert.True(code == 0, error);
        Assert.Contains("FW-MINE 2.1 (package vendor-FW-MINE-2.1.amipkg)", output);
        var report = await Report(folder);
        Assert.Equal("FW-MINE", report["program"]!["id"]!.GetValue<string>());
        Assert.Equal("2.1", report["program"]!["version"]!.GetValue<string>());
        Assert.Equal(20_000, report["program"]!["bytes"]!.GetValue<int>());
        Assert.Equal(40, report["program"]!["blocks"]!.GetValue<int>()); // 20,000 bytes in 512-byte blocks
        Assert.True(report["outcomes"]!["Succeeded"]!.GetValue<int>() >= 110, report["outcomes"]!.ToJsonString());
        var cim = Directory.GetFiles(Path.Combine(folder, "cim"), "*.xml");
        Assert.NotEmpty(cim);
        Assert.All(cim, file => Assert.Contains("FW-MINE", File.ReadAllText(file)));
        Assert.Equal(await File.ReadAllTextAsync(package), await File.ReadAllTextAsync(Path.Combine(folder, "program.amipkg")));
        Assert.Contains("signed package vendor-FW-MINE-2.1.amipkg: Firmware FW-MINE 2.1", await File.ReadAllTextAsync(Path.Combine(folder, "trace.txt")));
    }

    [Fact]
    public async Task Meters_of_other_models_or_already_newer_are_skipped_with_their_reason()
    {
        var vendor = await Vendor("vendor");
        // Half the fleet runs 3.0, newer than the package's 2.1: those meters are skipped, the others updated.
        var package = await Firmware(vendor, "FW-AM100", "2.1", 8_192, "--models", "AM-100");
        var folder = In("mixed");
        var (code, _, error) = await CommandLine.RunAsync(["run", "--package", package, "--trust", $"{vendor}.pub", "--out", folder, .. SmallFleet.Network(120),
            "--set", "amisim.scenario.fleet.firmware=[{version=\"1.0\", weight=1}, {version=\"3.0\", weight=1}]"]);

        Assert.True(code == 0, error);
        var rows = (await File.ReadAllLinesAsync(Path.Combine(folder, "meters.csv"))).Skip(1).Select(l => l.Split(',')).ToList();
        Assert.Contains(rows, r => r.Contains("already updated: runs 3.0"));
        Assert.Contains(rows, r => r.Any(c => c.StartsWith("incompatible: model", StringComparison.Ordinal)));
        Assert.Contains(rows, r => r.Contains("Succeeded"));
    }

    [Fact]
    public async Task The_runs_own_package_rolled_out_again_gives_the_same_digest()
    {
        var first = In("first");
        Assert.Equal(0, (await CommandLine.RunAsync(["run", "--out", first, .. SmallFleet.Args(80)])).Code);
        var again = In("again");
        var (code, _, error) = await CommandLine.RunAsync(["run", "--out", again, "--package", Path.Combine(first, "program.amipkg"),
            "--trust", Path.Combine(first, "vendor.pub"), .. SmallFleet.Network(80)]);

        Assert.True(code == 0, error);
        Assert.Equal((await Report(first))["resultDigest"]!.GetValue<string>(), (await Report(again))["resultDigest"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_configuration_package_is_rolled_out_end_to_end()
    {
        var vendor = await Vendor("vendor");
        var package = In("cfg.amipkg");
        Assert.Equal(0, (await CommandLine.RunAsync("program", "build", "--key", $"{vendor}.key", "--id", "CFG-5MIN", "--version", "1.2", "--interval", "5", "--out", package)).Code);
        var folder = In("cfg");

        var (code, _, error) = await CommandLine.RunAsync(["run", "--package", package, "--trust", $"{vendor}.pub", "--out", folder, .. SmallFleet.Network(60)]);

        Assert.True(code == 0, error);
        var report = await Report(folder);
        Assert.Equal("Configuration", report["program"]!["kind"]!.GetValue<string>());
        Assert.Equal(60, report["outcomes"]!["Succeeded"]!.GetValue<int>());
    }

    public static TheoryData<string, string> Refusals => new()
    {
        { "unsigned", "Unsigned" },
        { "tampered", "Tampered" },
        { "untrusted", "Untrusted" },
        { "wrong-model", "Incompatible" },
        { "downgrade", "Downgrade" },
        { "malformed", "Malformed" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task A_refused_package_stops_the_run_with_exit_2_and_its_reason_leaving_no_folder(string kind, string reason)
    {
        var vendor = await Vendor("vendor");
        var trust = $"{vendor}.pub";
        string package;
        switch (kind)
        {
            case "unsigned" or "tampered":
                package = await Firmware(vendor, "FW-X", "2.1");
                var json = JsonNode.Parse(await File.ReadAllTextAsync(package))!;
                if (kind == "unsigned") json["signature"] = "";
                else
                {
                    var content = Convert.FromBase64String(json["content"]!.GetValue<string>());
                    content[1234] ^= 0x40;
                    json["content"] = Convert.ToBase64String(content);
                }
                await File.WriteAllTextAsync(package, json.ToJsonString());
                break;
            case "untrusted":
                package = await Firmware(await Vendor("stranger"), "FW-X", "2.1");
                break;
            case "wrong-model":
                package = await Firmware(vendor, "FW-X", "2.1", 8_192, "--models", "AM-999");
                break;
            case "downgrade":
                package = await Firmware(vendor, "FW-X", "0.9");
                break;
            default:
                package = In("malformed.amipkg");
                await File.WriteAllTextAsync(package, "{\"format\": \"amisim-package/1\", \"manifest\": 42}");
                break;
        }
        var folder = In("refused");

        var (code, _, error) = await CommandLine.RunAsync(["run", "--package", package, "--trust", trust, "--out", folder, .. SmallFleet.Network(40)]);

        Assert.Equal(ExitCode.BadInput, code);
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"error: --package {package}: refused by the head-end: {reason}", line);
        Assert.False(Directory.Exists(folder), "a refused package leaves no run folder");
    }

    [Fact]
    public async Task A_package_without_its_key_or_beside_a_program_key_is_refused_naming_both()
    {
        var vendor = await Vendor("vendor");
        var package = await Firmware(vendor, "FW-X", "2.1");

        var alone = await CommandLine.RunAsync("check", "--package", package);
        var keyAlone = await CommandLine.RunAsync("check", "--trust", $"{vendor}.pub");
        var both = await CommandLine.RunAsync("check", "--package", package, "--trust", $"{vendor}.pub", "--set", "amisim.scenario.program.version=\"3.0\"");
        var missing = await CommandLine.RunAsync("check", "--package", In("nothing.amipkg"), "--trust", $"{vendor}.pub");
        var notAKey = await CommandLine.RunAsync("check", "--package", package, "--trust", package);

        Assert.All(new[] { alone, keyAlone, both, missing, notAKey }, r => Assert.Equal(ExitCode.BadInput, r.Code));
        Assert.Contains($"--package {package}: a package needs the vendor's public key", alone.Error);
        Assert.Contains($"--trust {vendor}.pub: a trusted key is only read with a package of your own", keyAlone.Error);
        Assert.Contains("amisim.scenario.program.version: the package", both.Error);
        Assert.Contains("no such file", missing.Error);
        Assert.Contains("a package file, not a key (are --package and --trust swapped?)", notAKey.Error);
        // A scenario file's program keys give way to a package given on the command line.
        var scenario = Path.Combine(AppContext.BaseDirectory, "scenarios", "small.conf");
        var overScenario = await CommandLine.RunAsync("check", "--scenario", scenario, "--package", package, "--trust", $"{vendor}.pub");
        Assert.True(overScenario.Code == 0, overScenario.Error);
        Assert.Contains("FW-X 2.1 (package", overScenario.Out);
    }

    [Fact]
    public async Task The_private_key_an_empty_file_a_key_or_a_device_given_as_the_wrong_file_are_refused_saying_what_they_are()
    {
        var vendor = await Vendor("vendor");
        var package = await Firmware(vendor, "FW-X", "2.1");
        var empty = In("empty.amipkg");
        await File.WriteAllTextAsync(empty, "");

        var privateKey = await CommandLine.RunAsync("check", "--package", package, "--trust", $"{vendor}.key");
        var emptyPackage = await CommandLine.RunAsync("check", "--package", empty, "--trust", $"{vendor}.pub");
        var keyAsPackage = await CommandLine.RunAsync("check", "--package", $"{vendor}.pub", "--trust", $"{vendor}.pub");
        var device = await CommandLine.RunAsync("check", "--package", "/dev/zero", "--trust", $"{vendor}.pub");

        Assert.All(new[] { privateKey, emptyPackage, keyAsPackage, device }, r => Assert.Equal(ExitCode.BadInput, r.Code));
        Assert.Equal($"error: --trust {vendor}.key: a private key; give the public one (NAME.pub from `amisim keys new`): the private key stays with the vendor", privateKey.Error.Trim());
        Assert.EndsWith("Malformed: empty, not a package file", emptyPackage.Error.Trim());
        Assert.EndsWith("Malformed: a key file (PEM), not a package file (a .amipkg from `amisim program build`)", keyAsPackage.Error.Trim());
        Assert.EndsWith("/dev/zero: not a regular file (a device or a pipe); give a .amipkg file", device.Error.Trim());
    }

    [Fact]
    public async Task Report_json_names_the_package_its_digest_and_its_signer_outside_the_result_digest()
    {
        var vendor = await Vendor("vendor");
        var package = await Firmware(vendor, "FW-X", "2.1", 8_192);
        var other = await Vendor("other");
        var resigned = await Firmware(other, "FW-X", "2.1", 8_192);
        var (a, b) = (In("a"), In("b"));
        Assert.Equal(0, (await CommandLine.RunAsync(["run", "--package", package, "--trust", $"{vendor}.pub", "--out", a, .. SmallFleet.Network(40)])).Code);
        Assert.Equal(0, (await CommandLine.RunAsync(["run", "--package", resigned, "--trust", $"{other}.pub", "--out", b, .. SmallFleet.Network(40)])).Code);

        var (first, second) = (await Report(a), await Report(b));
        Assert.Equal(Path.GetFullPath(package), first["package"]!["file"]!.GetValue<string>());
        Assert.Equal(Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(await File.ReadAllBytesAsync(package))).ToLowerInvariant(), first["package"]!["sha256"]!.GetValue<string>());
        Assert.NotEqual(first["package"]!["signerKeyId"]!.GetValue<string>(), second["package"]!["signerKeyId"]!.GetValue<string>());
        // The same image by another signer: the same results.
        Assert.Equal(first["resultDigest"]!.GetValue<string>(), second["resultDigest"]!.GetValue<string>());
    }
}
