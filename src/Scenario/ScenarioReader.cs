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

    /// <summary>The --set that gave a key (and everything under it), for errors that name where a value came from.</summary>
    private readonly IReadOnlyDictionary<string, string> _setBy;

    /// <summary>The keys the scenario text gives (its leaves), to tell them from the reference's defaults.</summary>
    private readonly IReadOnlySet<string> _inScenario;

    private ScenarioReader(Config config, string source, IReadOnlyDictionary<string, string>? setBy = null, IReadOnlySet<string>? inScenario = null)
    {
        _config = config;
        _source = source;
        _setBy = setBy ?? new Dictionary<string, string>();
        _inScenario = inScenario ?? new HashSet<string>();
    }

    /// <summary>The scenario text on top of the reference defaults, then the overrides (each a --set's HOCON); unknown keys are rejected.</summary>
    public static ScenarioReader Load(string scenarioText, string source, IEnumerable<string> overrides) =>
        LoadWith(scenarioText, source, overrides.Select(item => new ScenarioOverride(item, $"--set {item}")));

    /// <summary>The scenario text on top of the reference defaults, then the overrides in order (a later one wins); unknown keys are rejected.</summary>
    public static ScenarioReader LoadWith(string scenarioText, string source, IEnumerable<ScenarioOverride> overrides)
    {
        var reference = Reference.Value;
        Config scenario;
        try
        {
            scenario = HoconGuard.Parse(scenarioText, source);
        }
        catch (HoconInputException error)
        {
            throw new ScenarioException(error.Message);
        }
        var allowed = ReferenceKeys.Value;
        foreach (var key in HoconGuard.Leaves(scenario.Root).Where(k => k.Length > 0)) // an empty file has the root alone
            if (!allowed.Contains(key) && !allowed.Any(a => key.StartsWith(a + ".", StringComparison.Ordinal) || a.StartsWith(key + ".", StringComparison.Ordinal)))
                throw new ScenarioException($"{source}: unknown key {key}{Suggest(key, allowed)}");
        var config = scenario.WithFallback(reference);
        var setBy = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (item, label) in overrides) // in order: a later one wins
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
            foreach (var key in HoconGuard.Leaves(over.Root))
            {
                if (key.StartsWith(Root, StringComparison.Ordinal) && !allowed.Contains(key) && !allowed.Any(a => a.StartsWith(key + ".", StringComparison.Ordinal)))
                    throw new ScenarioException($"{label}: unknown key {key}{Suggest(key, allowed)}");
                setBy[key] = label;
            }
            config = over.WithFallback(config);
        }
        return new ScenarioReader(config, source, setBy, HoconGuard.Leaves(scenario.Root).Where(k => k.Length > 0).ToHashSet(StringComparer.Ordinal));
    }

    private static readonly Lazy<Config> Reference = new(() => ConfigurationFactory.ParseString(HoconLoader.Embedded("scenario-reference.conf")));

    private static readonly Lazy<HashSet<string>> ReferenceKeys = new(() => HoconGuard.Leaves(Reference.Value.Root).ToHashSet());

    /// <summary>Whether <paramref name="key"/> (with its amisim.scenario. prefix) is a key of the scenario reference.</summary>
    public static bool IsKey(string key) => ReferenceKeys.Value.Contains(key);

    public string Source => _source;

    /// <summary>Where <paramref name="key"/>'s value came from and its full name, as errors begin ("small.conf: amisim.scenario.until").</summary>
    public string Name(string key) => Origin(key) is var origin && origin.StartsWith("--", StringComparison.Ordinal) && !origin.StartsWith("--set ", StringComparison.Ordinal)
        ? origin // a command-line option names itself ("--package fw.amipkg")
        : $"{origin}: {Path(key)}";

    /// <summary>
    /// Who gave <paramref name="key"/> (or something under it) a value: the override's label (a --set, a
    /// command-line option), the scenario's source, or null when it has the reference's default.
    /// </summary>
    public string? GivenBy(string key)
    {
        var path = Path(key);
        foreach (var (set, item) in _setBy.Reverse())
            if (set == path || set.StartsWith(path + ".", StringComparison.Ordinal) || path.StartsWith(set + ".", StringComparison.Ordinal)) return item;
        foreach (var given in _inScenario)
            if (given == path || given.StartsWith(path + ".", StringComparison.Ordinal)) return _source;
        return null;
    }

    /// <summary>
    /// Every scenario key (without the amisim.scenario. prefix, in key order) whose value differs from the
    /// reference's default, with its value, the default and who gave it: what makes this run this scenario.
    /// </summary>
    public IReadOnlyList<ScenarioKeyValue> Differences()
    {
        var differences = new List<ScenarioKeyValue>();
        foreach (var path in ReferenceKeys.Value.Where(k => k.StartsWith(Root + ".", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            var value = Render(_config.GetValue(path));
            var standard = Render(Reference.Value.GetValue(path));
            var key = path[(Root.Length + 1)..];
            if (value != standard) differences.Add(new ScenarioKeyValue(key, value, standard, GivenBy(key) ?? _source));
        }
        return differences;
    }

    private static string Render(HoconValue? value) => value is null ? "" : value.IsString() ? value.GetString() : value.ToString().Trim();

    private string Origin(string key)
    {
        var path = Path(key);
        foreach (var (set, item) in _setBy)
            if (set == path || set.StartsWith(path + ".", StringComparison.Ordinal) || path.StartsWith(set + ".", StringComparison.Ordinal)) return item;
        return _source;
    }

    public string String(string key) => Get(key, "a string", () => Scalar(key) ? _config.GetString(Path(key)) : throw new FormatException());

    public int Int(string key, int min = int.MinValue, int max = int.MaxValue) =>
        Get(key, $"a whole number in [{min}, {max}]", () => int.Parse(Raw(key), NumberStyles.Integer, CultureInfo.InvariantCulture), v => v >= min && v <= max);

    public long Long(string key) => Get(key, "a whole number", () => long.Parse(Raw(key), NumberStyles.Integer, CultureInfo.InvariantCulture));

    public double Double(string key, double min = double.MinValue, double max = double.MaxValue) =>
        Get(key, $"a number in [{min}, {max}]", () => double.Parse(Raw(key), NumberStyles.Float, CultureInfo.InvariantCulture), v => v >= min && v <= max);

    public bool Bool(string key) => Get(key, "on/off, true/false or yes/no", () => _config.GetBoolean(Path(key)));

    /// <summary>The longest duration a scenario takes (virtual time runs in microseconds; a campaign lasts days).</summary>
    public static readonly TimeSpan MaxDuration = TimeSpan.FromDays(10_000);

    /// <summary>A duration with its unit (for example 150ms, 10s, 30m, 2h, 30d), from 0 to <see cref="MaxDuration"/>.</summary>
    public TimeSpan Duration(string key) => Get(key, "a duration from 0 to 10000d with a unit, such as 150ms, 10s, 30m, 2h or 3d", () =>
    {
        var match = DurationPattern().Match(Raw(key));
        if (!match.Success) throw new FormatException();
        var number = double.Parse(match.Groups[1].Value, NumberStyles.Float, CultureInfo.InvariantCulture);
        var unit = match.Groups[3].Value switch
        {
            "us" or "µs" or "micro" or "micros" or "microsecond" or "microseconds" => TimeSpan.FromMicroseconds(1),
            "ms" or "milli" or "millis" or "millisecond" or "milliseconds" => TimeSpan.FromMilliseconds(1),
            "s" or "second" or "seconds" => TimeSpan.FromSeconds(1),
            "m" or "minute" or "minutes" => TimeSpan.FromMinutes(1),
            "h" or "hour" or "hours" => TimeSpan.FromHours(1),
            _ => TimeSpan.FromDays(1),
        };
        var ticks = number * unit.Ticks;
        return ticks > MaxDuration.Ticks * 2.0 ? throw new FormatException() : TimeSpan.FromTicks((long)Math.Round(ticks));
    }, v => v >= TimeSpan.Zero && v <= MaxDuration);

    public IReadOnlyList<string> Strings(string key) => Get(key, "a list of strings such as [\"a\", \"b\"]", () => List(key).Select(v => v.GetString()).ToList());

    public IReadOnlyList<double> Doubles(string key, double min = double.MinValue, double max = double.MaxValue) =>
        Get(key, $"a list of numbers in [{min}, {max}], such as [1, 2]",
            () => List(key).Select(v => double.Parse(v.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture)).ToList(),
            values => values.All(v => v >= min && v <= max && double.IsFinite(v)));

    /// <summary>Whether an optional key is given (an object's key so asked is one it may have).</summary>
    public bool Has(string key) => _config.GetValue(Path(key)) is not null;

    /// <summary>A list of objects, each read with its own reader (keys relative to the object).</summary>
    public IReadOnlyList<T> Objects<T>(string key, Func<ScenarioReader, int, T> read)
    {
        var values = Get(key, "a list of objects such as [{ ... }, { ... }]", () => Items(_config.GetValue(Path(key))));
        return values.Select((value, i) =>
        {
            if (!value.IsObject()) throw new ScenarioException($"{Name(key)}[{i}] must be an object {{ ... }}");
            var item = new ScenarioReader(new Config(new HoconRoot(value)), $"{Name(key)}[{i}]") { _itemPrefix = "", _asked = [] };
            var result = read(item, i);
            var unknown = HoconGuard.Leaves(value).Where(k => k.Length > 0 && !item._asked!.Contains(k.Split('.')[0])).ToList();
            if (unknown.Count > 0)
                throw new ScenarioException($"{item._source}: unknown key {unknown[0]} (an element here has {string.Join(", ", item._asked!.Order(StringComparer.Ordinal))})");
            return result;
        }).ToList();
    }

    private string _itemPrefix = Root + ".";

    /// <summary>For a list element's reader: the keys it was asked for, so that any other key in the element is refused.</summary>
    private HashSet<string>? _asked;

    private string Path(string key)
    {
        _asked?.Add(key);
        return _itemPrefix + key;
    }

    /// <summary>Whether the key holds one plain value (not a list or an object).</summary>
    private bool Scalar(string key) => _config.GetValue(Path(key)) is { } value && value.IsString();

    /// <summary>The key's list, each element a plain value. <exception cref="FormatException">not a list of plain values.</exception></summary>
    private IList<HoconValue> List(string key)
    {
        var items = Items(_config.GetValue(Path(key)));
        return items.All(i => i.IsString()) ? items : throw new FormatException();
    }

    /// <summary>
    /// The elements of a list (lists written one after another are one list). Akka's own IsArray()
    /// says false for an empty list, so the elements are read here; so is the blank that Akka's parser
    /// keeps after a list closed on the line of its object's end (<c>{ list = [...] }</c>), which is not an element.
    /// <exception cref="FormatException">the value is not a list.</exception>
    /// </summary>
    private static IList<HoconValue> Items(HoconValue value)
    {
        var parts = value.Values.Where(e => !(e is HoconLiteral { Value: var text } && string.IsNullOrWhiteSpace(text))).ToList();
        return parts.Count > 0 && parts.All(e => e is HoconArray) ? parts.Cast<HoconArray>().SelectMany(a => a).ToList() : throw new FormatException();
    }

    private string Raw(string key)
    {
        var value = _config.GetValue(Path(key)) ?? throw new ScenarioException($"{Name(key)} is missing");
        if (!value.IsString()) throw new FormatException();
        return value.GetString().Trim();
    }

    private T Get<T>(string key, string expected, Func<T> read, Func<T, bool>? valid = null)
    {
        T value;
        try
        {
            if (_config.GetValue(Path(key)) is null) throw new ScenarioException($"{Name(key)} is missing");
            value = read();
        }
        catch (ScenarioException)
        {
            throw;
        }
        catch (Exception)
        {
            throw new ScenarioException($"{Name(key)}: expected {expected}, got '{Describe(key)}'");
        }
        if (valid is not null && !valid(value)) throw new ScenarioException($"{Name(key)}: expected {expected}, got '{Describe(key)}'");
        return value;
    }

    private string Describe(string key)
    {
        var value = _config.GetValue(Path(key));
        if (value is null) return "";
        if (value.IsString()) return AmiSim.Protocol.OutsideText.Clean(value.GetString());
        return value.Values.FirstOrDefault() switch
        {
            HoconArray => "a list",
            HoconObject => "an object { ... }",
            _ => "nothing",
        };
    }

    private static string Suggest(string key, HashSet<string> allowed)
    {
        var last = key[(key.LastIndexOf('.') + 1)..];
        var near = allowed.Where(a => a.StartsWith(Root, StringComparison.Ordinal))
            .OrderBy(a => Spelling.Distance(a[(a.LastIndexOf('.') + 1)..], last)).ThenBy(a => Spelling.Distance(a, key)).FirstOrDefault();
        return near is not null && Spelling.Distance(near[(near.LastIndexOf('.') + 1)..], last) <= Math.Max(1, last.Length / 3)
            ? $" (did you mean {near}?)"
            : " (every key: hocon/scenario-reference.conf)";
    }

    [GeneratedRegex(@"^(\d+(\.\d+)?)\s*(us|µs|micro|micros|microsecond|microseconds|ms|milli|millis|millisecond|milliseconds|s|second|seconds|m|minute|minutes|h|hour|hours|d|day|days)$")]
    private static partial Regex DurationPattern();
}

/// <summary>A scenario that cannot run; the message names the file (or --set), the key and the problem.</summary>
public sealed class ScenarioException(string message) : Exception(message);

/// <summary>One override of a scenario's keys: its HOCON text and what to call it in errors ("--set ...", "--package FILE").</summary>
public sealed record ScenarioOverride(string Hocon, string Label);

/// <summary>A scenario key (relative to amisim.scenario), its value, the reference's default, and who gave the value (a file, a --set, an option).</summary>
public sealed record ScenarioKeyValue(string Key, string Value, string Default, string GivenBy);
