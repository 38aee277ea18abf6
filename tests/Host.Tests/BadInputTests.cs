using System.Text.Json.Nodes;
using Xunit;

namespace AmiSim.Host.Tests;

/// <summary>
/// Every mistake a user can make at the command line or in a scenario is refused with one line on
/// standard error naming what is wrong, exit code 2, before anything is written; nothing hangs.
/// </summary>
[Collection("runs")] // the console and Serilog's global logger: one at a time
public sealed class BadInputTests : IDisposable
{
    private static readonly string Small = Path.Combine(AppContext.BaseDirectory, "scenarios", "small.conf");

    private readonly string _dir = Directory.CreateTempSubdirectory("amisim-bad-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string File(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        System.IO.File.WriteAllText(path, text);
        return path;
    }

    private static void AssertRefused((int Code, string Out, string Error) result, params string[] named)
    {
        Assert.True(result.Code == ExitCode.BadInput, $"exit {result.Code}; out: {result.Out}; error: {result.Error}");
        var lines = result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("error: ", lines[0]);
        Assert.DoesNotContain("   at ", result.Error);
        Assert.DoesNotContain("Exception", result.Error);
        foreach (var name in named) Assert.Contains(name, lines[0]);
        Assert.DoesNotContain(MissingValues.Placeholder, result.Error);
        Assert.False(Directory.Exists(MissingValues.Placeholder), "a folder named after the parser's placeholder was written");
    }

    [Theory] // case 1: substitutions that refer to themselves or name no key made the parser loop without end
    [InlineData("amisim.scenario.campaign.multicast-repair-share=${?NOPE}", "multicast-repair-share")]
    [InlineData("amisim.scenario.fleet.topology-file=${amisim.scenario.fleet}", "topology-file")]
    [InlineData("amisim.scenario.name=${amisim.scenario.name}", "amisim.scenario.name")]
    public async Task A_substitution_that_cannot_resolve_is_refused_naming_its_key_given_by_set(string set, string key) =>
        AssertRefused(await CommandLine.RunAsync("check", "--scenario", Small, "--set", set), key, "--set");

    [Theory]
    [InlineData("amisim.scenario {\n  campaign.success-threshold = ${?NOPE}\n}\n", "success-threshold")]
    [InlineData("amisim.scenario {\n  fleet.topology-file = ${amisim.scenario.fleet}\n}\n", "topology-file")]
    [InlineData("amisim.scenario {\n  fleet.models = [{ name = \"AM-100\", weight \u00ae 0.3 }]\n}\n", "line 2")]
    [InlineData("amisim.scenario {\n  fleet.meters \u00ae 300\n}\n", "line 2")]
    [InlineData("amisim.scenario {\n  fleet.meters = 300\u0000\n}\n", "line 2")]
    [InlineData("include \"other.conf\"\namisim.scenario.fleet.meters = 20\n", "include")]
    [InlineData("amisim.scenario {\n  fleet.meters = 300\n  campaign.transfer-window = 22:00-05:00\n}\n", "line 3")]
    [InlineData("amisim.scenario {\n  fleet.meters = = 500\n}\n", "line 2")]
    [InlineData("amisim.scenario {\n  name = ${nope}\n}\n", "line 2")]
    [InlineData("amisim.scenario { include required(\"x.conf\") }\n", "include")]
    public async Task A_scenario_file_the_parser_cannot_survive_is_refused_naming_the_file_and_where(string text, string where) =>
        AssertRefused(await CommandLine.RunAsync("check", "--scenario", File("s.conf", text)), "s.conf", where);

