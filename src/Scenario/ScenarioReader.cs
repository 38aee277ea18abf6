using System.Globalization;
using System.Text.RegularExpressions;
using Akka.Configuration;
using Akka.Configuration.Hocon;

namespace AmiSim.Scenario;

/// <summary>
/// Reads scenario keys with the checks a person needs: a key that the reference does not have, or a
/// value of the wrong kind, stops the run with the scenario's name, the key and the problem.
/// </summary>
public sealed partial class ScenarioReader
{
    public const string Root = "amisim.scenario";
    private readonly Config _config;
    private readonly string _source;

    private ScenarioReader(Config config, string source)
    {
        _config = config;
        _source = source;
    }

    /// <summary>The scenario text on top of the reference defaults, then the overrides; unknown keys are rejected.</summary>
    public static ScenarioReader Load(string scenarioText, string source, IEnumerable<string> overrides)
    {
        var reference = ConfigurationFactory.ParseString(HoconLoader.Embedded("scenario-reference.conf"));
        Config scenario;
        try
        {
            CheckBalanced(scenarioText, source);
            scenario = ConfigurationFactory.ParseString(scenarioText);
        }
        catch (Exception error) when (error is ConfigurationException or FormatException)
        {
            throw new ScenarioException($"{source}: not valid HOCON: {FirstLine(error.Message)}");
        }
        var allowed = Leaves(reference.Root).ToHashSet();
        foreach (var key in Leaves(scenario.Root))
            if (!allowed.Contains(key) && !allowed.Any(a => key.StartsWith(a + ".", StringComparison.Ordinal)))
                throw new ScenarioException($"{source}: unknown key {key}{Suggest(key, allowed)}");
        var config = scenario.WithFallback(reference);
        foreach (var item in overrides) // in order: a later --set wins
        {
            Config over;
            try
            {
                over = HoconLoader.ParseOverride(item);
            }
            catch (HoconInputException error)
            {
                throw new ScenarioException(error.Message);
            }
            foreach (var key in Leaves(over.Root))
                if (key.StartsWith(Root, StringComparison.Ordinal) && !allowed.Contains(key))
                    throw new ScenarioException($"--set {item}: unknown key {key}{Suggest(key, allowed)}");
            config = over.WithFallback(config);
        }
        return new ScenarioReader(config, source);
    }

    public string Source => _source;

    public string String(string key) => Get(key, "a string", () => _config.GetString(Path(key)));

    public int Int(string key, int min = int.MinValue, int max = int.MaxValue) =>
        Get(key, $"a whole number in [{min}, {max}]", () => int.Parse(Raw(key), NumberStyles.Integer, CultureInfo.InvariantCulture), v => v >= min && v <= max);

    public long Long(string key) => Get(key, "a whole number", () => long.Parse(Raw(key), NumberStyles.Integer, CultureInfo.InvariantCulture));

    public double Double(string key, double min = double.MinValue, double max = double.MaxValue) =>
        Get(key, $"a number in [{min}, {max}]", () => double.Parse(Raw(key), NumberStyles.Float, CultureInfo.InvariantCulture), v => v >= min && v <= max);

    public bool Bool(string key) => Get(key, "on/off, true/false or yes/no", () => _config.GetBoolean(Path(key)));

    /// <summary>A duration with its unit (for example 150ms, 10s, 30m, 2h, 30d).</summary>
    public TimeSpan Duration(string key) => Get(key, "a duration with a unit, such as 150ms, 10s, 30m, 2h or 3d", () =>
    {
        var raw = Raw(key);
        if (!DurationPattern().IsMatch(raw)) throw new FormatException();
        return _config.GetTimeSpan(Path(key));
    }, v => v >= TimeSpan.Zero);

    public IReadOnlyList<string> Strings(string key) => Get(key, "a list of strings", () => _config.GetStringList(Path(key)).ToList());

