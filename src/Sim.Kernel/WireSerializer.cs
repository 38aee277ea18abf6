using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Configuration;
using Akka.Serialization;
using Akka.Util;
using Hyperion;

namespace AmiSim.Kernel;

/// <summary>A message from another node named a type outside <see cref="WireTypeFilter"/>: it was dropped, and nothing of it was made.</summary>
public sealed class WireTypeRefusedException(string why, Exception inner) : SerializationException($"refused a message from another node: {why}", inner);

/// <summary>
/// Akka serializer for every cross-node message without a more specific binding: Hyperion's binary
/// form (which keeps the run-time type of every field, such as an event's payload), with Hyperion's
/// unsafe-type protection on and every type name a message carries judged by
/// <see cref="WireTypeFilter"/> before the type is loaded. Akka's own Hyperion serializer takes a
/// type filter only as a list of exact names (its <c>HyperionSerializerSetup</c> is not applied in
/// 1.5.73), which cannot name every generic instantiation a message may hold.
/// Configuration (<c>akka.actor.serialization-settings.amisim-wire</c>): <c>surrogates</c>, the
/// assembly-qualified names of Hyperion surrogates to use; <c>allowed-types</c>, further types
/// ("Namespace.Type, Assembly") a message may name.
/// </summary>
public sealed class WireSerializer : Akka.Serialization.Serializer
{
    /// <summary>Akka serializer id (ids up to 100 are Akka's own).</summary>
    public const int SerializerId = 7302;

    /// <summary>Types outside AmiSim and the framework that the nodes' messages carry: Akka's surrogates of actor references and paths.</summary>
    public static readonly IReadOnlyList<string> AkkaTypes =
    [
        "Akka.Actor.IActorRef, Akka", "Akka.Actor.ActorRefBase+Surrogate, Akka", "Akka.Actor.ActorPath+Surrogate, Akka", "Akka.Actor.Address+AddressSurrogate, Akka",
        "Akka.Actor.Nobody+NobodySurrogate, Akka", "Akka.Actor.Status+Success, Akka", "Akka.Actor.Status+Failure, Akka",
    ];

    /// <summary>Registers the serializer for every object without a more specific binding.</summary>
    public static Config Config { get; } = ConfigurationFactory.ParseString($$"""
        akka.actor {
          serializers.amisim-wire = "{{typeof(WireSerializer).FullName}}, {{typeof(WireSerializer).Assembly.GetName().Name}}"
          serialization-bindings { "System.Object" = amisim-wire }
          serialization-settings.amisim-wire { surrogates = [], allowed-types = [] }
        }
        """);

    private readonly Hyperion.Serializer _hyperion;

    /// <summary>The filter every type name of an incoming message passes.</summary>
    public WireTypeFilter Filter { get; }

    public WireSerializer(ExtendedActorSystem system) : this(system, Config.GetConfig("akka.actor.serialization-settings.amisim-wire")) { }

    public WireSerializer(ExtendedActorSystem system, Config config) : base(system)
    {
        var surrogates = config.GetStringList("surrogates", [])
            .Select(name => Type.GetType(name) ?? throw new ConfigurationException($"amisim-wire surrogate '{name}': no such type"))
            .Select(type => (Surrogate)Activator.CreateInstance(type)!)
            .Append(Surrogate.Create<ISurrogated, ISurrogate>(from => from.ToSurrogate(system), to => to.FromSurrogate(system)))
            .ToList();
        Filter = new WireTypeFilter(AkkaTypes.Concat(config.GetStringList("allowed-types", [])));
        _hyperion = new Hyperion.Serializer(new SerializerOptions(versionTolerance: true, preserveObjectReferences: true, surrogates: surrogates,
            serializerFactories: null, knownTypes: null, ignoreISerializable: true, packageNameOverrides: null, disallowUnsafeTypes: true, typeFilter: Filter));
    }

    public override int Identifier => SerializerId;

    public override bool IncludeManifest => false;

    public override byte[] ToBinary(object obj)
    {
        using var stream = new MemoryStream();
        _hyperion.Serialize(obj, stream);
        return stream.ToArray();
    }

    /// <exception cref="WireTypeRefusedException">the message names a type outside the filter (or one of Hyperion's unsafe ones).</exception>
    /// <exception cref="SerializationException">the bytes are not a message.</exception>
    public override object FromBinary(byte[] bytes, Type type)
    {
        try
        {
            using var stream = new MemoryStream(bytes);
            return _hyperion.Deserialize<object>(stream);
        }
        catch (Exception error)
        {
            // Hyperion wraps a refusal deep inside a message in its own SerializationException.
            for (var cause = error; cause is not null; cause = cause.InnerException)
                if (cause is Hyperion.Internal.EvilDeserializationException evil)
                    throw new WireTypeRefusedException(Filter.Why(evil.BadTypeString) ?? $"{evil.BadTypeString} is one of the types Hyperion never makes", evil);
            throw new SerializationException($"a message from another node could not be read: {error.Message}", error);
        }
    }
}