    [Theory]
    [InlineData("amisim.scenario.operator-actions=[{ at = 1h, action = pause, meters = [1] }]", "only a start names meters")]
    [InlineData("amisim.scenario.operator-actions=[{ at = 0s, action = start, meters = [] }]", "empty")]
    [InlineData("amisim.scenario.operator-actions=[{ at = 0s, action = start, meters = [1, 99999] }]", "99999")]
    [InlineData("amisim.scenario.operator-actions=[{ at = 0s, action = start, meters = [1.5] }]", "whole numbers")]
    [InlineData("amisim.scenario.mdm.endpoint-patience=0s", "mdm.endpoint-patience")]
    public async Task A_start_naming_meters_wrongly_or_a_bad_patience_is_refused_with_why(string set, string why) =>
        AssertRefused(await CommandLine.RunAsync("check", "--scenario", Small, "--set", "amisim.scenario.campaign.start=operator", "--set", set), why);

    [Theory]
    [InlineData(new[] { "--cim-endpoint", "http://127.0.0.1:8062/cim" }, "not a URL")]
    [InlineData(new[] { "--cim-endpoint", "127.0.0.1:99999" }, "--cim-endpoint")]
    [InlineData(new[] { "--cim-endpoint", "127.0.0.1:0", "--console", "127.0.0.1" }, "--console 127.0.0.1: no port")]
    [InlineData(new[] { "--cim-endpoint", "127.0.0.1:47188", "--console", "127.0.0.1:47188" }, "both on port 47188")]
    [InlineData(new[] { "--mdm-endpoint", "ftp://mdm/cim" }, "--mdm-endpoint ftp://mdm/cim")]
    public async Task A_bad_cim_or_mdm_endpoint_option_is_refused_before_anything_is_written(string[] options, string why)
    {
        var folder = Path.Combine(Path.GetTempPath(), $"amisim-cim-bad-{Guid.NewGuid():N}");
        AssertRefused(await CommandLine.RunAsync(["run", "--scenario", Small, "--out", folder, .. options]), why);
        Assert.False(Directory.Exists(folder));
    }

    [Theory] // case 5: a list or an object where a plain value belongs, and the other way round
    [InlineData("amisim.scenario.campaign.activate-at=[]", "campaign.activate-at")]
    [InlineData("amisim.scenario.campaign.transfer-window=[]", "campaign.transfer-window")]
    [InlineData("amisim.scenario.program.id=[]", "program.id")]
    [InlineData("amisim.scenario.fleet.topology-file=[]", "fleet.topology-file")]
    [InlineData("amisim.scenario.mdm.http-endpoint=[]", "mdm.http-endpoint")]
    [InlineData("amisim.scenario.fleet.firmware=on", "fleet.firmware")]
    [InlineData("amisim.scenario.campaign.wave-shares={}", "campaign.wave-shares")]
    [InlineData("amisim.scenario.name=[0,0,0]", "amisim.scenario.name")]
    [InlineData("amisim.scenario.campaign.targets.models=\"\"", "campaign.targets.models")]
    [InlineData("amisim.scenario.network.depth-weights=[0.5, -1]", "network.depth-weights")]
    [InlineData("amisim.scenario.network.depth-weights=[0, 0]", "network.depth-weights")]
    [InlineData("amisim.scenario.fleet.collectors=900", "fleet.collectors")]
    [InlineData("amisim.scenario.campaign.step-timeout=banana", "campaign.step-timeout")]
    [InlineData("amisim.scenario.until=1000000000d", "from 0 to 10000d")]
    [InlineData("amisim.scenario.campaign.wave-shares=[0.5, 0.6]", "together at most 1")]
    [InlineData("amisim.scenario.campaign.targets.meters=[1.5]", "campaign.targets.meters")]
    [InlineData("amisim.scenario.fleet.topology-file=\"/nonexistent/net.csv\"", "fleet.topology-file")]
    [InlineData("amisim.scenario.program.target-models=[\"AM-999\"]", "AM-999")]
    public async Task A_value_of_the_wrong_kind_is_refused_naming_the_set_and_the_key(string set, string key) =>
        AssertRefused(await CommandLine.RunAsync("check", "--scenario", Small, "--set", set), "--set", key);

