using System.Reflection;
using Akka.Configuration;
using Akka.Configuration.Hocon;
using AmiSim.Scenario;

namespace AmiSim.Host.Cli;

/// <summary>
/// Which <c>--set</c> keys outside <c>amisim.scenario</c> mean something: <c>amisim.*</c> keys of
/// hocon/amisim.conf, and <c>akka.*</c> keys of the Akka modules a run uses (their reference
/// configurations), or keys inside the maps that take names of their own (deployments, serializers,
/// persistence plugins). Anything else is refused, with the nearest known key.
/// </summary>
public static class AkkaKeys
{
    /// <summary>Objects whose children are names a user chooses.</summary>
    private static readonly string[] OpenMaps =
    [
        "akka.actor.deployment", "akka.actor.serializers", "akka.actor.serialization-bindings", "akka.actor.serialization-identifiers",
        "akka.persistence.journal", "akka.persistence.snapshot-store", "akka.cluster.role", "akka.remote.dot-netty.tcp.ssl",
    ];

    /// <summary>Keys whose value Akka reads as a log level (and refuses at start with a stack trace otherwise).</summary>
    private static readonly string[] LogLevels = ["akka.loglevel", "akka.stdout-loglevel"];

    /// <summary>The Akka modules whose reference configurations a run reads.</summary>
    private static readonly string[] Modules =
    [
        "Akka.Remote", "Akka.Cluster", "Akka.Cluster.Tools", "Akka.Cluster.Sharding", "Akka.Persistence", "Akka.Persistence.Sql",
        "Akka.Serialization.Hyperion",
    ];

    private static readonly Lazy<HashSet<string>> Known = new(() =>
    {
        var config = ConfigurationFactory.ParseString(HoconLoader.Embedded("amisim.conf")).WithFallback(ConfigurationFactory.Default());
        foreach (var module in Modules)
        {
            Assembly assembly;
            try { assembly = Assembly.Load(new AssemblyName(module)); }
            catch (FileNotFoundException) { continue; }
            foreach (var resource in assembly.GetManifestResourceNames().Where(r => r.EndsWith(".conf", StringComparison.Ordinal)))
            {
                using var reader = new StreamReader(assembly.GetManifestResourceStream(resource)!);
                config = config.WithFallback(ConfigurationFactory.ParseString(reader.ReadToEnd()));
            }
        }
        var keys = new HashSet<string>(StringComparer.Ordinal);
        Collect(config.Root, "", keys);
        return keys;
    });

    /// <summary>
    /// Refuses a <c>--set key=value</c> (<paramref name="item"/>, parsed as <paramref name="config"/>) whose key no
    /// module reads, or whose log level is none. <exception cref="HoconInputException">the key or the level is unknown.</exception>
    /// </summary>
    public static void Check(string item, Config config)
    {
        foreach (var key in HoconGuard.Leaves(config.Root))
        {
            if (Known.Value.Contains(key) || OpenMaps.Any(m => key.StartsWith(m + ".", StringComparison.Ordinal))) continue;
            throw new HoconInputException($"--set {item}: unknown key {key}{Suggest(key)}");
        }
        foreach (var key in LogLevels)
            if (config.HasPath(key) && config.GetString(key)?.Trim().ToUpperInvariant() is not ("OFF" or "ERROR" or "WARNING" or "INFO" or "DEBUG"))
                throw new HoconInputException($"--set {item}: {key}: expected OFF, ERROR, WARNING, INFO or DEBUG");
    }

    private static string Suggest(string key)
    {
        var scenarioKey = ScenarioReader.Root + "." + key;
        if (ScenarioReader.IsKey(scenarioKey)) return $" (did you mean {scenarioKey}?)";
        var near = Known.Value.Where(k => k.Contains('.')).MinBy(k => Spelling.Distance(k, key));
        return near is not null && Spelling.Distance(near, key) <= 3 ? $" (did you mean {near}?)"
            : key.StartsWith("amisim.", StringComparison.Ordinal) ? " (amisim's keys: hocon/amisim.conf; a scenario's: hocon/scenario-reference.conf)"
            : key.StartsWith("akka.", StringComparison.Ordinal) ? " (not a key of the Akka modules amisim uses)"
            : " (scenario keys start with amisim.scenario.: hocon/scenario-reference.conf)";
    }

    private static void Collect(HoconValue value, string path, HashSet<string> keys)
    {
        if (path.Length > 0) keys.Add(path);
        if (!value.IsObject()) return;
        foreach (var (name, child) in value.GetObject().Items) Collect(child, path.Length == 0 ? name : path + "." + name, keys);
    }
}
