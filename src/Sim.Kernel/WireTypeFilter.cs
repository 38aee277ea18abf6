using System.Collections.Frozen;
using System.Reflection.Metadata;

namespace AmiSim.Kernel;

/// <summary>
/// Which types a message from another node may name (<see cref="WireSerializer"/>), judged on the
/// name alone, before any type is loaded. A name is allowed when every type it is made of (the type,
/// its generic arguments and array elements, at any depth) is either from one of AmiSim's own
/// assemblies (simple name starting <c>AmiSim.</c>) or one of the framework's data types in
/// <see cref="Framework"/> (numbers, strings, times, the generic collections and tuples), or one of
/// <paramref name="others"/>: the few other types the nodes' messages carry, such as Akka's
/// surrogate of an actor reference. Anything else (another assembly's type, a framework type that
/// does something when made, a pointer, a name that does not parse) is refused.
/// </summary>
public sealed class WireTypeFilter(IEnumerable<string> others) : Hyperion.ITypeFilter
{
    /// <summary>The framework's types a message may hold, by full name (generic ones by their definition's name).</summary>
    public static readonly FrozenSet<string> Framework = new[]
    {
        "System.Object", "System.Boolean", "System.Char", "System.String", "System.Byte", "System.SByte", "System.Int16", "System.UInt16",
        "System.Int32", "System.UInt32", "System.Int64", "System.UInt64", "System.Single", "System.Double", "System.Decimal",
        "System.DateTime", "System.DateTimeOffset", "System.TimeSpan", "System.Guid", "System.Nullable`1", "System.ReadOnlyMemory`1", "System.Memory`1",
        "System.ValueTuple`1", "System.ValueTuple`2", "System.ValueTuple`3", "System.ValueTuple`4", "System.ValueTuple`5", "System.ValueTuple`6", "System.ValueTuple`7",
        "System.Tuple`1", "System.Tuple`2", "System.Tuple`3", "System.Tuple`4",
        "System.Collections.Generic.List`1", "System.Collections.Generic.Dictionary`2", "System.Collections.Generic.HashSet`1",
        "System.Collections.Generic.KeyValuePair`2", "System.Collections.Generic.Queue`1", "System.Collections.Generic.SortedDictionary`2",
        "System.Collections.Generic.SortedSet`1", "System.Collections.Generic.GenericEqualityComparer`1", "System.Collections.Generic.ObjectEqualityComparer`1",
        "System.Collections.Generic.GenericComparer`1", "System.Collections.Generic.ObjectComparer`1",
        "System.Collections.ObjectModel.ReadOnlyCollection`1",
        "System.Collections.Immutable.ImmutableArray`1", "System.Collections.Immutable.ImmutableList`1", "System.Collections.Immutable.ImmutableDictionary`2",
        "System.Collections.Immutable.ImmutableHashSet`1", "System.Collections.Immutable.ImmutableSortedDictionary`2",
        "System.Collections.Frozen.FrozenSet`1", "System.Collections.Frozen.FrozenDictionary`2",
    }.ToFrozenSet(StringComparer.Ordinal);

    private const string OwnPrefix = "AmiSim.";
    private static readonly FrozenSet<string> FrameworkAssemblies = new[]
    {
        "System.Private.CoreLib", "mscorlib", "netstandard", "System.Runtime", "System.Collections", "System.Collections.Immutable", "System.Memory",
    }.ToFrozenSet(StringComparer.Ordinal);

    private readonly FrozenSet<string> _others = others.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>Hyperion's short form of the core library's version, culture and key (<c>System.Int32, System.Private.CoreLib,%core%</c>).</summary>
    private const string CoreShort = ",%core%";

    public bool IsAllowed(string typeName) => Why(typeName) is null;

    /// <summary>Null when <paramref name="typeName"/> (Hyperion's short assembly-qualified form) may cross; else why not.</summary>
    public string? Why(string typeName)
    {
        if (typeName.Length > 4096) return "a type name of more than 4,096 characters";
        var name = typeName.Replace(CoreShort, "", StringComparison.Ordinal);
        if (!TypeName.TryParse(name.AsSpan(), out var parsed)) return $"'{Shown(typeName)}' is not a type name";
        return Judge(parsed, depth: 0);
    }

    private string? Judge(TypeName type, int depth)
    {
        if (depth > 16) return "a type nested more than 16 deep";
        if (type.IsPointer || type.IsByRef) return $"{type.FullName} is a pointer";
        if (type.IsArray) return Judge(type.GetElementType(), depth + 1);
        if (type.IsConstructedGenericType)
        {
            if (Judge(type.GetGenericTypeDefinition(), depth + 1) is { } definition) return definition;
            foreach (var argument in type.GetGenericArguments())
                if (Judge(argument, depth + 1) is { } why) return why;
            return null;
        }
        var assembly = type.AssemblyName?.Name ?? "";
        if (assembly.StartsWith(OwnPrefix, StringComparison.Ordinal)) return null;
        if (FrameworkAssemblies.Contains(assembly) && Framework.Contains(type.FullName)) return null;
        if (_others.Contains($"{type.FullName}, {assembly}")) return null;
        return $"{Shown(type.FullName)} (of {Shown(assembly)}) is not a type AmiSim's nodes exchange";
    }

    /// <summary>A name from outside as a log line may show it: at most 200 printable characters.</summary>
    private static string Shown(string text)
    {
        var printable = new string(text.Where(c => !char.IsControl(c)).Take(200).ToArray());
        return printable.Length < text.Length ? printable + "..." : printable;
    }
}
