using System.Text;
using Akka.Configuration;
using AmiSim.Host.Cli;
using AmiSim.Kernel;
using AmiSim.HeadEnd.Programs;
using AmiSim.Mesh.Topology;
using AmiSim.Protocol.Programs;
using AmiSim.Scenario;

namespace AmiSim.Host.Run;

/// <summary>
/// Everything a run is made from, read and checked before anything runs or is written: the scenario
/// with its overrides, the Akka and kernel configuration, the heap limit, the network and the rules
/// between them. <c>amisim run</c> and <c>amisim check</c> both read their input here, so check
/// refuses exactly what run would.
/// </summary>
/// <param name="Program">the user's package and trusted key (program.package), or null: the run builds the scenario's own.</param>
/// <param name="Manifest">what the run rolls out: the user's package's manifest, or the one the scenario describes (as yet unsigned).</param>
/// <param name="Keys">the scenario keys that differ from their defaults, and who gave each (for the report).</param>
public sealed record RunInput(ScenarioSettings Scenario, Config Akka, NetworkTopology Topology, string Source, VendorProgram? Program, ProgramManifest Manifest,
    IReadOnlyList<ScenarioKeyValue> Keys)
{
    /// <summary>Reads and checks the input. <exception cref="InputException">what is wrong, naming the file, option or key.</exception></summary>
    /// <param name="package">the --package option (program.package), relative to the current folder.</param>
    /// <param name="trust">the --trust option (program.trust).</param>
    /// <param name="mdmEndpoint">the --mdm-endpoint option (mdm.http-endpoint).</param>
    public static RunInput Read(string? scenarioPath, IReadOnlyList<string> sets, long? seed, string? package = null, string? trust = null, string? mdmEndpoint = null)
    {
        try
        {
            var (text, source) = scenarioPath is { } path ? (ReadScenarioFile(path), path) : (HoconLoader.Embedded("scenarios/default.conf"), "default scenario");
            var scenarioSets = sets.Where(s => s.TrimStart().StartsWith(ScenarioReader.Root, StringComparison.Ordinal)).ToList();
            var otherSets = sets.Except(scenarioSets).ToList();
            var overrides = scenarioSets.Select(item => new ScenarioOverride(item, $"--set {item}")).ToList();
            if (seed is { } s) overrides.Add(new ScenarioOverride($"{ScenarioReader.Root}.seed={s}", $"--seed {s}"));
            if (package is not null) overrides.Add(PathOverride("program.package", package, "--package"));
            if (trust is not null) overrides.Add(PathOverride("program.trust", trust, "--trust"));
            if (mdmEndpoint is not null)
                overrides.Add(new ScenarioOverride($"{ScenarioReader.Root}.mdm.http-endpoint = {System.Text.Json.JsonSerializer.Serialize(mdmEndpoint)}", $"--mdm-endpoint {mdmEndpoint}"));
            var reader = ScenarioReader.LoadWith(text, source, overrides);
            var scenario = ScenarioSettings.Read(reader);
            var akka = HoconLoader.Load(otherSets, AkkaKeys.Check);
            HeapBudget.Check(akka);
            var kernel = KernelSettings.FromConfig(akka.GetConfig("amisim.kernel"));
            var topology = scenario.BuildTopology();
            var program = scenario.PackageFile.Length == 0 ? null : ReadProgram(scenario, reader);
            ProgramManifest manifest;
            if (program is null)
            {
                CheckTargets(scenario, topology, reader.Name("program.target-models"));
                manifest = ScenarioAssembly.Describe(scenario);
            }
            else manifest = LoadProgram(program, topology, reader.Name("program.package"));
            var collectors = new Lazy<HashSet<long>>(() => topology.Collectors.Select(c => (long)c.Id).ToHashSet());
            var meters = new Lazy<HashSet<long>>(() => topology.Meters.Select(m => m.Meter.Value).ToHashSet());
            CheckExisting(scenario.Targets.Collectors.Select(c => (long)c).ToList(), collectors, "collector", reader.Name("campaign.targets.collectors"));
            CheckExisting(scenario.Targets.Meters, meters, "meter", reader.Name("campaign.targets.meters"));
            CheckExisting(scenario.TracedMeters, meters, "meter", reader.Name("trace.meters"));
            foreach (var (action, index) in scenario.OperatorActions.Select((a, i) => (a, i)).Where(a => a.a.Meters is not null))
                CheckExisting(action.Meters!, meters, "meter", $"{reader.Name("operator-actions")}[{index}].meters");
            ScenarioAssembly.Kernel(scenario, topology, kernel, trace: null); // the lookahead rules
            return new RunInput(scenario, akka, topology, source, program, manifest, reader.Differences());
        }
        catch (Exception error) when (error is ScenarioException or HoconInputException or ConfigurationException or TopologyException or FormatException
                                          or IOException or UnauthorizedAccessException)
        {
            throw new InputException(error.Message);
        }
    }

    /// <summary>A command-line option that names a file, as a scenario override (the path quoted as a HOCON string, escapes and all).</summary>
    private static ScenarioOverride PathOverride(string key, string path, string option)
    {
        if (path.Trim().Length == 0) throw new InputException($"{option}: empty; give a file");
        return new ScenarioOverride($"{ScenarioReader.Root}.{key} = {System.Text.Json.JsonSerializer.Serialize(path)}", $"{option} {path}");
    }

    /// <summary>The user's package and the key it is to be trusted with, read as files (the package capped at <see cref="PackageFile.MaxBytes"/>).</summary>
    private static VendorProgram ReadProgram(ScenarioSettings scenario, ScenarioReader reader)
    {
        string text;
        try
        {
            text = PackageFile.ReadText(scenario.PackageFile);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException or PackageRejectedException)
        {
            var message = error.Message.StartsWith(scenario.PackageFile + ": ", StringComparison.Ordinal) ? error.Message[(scenario.PackageFile.Length + 2)..] : error.Message;
            throw new InputException($"{reader.Name("program.package")}: {message}");
        }
        try
        {
            var key = VendorKeyFile.ReadPublic(scenario.TrustFile);
            using var pem = System.Security.Cryptography.ECDsa.Create();
            pem.ImportSubjectPublicKeyInfo(key, out _);
            return new VendorProgram(text, key, pem.ExportSubjectPublicKeyInfoPem(), Path.GetFullPath(scenario.PackageFile));
        }
        catch (InvalidDataException error)
        {
            var message = error.Message.StartsWith(scenario.TrustFile + ": ", StringComparison.Ordinal) ? error.Message[(scenario.TrustFile.Length + 2)..] : error.Message;
            throw new InputException($"{reader.Name("program.trust")}: {message}");
        }
    }

    /// <summary>The head-end's checks of the user's package, before anything runs: a refusal names the package and the rule.</summary>
    private static ProgramManifest LoadProgram(VendorProgram program, NetworkTopology topology, string key)
    {
        try
        {
            return ScenarioAssembly.LoadPackage(program.PackageText, program.TrustedKey, topology).Manifest;
        }
        catch (PackageRejectedException error)
        {
            throw new InputException($"{key}: refused by the head-end: {error.Message}");
        }
    }

    /// <summary>" (did you mean F?)" for the .conf file of the same folder nearest in spelling to <paramref name="path"/>'s name; "" when none is near.</summary>
    private static string NearestFile(string path)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (!Directory.Exists(folder)) return "";
        var name = Path.GetFileName(path);
        var near = Directory.EnumerateFiles(folder, "*.conf").Select(Path.GetFileName).MinBy(f => Spelling.Distance(f!, name));
        return near is not null && Spelling.Distance(near, name) <= Math.Max(2, name.Length / 4) ? $" (did you mean {Path.Combine(Path.GetDirectoryName(path) ?? "", near)}?)" : "";
    }

    private static string ReadScenarioFile(string path)
    {
        if (Directory.Exists(path)) throw new InputException($"--scenario {path}: is a folder, not a scenario file");
        if (!File.Exists(path)) throw new InputException($"--scenario {path}: no such scenario file{NearestFile(path)}");
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
