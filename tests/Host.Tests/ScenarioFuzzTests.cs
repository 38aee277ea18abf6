using CsCheck;
using Xunit;

namespace AmiSim.Host.Tests;

/// <summary>
/// Mutated scenario files (flipped bytes, lost and doubled lines, values swapped for hostile ones,
/// cut short) are either run as scenarios or refused: <c>amisim check</c> exits 0 or 2, prints one
/// error line and no stack trace, and never hangs (issue 23, "Done when").
/// </summary>
[Collection("runs")]
public sealed class ScenarioFuzzTests : IDisposable
{
    /// <summary>Per case; a check of the catalogue's scenarios takes well under a second.</summary>
    private static readonly TimeSpan CaseLimit = TimeSpan.FromSeconds(30);

    private static readonly string[] Bases = Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "scenarios"), "*.conf")
        .Where(f => !Path.GetFileName(f).StartsWith("fleet-", StringComparison.Ordinal) && Path.GetFileName(f) != "default.conf") // small fleets: each case builds its network
        .Select(File.ReadAllText).ToArray();

    private static readonly string[] Values =
    [
        "[]", "{}", "\"\"", "${?NOPE}", "${amisim.scenario}", "${amisim.scenario.fleet}", "${amisim.scenario.seed}", "-1", "0", "2.5", "1e308",
        "99999999999", "on", "\"x\"", "[1, \"a\"]", "[{}]", "[[1]]", "\"22:00-05:00\"", "30d", "-5m", "\"\\u0000\"", "\"http://[::1\"",
        "include \"x.conf\"", "\"" + new string('z', 3000) + "\"", "[\"AM-999\"]",
    ];

    private static readonly string[] Lines =
    [
        "include \"other.conf\"", "amisim.scenario.fleet = 3", "amisim.scenario.x = ${amisim.scenario}", "amisim { scenario { fleet { meters = 7 } } }",
        "akka.loglevel = DEBUG", "amisim.scenario.campaign.wave-shares = [0.5, 0.5, 0.5]", "amisim.scenario.fleet.collectors = 100000", "}", "{", "\"",
        "amisim.scenario.operator-actions = [{ at = 1h, action = explode }]", "amisim.scenario.network.outages = [{ collector = 99, meter = 0, start = 1h, end = 2h }]",
    ];

    private static readonly int Iterations = int.TryParse(Environment.GetEnvironmentVariable("AMISIM_FUZZ_CASES"), out var n) ? n : 300;

    private readonly string _dir = Directory.CreateTempSubdirectory("amisim-fuzz-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly Gen<Func<string, string>> Mutation = Gen.OneOf(
        Gen.Select(Gen.Double[0, 1], Gen.Char, (at, c) => (Func<string, string>)(t => t.Length == 0 ? t : t.Remove((int)(at * (t.Length - 1)), 1).Insert((int)(at * (t.Length - 1)), c.ToString()))),
        Gen.Select(Gen.Double[0, 1], Gen.Byte, (at, b) => (Func<string, string>)(t => t.Length == 0 ? t : t.Remove((int)(at * (t.Length - 1)), 1).Insert((int)(at * (t.Length - 1)), ((char)b).ToString()))),
        Gen.Double[0, 1].Select(at => (Func<string, string>)(t => EditLines(t, at, (lines, i) => lines.RemoveAt(i)))),
        Gen.Double[0, 1].Select(at => (Func<string, string>)(t => EditLines(t, at, (lines, i) => lines.Insert(i, lines[i])))),
        Gen.Select(Gen.Double[0, 1], Gen.Int[0, Lines.Length - 1], (at, n) => (Func<string, string>)(t => EditLines(t, at, (lines, i) => lines.Insert(i, Lines[n])))),
        Gen.Select(Gen.Double[0, 1], Gen.Int[0, Values.Length - 1], (at, n) => (Func<string, string>)(t => EditLines(t, at, (lines, i) =>
        {
            var equals = lines[i].IndexOf('=');
            if (equals >= 0) lines[i] = lines[i][..(equals + 1)] + " " + Values[n];
        }))),
        Gen.Double[0, 1].Select(at => (Func<string, string>)(t => t[..(int)(at * t.Length)])));

    private static string EditLines(string text, double at, Action<List<string>, int> edit)
    {
        var lines = text.Split('\n').ToList();
        if (lines.Count == 0) return text;
        edit(lines, Math.Min(lines.Count - 1, (int)(at * lines.Count)));
        return string.Join('\n', lines);
    }

    private static readonly Gen<string> Scenario =
        Gen.Select(Gen.Int[0, Bases.Length - 1], Mutation.Array[1, 3], (b, mutations) => mutations.Aggregate(Bases[b], (text, mutate) => mutate(text)));

    [Fact]
    public void A_mutated_scenario_is_run_or_refused_in_one_line_never_a_crash_or_a_hang()
    {
        var path = Path.Combine(_dir, "fuzz.conf");
        var (cases, refused) = (0, 0);
        Scenario.Sample(text =>
        {
            File.WriteAllText(path, text);
            var (code, output, error) = CommandLine.RunAsync(CaseLimit, "check", "--scenario", path).GetAwaiter().GetResult();
            cases++;
            var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.True(code is ExitCode.Completed or ExitCode.BadInput, $"exit {code} for:\n{text}\nout: {output}\nerror: {error}");
            Assert.DoesNotContain("   at ", error);
            Assert.DoesNotContain("Exception", error);
            if (code == ExitCode.BadInput) refused++;
            if (code == ExitCode.BadInput) Assert.True(lines.Length == 1 && lines[0].StartsWith("error: ", StringComparison.Ordinal), $"error lines: {error}");
            else Assert.StartsWith("ok: ", output);
        }, iter: Iterations, threads: 1);
        Assert.Equal(Iterations, cases);
        Assert.InRange(refused, 1, Iterations - 1); // the mutations make both: the test sees each side
    }
}
