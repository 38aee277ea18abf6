using System.Text;
using Akka.Configuration;
using AmiSim.Host.Cli;
using AmiSim.Kernel;
using AmiSim.HeadEnd.Programs;
using AmiSim.Mesh.Topology;
using AmiSim.Scenario;

namespace AmiSim.Host.Run;

/// <summary>
/// Everything a run is made from, read and checked before anything runs or is written: the scenario
/// with its overrides, the Akka and kernel configuration, the heap limit, the network and the rules
/// between them. <c>amisim run</c> and <c>amisim check</c> both read their input here, so check
/// refuses exactly what run would.
/// </summary>
public sealed record RunInput(ScenarioSettings Scenario, Config Akka, NetworkTopology Topology, string Source)
{
    /// <summary>Reads and checks the input. <exception cref="InputException">what is wrong, naming the file, option or key.</exception></summary>
    public static RunInput Read(string? scenarioPath, IReadOnlyList<string> sets, long? seed)
    {
        try
        {
            var (text, source) = scenarioPath is { } path ? (ReadScenarioFile(path), path) : (HoconLoader.Embedded("scenarios/default.conf"), "default scenario");
            var scenarioSets = sets.Where(s => s.TrimStart().StartsWith(ScenarioReader.Root, StringComparison.Ordinal)).ToList();
            var otherSets = sets.Except(scenarioSets).ToList();
            var overrides = scenarioSets.Concat(seed is { } s ? [$"{ScenarioReader.Root}.seed={s}"] : []).ToList();
            var reader = ScenarioReader.Load(text, source, overrides);
            var scenario = ScenarioSettings.Read(reader);
            var akka = HoconLoader.Load(otherSets, AkkaKeys.Check);
            HeapBudget.Check(akka);
            var kernel = KernelSettings.FromConfig(akka.GetConfig("amisim.kernel"));
            var topology = scenario.BuildTopology();
            CheckTargets(scenario, topology, reader.Name("program.target-models"));
            var collectors = new Lazy<HashSet<long>>(() => topology.Collectors.Select(c => (long)c.Id).ToHashSet());
            var meters = new Lazy<HashSet<long>>(() => topology.Meters.Select(m => m.Meter.Value).ToHashSet());
            CheckExisting(scenario.Targets.Collectors.Select(c => (long)c).ToList(), collectors, "collector", reader.Name("campaign.targets.collectors"));
            CheckExisting(scenario.Targets.Meters, meters, "meter", reader.Name("campaign.targets.meters"));
            CheckExisting(scenario.TracedMeters, meters, "meter", reader.Name("trace.meters"));
            ScenarioAssembly.Kernel(scenario, topology, kernel, trace: null); // the lookahead rules
            return new RunInput(scenario, akka, topology, source);
        }
        catch (Exception error) when (error is ScenarioException or HoconInputException or ConfigurationException or TopologyException or FormatException
                                          or IOException or UnauthorizedAccessException)
        {
            throw new InputException(error.Message);
        }
    }

    private static string ReadScenarioFile(string path)
    {
        if (Directory.Exists(path)) throw new InputException($"--scenario {path}: is a folder, not a scenario file");
        if (!File.Exists(path)) throw new InputException($"--scenario {path}: no such scenario file");
        var length = new FileInfo(path).Length;
        if (length > HoconGuard.MaxChars)
            throw new InputException($"--scenario {path}: {length:N0} bytes, more than the {HoconGuard.MaxChars:N0} a scenario file may have");
        var bytes = File.ReadAllBytes(path);
        try
        {
            return new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException error)
        {
            var at = Math.Clamp(error.Index, 0, bytes.Length);
            var line = 1 + bytes.AsSpan(0, at).Count((byte)'\n');
            throw new InputException($"--scenario {path}, line {line}: not UTF-8 text (byte \\x{(at < bytes.Length ? bytes[at] : 0):x2}); save the file as UTF-8");
        }
    }

    /// <summary>Every id a scenario names (a collector to target, a meter to trace) is one the network has.</summary>
    /// <param name="existing">the network's ids, made only when a key names some.</param>
    private static void CheckExisting(IReadOnlyList<long> names, Lazy<HashSet<long>> existing, string what, string key)
    {
        if (names.Count == 0) return;
        var known = existing.Value;
        foreach (var missing in names.Where(n => !known.Contains(n)).Take(1))
            throw new InputException($"{key}: {what} {missing} is not in the network ({known.Count:N0} {what}s, {known.Min()} to {known.Max()})");
    }

    /// <summary>
    /// A program for none of the fleet's models is refused here, as the head-end would refuse its package
    /// (Incompatible), before anything runs; <paramref name="key"/> says where the targets came from.
    /// </summary>
    private static void CheckTargets(ScenarioSettings scenario, NetworkTopology topology, string key)
    {
        var program = scenario.Program;
        if (ProgramLibrary.Incompatible(program.Id, program.Version, program.TargetModels, topology.Meters.Select(m => m.Model).ToHashSet()) is { } refused)
            throw new InputException($"{key}: {refused.Message}");
    }
}

/// <summary>Input that cannot be used (<see cref="ExitCode.BadInput"/>); the message names what and why.</summary>
public sealed class InputException(string message) : Exception(message);
