using Akka.Configuration;
using Akka.Configuration.Hocon;

namespace AmiSim.Scenario;

/// <summary>
/// What Akka's HOCON parser is not asked to survive, caught before and right after it parses: it
/// accepts unclosed braces and strings silently, fails with a NullReferenceException on
/// <c>include</c>, and builds cyclic trees from substitutions that refer to themselves or name no key
/// (<c>${?X}</c> resolves to the whole document), which then loop without end when read. Every check
/// throws <see cref="HoconInputException"/> naming the source, the line or the key, and the problem.
/// </summary>
public static class HoconGuard
{
    /// <summary>The largest HOCON text read (a scenario with 100,000 outages is about 6 MB).</summary>
    public const int MaxChars = 32 << 20;

    /// <summary>Deepest nesting of objects and arrays, substitutions followed.</summary>
    private const int MaxDepth = 64;

    /// <summary>Parses <paramref name="text"/> once every check has passed; <paramref name="source"/> names it in errors.</summary>
    public static Config Parse(string text, string source)
    {
        CheckText(text, source);
        Config config;
        try
        {
            config = ConfigurationFactory.ParseString(text);
        }
        catch (Exception error) when (error is not OutOfMemoryException and not StackOverflowException)
        {
            var message = error.Message.Split('\n')[0].Trim();
            const string unresolved = "Unresolved substitution: ";
            if (message.StartsWith(unresolved, StringComparison.Ordinal) && LineOf(text, "${" + message[unresolved.Length..].Trim() + "}") is { } line)
                throw new HoconInputException($"{source}, line {line}: {message[unresolved.Length..].Trim()} does not resolve: a substitution names a key set in the same text");
            var hint = message.Contains("unquoted", StringComparison.Ordinal) ? " (quote a value that holds = or :, such as key=\"http://host:8080/\")" : "";
            throw new HoconInputException($"{source}: not valid HOCON: {message}{hint}");
        }
        CheckTree(config.Root, "", source, new HashSet<HoconValue>(ReferenceEqualityComparer.Instance), 0);
        return config;
    }