    [Theory] // case 3: an MDM endpoint that is no HTTP address is found before the run, not after it
    [InlineData("\"file:///etc/passwd\"")]
    [InlineData("\"ftp://example.org/cim\"")]
    [InlineData("\"not a url\"")]
    [InlineData("\"http://[::1\"")]
    public async Task An_MDM_endpoint_that_is_not_an_HTTP_address_is_refused_before_the_run(string endpoint)
    {
        var folder = Path.Combine(_dir, "run");
        AssertRefused(await CommandLine.RunAsync("run", "--scenario", Small, "--out", folder, "--set", $"amisim.scenario.mdm.http-endpoint={endpoint}"), "mdm.http-endpoint");
        Assert.False(Directory.Exists(folder));
    }

    [Fact]
    public async Task An_unquoted_value_with_a_colon_says_to_quote_it() =>
        AssertRefused(await CommandLine.RunAsync("check", "--set", "amisim.scenario.campaign.transfer-window=22:00-05:00"), "transfer-window", "quote");

    [Theory] // case 6: unknown options and keys are refused with the one meant
    [InlineData(new[] { "run", "--scenaro", "small.conf" }, "--scenario")]
    [InlineData(new[] { "run", "--sed", "7" }, "--se")]
    [InlineData(new[] { "run", "--bogus" }, "bogus")]
    [InlineData(new[] { "check", "--set", "fleet.meters=10" }, "amisim.scenario.fleet.meters")]
    [InlineData(new[] { "check", "--set", "akka.logleve=DEBUG" }, "akka.loglevel")]
    [InlineData(new[] { "check", "--set", "amisim.kernel.sead=7" }, "amisim.kernel.seed")]
    [InlineData(new[] { "check", "--set", "amisim.scenario.fleet.meter=10" }, "amisim.scenario.fleet.meters")]
    [InlineData(new[] { "check", "--set", "amisim.scenario.seed" }, "--set amisim.scenario.seed=7")]
    [InlineData(new[] { "run", "--seed", "abc" }, "'abc'")] // case 11
    [InlineData(new[] { "run", "--fail-above", "2" }, "--fail-above")]
    [InlineData(new[] { "frobnicate" }, "frobnicate")]
    [InlineData(new[] { "rnu" }, "did you mean run?")]
    [InlineData(new[] { "run", "my.conf" }, "a scenario file is given with --scenario (amisim run --scenario my.conf)")]
    [InlineData(new[] { "check", "--out", "x" }, "this command has no --out")]
    [InlineData(new[] { "run", "--out" }, "--out needs a value")] // the parser filled it with "__default_command", and a run wrote that folder
    [InlineData(new[] { "run", "--out", "--seed", "3" }, "--out needs a value")]
    [InlineData(new[] { "keys", "new", "--out" }, "--out needs a value")]
    [InlineData(new[] { "run", "--seed" }, "missing its value")]
    [InlineData(new[] { "check", "--set", "akka.loglevel=LOUD" }, "akka.loglevel")]
    [InlineData(new[] { "check", "--set", "amisim.kernel.partitions=-2" }, "amisim.kernel.partitions")]
    [InlineData(new[] { "check", "--set", "amisim.scenario.operator-actions=[{at=1h, action=pause, extra=1}]" }, "unknown key extra")]
    [InlineData(new[] { "check", "--set", "amisim.scenario.campaign.targets.collectors=[42]" }, "collector 42 is not in the network")]
    [InlineData(new[] { "check", "--set", "amisim.scenario.trace.meters=[99999]" }, "meter 99999 is not in the network")]
    public async Task An_unknown_option_or_key_is_refused_with_a_suggestion(string[] args, string suggestion) =>
        AssertRefused(await CommandLine.RunAsync(args), suggestion);