    public IReadOnlyList<double> Doubles(string key) =>
        Get(key, "a list of numbers", () => _config.GetStringList(Path(key)).Select(s => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture)).ToList());

    /// <summary>A list of objects, each read with its own reader (keys relative to the object).</summary>
    public IReadOnlyList<T> Objects<T>(string key, Func<ScenarioReader, int, T> read)
    {
        var values = Get(key, "a list of objects", () => _config.GetValue(Path(key)).GetArray());
        return values.Select((value, i) =>
        {
            if (!value.IsObject()) throw new ScenarioException($"{_source}: {Path(key)}[{i}] must be an object {{ ... }}");
            var item = new Config(new HoconRoot(value));
            return read(new ScenarioReader(item, $"{_source}: {Path(key)}[{i}]") { _itemPrefix = "" }, i);
        }).ToList();
    }

    private string _itemPrefix = Root + ".";

    private string Path(string key) => _itemPrefix + key;

    private string Raw(string key)
    {
        var value = _config.GetValue(Path(key)) ?? throw new ScenarioException($"{_source}: {Path(key)} is missing");
        if (!value.IsString()) throw new FormatException();
        return value.GetString().Trim();
    }

    private T Get<T>(string key, string expected, Func<T> read, Func<T, bool>? valid = null)
    {
        T value;
        try
        {
            if (_config.GetValue(Path(key)) is null) throw new ScenarioException($"{_source}: {Path(key)} is missing");
            value = read();
        }
        catch (ScenarioException)
        {
            throw;
        }
        catch (Exception)
        {
            throw new ScenarioException($"{_source}: {Path(key)}: expected {expected}, got '{Describe(key)}'");
        }
        if (valid is not null && !valid(value)) throw new ScenarioException($"{_source}: {Path(key)}: expected {expected}, got '{Describe(key)}'");
        return value;
    }

    private string Describe(string key)
    {
        var value = _config.GetValue(Path(key));
        return value is null ? "" : value.IsString() ? value.GetString() : value.ToString();
    }

    private static IEnumerable<string> Leaves(HoconValue value, string prefix = "")
    {
        if (!value.IsObject())
        {
            yield return prefix;
            yield break;
        }
        foreach (var (name, child) in value.GetObject().Items)
            foreach (var leaf in Leaves(child, prefix.Length == 0 ? name : prefix + "." + name))
                yield return leaf;
    }

    private static string Suggest(string key, HashSet<string> allowed)
    {
        var last = key[(key.LastIndexOf('.') + 1)..];
        var near = allowed.Where(a => a.StartsWith(Root, StringComparison.Ordinal))
            .OrderBy(a => Distance(a[(a.LastIndexOf('.') + 1)..], last)).FirstOrDefault();
        return near is not null && Distance(near[(near.LastIndexOf('.') + 1)..], last) <= 3 ? $" (did you mean {near}?)" : "";
    }

    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
        for (var j = 1; j <= b.Length; j++)
            d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
        return d[a.Length, b.Length];
    }

    private static string FirstLine(string text) => text.Split('\n')[0].Trim();

    /// <summary>
    /// Akka's HOCON parser accepts unclosed braces, brackets and strings silently (and would run a
    /// half-read scenario); this catches them with the line where they were opened.
    /// </summary>
    private static void CheckBalanced(string text, string source)
    {
        var open = new Stack<(char Bracket, int Line)>();
        var line = 1;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\n') line++;
            else if (c == '#' || c == '/' && i + 1 < text.Length && text[i + 1] == '/')
                while (i + 1 < text.Length && text[i + 1] != '\n') i++;
            else if (c == '"')
            {
                var start = line;
                i++;
                while (i < text.Length && text[i] != '"' && text[i] != '\n') i += text[i] == '\\' ? 2 : 1;
                if (i >= text.Length || text[i] != '"') throw new ScenarioException($"{source}, line {start}: a string is not closed");
            }
            else if (c is '{' or '[') open.Push((c, line));
            else if (c is '}' or ']')
            {
                if (open.Count == 0 || open.Pop().Bracket != (c == '}' ? '{' : '['))
                    throw new ScenarioException($"{source}, line {line}: '{c}' closes nothing that was opened");
            }
        }
        if (open.Count > 0) throw new ScenarioException($"{source}, line {open.Peek().Line}: '{open.Peek().Bracket}' is never closed");
    }

    [GeneratedRegex(@"^\d+(\.\d+)?\s*(us|µs|micro|micros|microsecond|microseconds|ms|milli|millis|millisecond|milliseconds|s|second|seconds|m|minute|minutes|h|hour|hours|d|day|days)$")]
    private static partial Regex DurationPattern();
}

/// <summary>A scenario that cannot run; the message names the file (or --set), the key and the problem.</summary>
public sealed class ScenarioException(string message) : Exception(message);