    /// <summary>Size, characters, brackets and strings, and <c>include</c>, on the raw text.</summary>
    private static void CheckText(string text, string source)
    {
        if (text.Length > MaxChars)
            throw new HoconInputException($"{source}: {text.Length:N0} characters, more than the {MaxChars:N0} a HOCON text may have");
        var open = new Stack<(char Bracket, int Line)>();
        var line = 1;
        var lineStart = true; // only blanks since the line began, or since an opening brace
        var assigned = false; // a key's '=' or ':' was seen on this line, and no value has ended since
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\n')
            {
                line++;
                lineStart = true;
                assigned = false;
                continue;
            }
            if (c == '#' || c == '/' && i + 1 < text.Length && text[i + 1] == '/')
            {
                while (i + 1 < text.Length && text[i + 1] != '\n') i++;
                continue;
            }
            if (c == '"')
            {
                var start = line;
                var triple = i + 2 < text.Length && text[i + 1] == '"' && text[i + 2] == '"';
                if (triple)
                {
                    var end = text.IndexOf("\"\"\"", i + 3, StringComparison.Ordinal);
                    if (end < 0) throw new HoconInputException($"{source}, line {start}: a \"\"\" string is not closed");
                    line += text.AsSpan(i, end - i).Count('\n');
                    i = end + 2;
                }
                else
                {
                    i++;
                    while (i < text.Length && text[i] != '"' && text[i] != '\n')
                    {
                        if (char.IsControl(text[i]) && text[i] != '\t') throw Unexpected(source, line, text[i]);
                        i += text[i] == '\\' ? 2 : 1;
                    }
                    if (i >= text.Length || text[i] != '"') throw new HoconInputException($"{source}, line {start}: a string is not closed");
                }
                lineStart = false;
                continue;
            }
            if (c is ' ' or '\t' or '\r' or '\uFEFF') continue;
            if (c > '~' || c < ' ') throw Unexpected(source, line, c);
            if (lineStart && string.CompareOrdinal(text, i, "include", 0, 7) == 0 && (i + 7 == text.Length || !char.IsLetterOrDigit(text[i + 7]) && text[i + 7] != '-'))
                throw new HoconInputException($"{source}, line {line}: include is not supported here: put the keys in this file, or give them with --set");
            if (c is '=' or ':')
            {
                if (assigned) throw new HoconInputException($"{source}, line {line}: a second '{c}' after a key's '=' or ':': quote a value that holds one, such as key = \"22:00-05:00\"");
                assigned = true;
            }
            else if (c is '{' or '[' or ',' or '}' or ']') assigned = false;
            lineStart = c is '{' or ',';
            if (c is '{' or '[') open.Push((c, line));
            else if (c is '}' or ']')
            {
                if (open.Count == 0 || open.Pop().Bracket != (c == '}' ? '{' : '['))
                    throw new HoconInputException($"{source}, line {line}: '{c}' closes nothing that was opened");
            }
        }
        if (open.Count > 0) throw new HoconInputException($"{source}, line {open.Peek().Line}: '{open.Peek().Bracket}' is never closed");
    }

    /// <summary>The first line of <paramref name="text"/> that holds <paramref name="part"/>, if one does.</summary>
    private static int? LineOf(string text, string part)
    {
        var at = text.IndexOf(part, StringComparison.Ordinal);
        return at < 0 ? null : 1 + text.AsSpan(0, at).Count('\n');
    }

    private static HoconInputException Unexpected(string source, int line, char c) =>
        new($"{source}, line {line}: unexpected character {(c <= 0xFF ? $"\\x{(int)c:x2}" : $"\\u{(int)c:x4}")} (keys and values are plain ASCII outside quoted strings; is the file UTF-8 text?)");

    /// <summary>Every substitution resolves to a value that does not contain it, and nothing nests too deep.</summary>
    private static void CheckTree(HoconValue value, string path, string source, HashSet<HoconValue> onPath, int depth)
    {
        var key = path.Length == 0 ? "the document" : path;
        if (depth > MaxDepth) throw new HoconInputException($"{source}: {key}: nested more than {MaxDepth} deep");
        if (!onPath.Add(value)) throw new HoconInputException($"{source}: {key}: a substitution refers to a value that contains it");
        foreach (var element in value.Values)
            switch (element)
            {
                case HoconSubstitution substitution:
                    if (string.IsNullOrWhiteSpace(substitution.Path))
                        throw new HoconInputException($"{source}: {key}: a substitution that names no key (optional substitutions ${{?...}} are not supported)");
                    if (substitution.ResolvedValue is null || substitution.ResolvedValue.Values.Count == 0)
                        throw new HoconInputException($"{source}: {key}: ${{{substitution.Path}}} does not resolve: a substitution names a key set in the same text");
                    CheckTree(substitution.ResolvedValue, path, source, onPath, depth + 1);
                    break;
                case HoconObject obj:
                    foreach (var (name, child) in obj.Items) CheckTree(child, path.Length == 0 ? name : $"{path}.{name}", source, onPath, depth + 1);
                    break;
                case HoconArray array:
                    for (var i = 0; i < array.Count; i++) CheckTree(array[i], $"{path}[{i}]", source, onPath, depth + 1);
                    break;
            }
        onPath.Remove(value);
    }

    /// <summary>The full names of every value under <paramref name="value"/> that is not an object (an empty object counts as one).</summary>
    public static IEnumerable<string> Leaves(HoconValue value, string prefix = "")
    {
        if (!value.IsObject() || value.GetObject().Items.Count == 0)
        {
            yield return prefix;
            yield break;
        }
        foreach (var (name, child) in value.GetObject().Items)
            foreach (var leaf in Leaves(child, prefix.Length == 0 ? name : prefix + "." + name))
                yield return leaf;
    }
}