    [Fact]
    public async Task A_misspelt_scenario_file_is_refused_with_the_nearest_file_of_its_folder()
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "scenarios");
        AssertRefused(await CommandLine.RunAsync("check", "--scenario", Path.Combine(folder, "smal.conf")), $"no such scenario file (did you mean {Path.Combine(folder, "small.conf")}?)");
    }

    [Fact] // case 11: a bad topology file was printed two to four times, with exit 1
    public async Task A_bad_topology_file_is_refused_once_naming_its_line()
    {
        var topology = File("net.csv", "meter,collector,parent,link_loss,model,firmware\n1,1,,0.5,AM-100\n");
        AssertRefused(await CommandLine.RunAsync("run", "--out", Path.Combine(_dir, "run"), "--set", $"amisim.scenario.fleet.topology-file=\"{topology}\""), "net.csv");
        Assert.False(Directory.Exists(Path.Combine(_dir, "run")));
    }

    [Fact]
    public async Task A_scenario_file_that_is_not_UTF8_is_refused_naming_its_line_and_an_empty_one_is_the_default()
    {
        var latin1 = Path.Combine(_dir, "latin1.conf");
        await System.IO.File.WriteAllBytesAsync(latin1, [.. "amisim.scenario {\n  name = \"caf"u8, 0xE9, .. "\"\n}\n"u8]);
        AssertRefused(await CommandLine.RunAsync("check", "--scenario", latin1), "latin1.conf, line 2", "UTF-8");

        var (code, output, _) = await CommandLine.RunAsync("check", "--scenario", File("empty.conf", "# nothing changed\n"));
        Assert.Equal(0, code);
        Assert.Contains("10,000 meters", output);
    }

    [Fact]
    public async Task A_missing_scenario_file_or_a_folder_is_refused()
    {
        AssertRefused(await CommandLine.RunAsync("check", "--scenario", Path.Combine(_dir, "nope.conf")), "nope.conf", "no such");
        AssertRefused(await CommandLine.RunAsync("check", "--scenario", _dir), "folder");
    }

    [Fact] // case 9: a run never replaces or mixes with an earlier run's evidence
    public async Task A_run_into_a_folder_that_holds_anything_is_refused_before_it_writes_and_force_empties_it()
    {
        var folder = Directory.CreateDirectory(Path.Combine(_dir, "old")).FullName;
        System.IO.File.WriteAllText(Path.Combine(folder, "program.amipkg"), "the earlier run's package");
        Directory.CreateDirectory(Path.Combine(folder, "cim"));
        System.IO.File.WriteAllText(Path.Combine(folder, "cim", "M1.xml"), "<earlier/>");
        string[] small = ["--scenario", Small, "--set", "amisim.scenario.fleet.meters=60", "--set", "amisim.scenario.program.size=8192"];

        AssertRefused(await CommandLine.RunAsync(["run", "--out", folder, .. small]), "not empty", "--force");
        Assert.Equal("the earlier run's package", System.IO.File.ReadAllText(Path.Combine(folder, "program.amipkg")));
        Assert.Equal(["program.amipkg", "cim"], Directory.EnumerateFileSystemEntries(folder).Select(Path.GetFileName).OrderDescending());

        var (code, output, _) = await CommandLine.RunAsync(["run", "--out", folder, "--force", .. small]);
        Assert.Equal(ExitCode.Completed, code);
        Assert.Contains("emptied", output);
        Assert.False(System.IO.File.Exists(Path.Combine(folder, "cim", "M1.xml")));
        var report = JsonNode.Parse(System.IO.File.ReadAllText(Path.Combine(folder, "report.json")))!;
        Assert.Equal(report["mdm"]!["cimMessages"]!.GetValue<int>(), Directory.GetFiles(Path.Combine(folder, "cim")).Length);
    }

    [Fact]
    public async Task An_out_that_is_a_file_or_cannot_be_made_is_refused()
    {
        var file = File("a-file", "x");
        AssertRefused(await CommandLine.RunAsync("run", "--scenario", Small, "--out", file), "a-file", "is a file");
        Assert.Equal("x", System.IO.File.ReadAllText(file));
        AssertRefused(await CommandLine.RunAsync("run", "--scenario", Small, "--out", "/proc/amisim-run"), "/proc/amisim-run", "cannot be written");
    }

    [Fact] // case 11: report on a JSON file that is no report
    public async Task Report_on_a_folder_without_a_report_or_with_another_JSON_is_refused()
    {
        AssertRefused(await CommandLine.RunAsync("report", _dir), "no report.json");
        File("report.json", "{}");
        AssertRefused(await CommandLine.RunAsync("report", _dir), "report.json", "not a report");
        File("report.json", "[1,2");
        AssertRefused(await CommandLine.RunAsync("report", _dir), "report.json");
    }

    [Fact]
    public async Task Report_with_a_damaged_meters_csv_names_its_line_and_field_and_overwrites_nothing()
    {
        var run = Path.Combine(_dir, "run");
        Assert.Equal(0, (await CommandLine.RunAsync(["run", "--out", run, .. SmallFleet.Args(20, programBytes: 4096)])).Code);
        var csv = Path.Combine(run, "meters.csv");
        var html = System.IO.File.ReadAllText(Path.Combine(run, "report.html"));
        var rows = System.IO.File.ReadAllLines(csv);
        foreach (var (damage, expected) in new (string, string[])[]
        {
            (rows[1].Replace(",Succeeded,", ",Bogus,"), ["meters.csv, line 2", "final_state \"Bogus\" is none of"]),
            (string.Join(',', rows[1].Split(',').Select((f, i) => i == 12 ? "north" : f)), ["meters.csv, line 2", "y \"north\" is not a number"]),
            (string.Join(',', rows[1].Split(',')[..9]), ["meters.csv, line 2", "the row has 9 of the header's 14 fields"]),
        })
        {
            System.IO.File.WriteAllLines(csv, [rows[0], damage, .. rows[2..]]);
            AssertRefused(await CommandLine.RunAsync("report", run), expected);
            Assert.Equal(html, System.IO.File.ReadAllText(Path.Combine(run, "report.html")));
        }
        System.IO.File.WriteAllLines(csv, ["meter,collector,x", "1,1,5"]);
        AssertRefused(await CommandLine.RunAsync("report", run), "meters.csv, line 1", "no column depth");
    }

    [Fact]
    public async Task Keys_new_takes_a_key_file_name_and_program_build_never_overwrites_a_package()
    {
        var key = Path.Combine(_dir, "vendor.key");
        Assert.Equal(0, (await CommandLine.RunAsync("keys", "new", "--out", key)).Code);
        Assert.True(System.IO.File.Exists(key) && System.IO.File.Exists(Path.Combine(_dir, "vendor.pub")), "keys new --out vendor.key writes vendor.key and vendor.pub");

        var package = File("cfg.amipkg", "an earlier package");
        AssertRefused(await CommandLine.RunAsync("program", "build", "--key", key, "--id", "CFG-5", "--version", "1.2", "--interval", "5", "--out", package),
            "cfg.amipkg", "never overwritten");
        Assert.Equal("an earlier package", System.IO.File.ReadAllText(package));
    }

    [Fact] // case 15
    public async Task Version_names_the_version_and_the_commit()
    {
        var (code, output, _) = await CommandLine.RunAsync("--version");
        Assert.Equal(0, code);
        Assert.Matches(@"^\d+\.\d+\.\d+.*\+[0-9a-f]{7,}", output.Trim());
    }

    [Fact] // case 13: help lists the exit codes
    public async Task Help_lists_the_exit_codes()
    {
        var (code, output, _) = await CommandLine.RunAsync("run", "--help");
        Assert.Equal(0, code);
        Assert.Contains("EXIT CODES", output);
        Assert.Contains("--fail-above", output);
    }
}
