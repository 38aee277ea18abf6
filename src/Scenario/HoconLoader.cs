using System.Reflection;
using Akka.Configuration;

namespace AmiSim.Scenario;

/// <summary>Loads AmiSim's HOCON: the embedded defaults, then files, then <c>--set key=value</c> overrides.</summary>
public static class HoconLoader
{
    /// <summary>The text of an embedded file of hocon/ (for example "amisim.conf").</summary>
    public static string Embedded(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("hocon/" + name)
                           ?? throw new FileNotFoundException($"hocon/{name} is not embedded in amisim");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>The embedded defaults with <paramref name="overrides"/> ("key=value", HOCON syntax for the value) on top.</summary>
    /// <param name="check">given each override and its parsed config before it is applied; throws to refuse it.</param>
    /// <exception cref="HoconInputException">an override is not "key=value" or its value is not HOCON.</exception>
    public static Config Load(IEnumerable<string> overrides, Action<string, Config>? check = null)
    {
        var config = ConfigurationFactory.ParseString(Embedded("amisim.conf"));
        foreach (var item in overrides) // in order: a later --set wins
        {
            var over = ParseOverride(item);
            check?.Invoke(item, over);
            config = over.WithFallback(config);
        }
        return config;
    }

    /// <summary>One "key=value" override as a config. <exception cref="HoconInputException">not key=value, or the value is not HOCON.</exception></summary>
    public static Config ParseOverride(string item)
    {
        var equals = item.IndexOf('=');
        if (equals <= 0)
            throw new HoconInputException($"--set {item}: expected key=value, for example --set amisim.scenario.seed=7");
        var key = item[..equals].Trim();
        var value = item[(equals + 1)..].Trim();
        if (value.Length == 0) throw new HoconInputException($"--set {item}: no value after '=' (quote an empty string: {key}=\"\")");
        if (key.Contains('\n') || value.Contains('\n')) throw new HoconInputException($"--set {item}: one key=value on one line");
        return HoconGuard.Parse($"{key} = {value}", $"--set {item}");
    }
}

/// <summary>Configuration input (a file, a --set) that cannot be used; the message names what and why.</summary>
public sealed class HoconInputException(string message) : Exception(message);
