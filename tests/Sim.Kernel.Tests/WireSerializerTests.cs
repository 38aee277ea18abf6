using Akka.Actor;
using AmiSim.Kernel.Synthetic;
using Xunit;
using static AmiSim.Kernel.KernelProtocol;

namespace AmiSim.Kernel.Tests;

/// <summary>
/// What a message from another node may name (<see cref="WireTypeFilter"/>) and what
/// <see cref="WireSerializer"/> does with one that names anything else: Hyperion's bytes made by a
/// peer that filters nothing, read by a node's serializer.
/// </summary>
public sealed class WireSerializerTests : IDisposable
{
    private readonly ActorSystem _system = ActorSystem.Create("wire", KernelSerialization.Config);
    private readonly Hyperion.Serializer _stranger = new(new Hyperion.SerializerOptions(versionTolerance: true, preserveObjectReferences: true, surrogates: null, serializerFactories: null, knownTypes: null, ignoreISerializable: true, packageNameOverrides: null, disallowUnsafeTypes: false, typeFilter: Hyperion.DisabledTypeFilter.Instance));

    public void Dispose() => _system.Dispose();

    private WireSerializer Wire => (WireSerializer)_system.Serialization.FindSerializerForType(typeof(object));

    private byte[] FromStranger(object message)
    {
        using var stream = new MemoryStream();
        _stranger.Serialize(message, stream);
        return stream.ToArray();
    }

    [Theory]
    [InlineData("AmiSim.Kernel.SimEvent, AmiSim.Sim.Kernel")]
    [InlineData("AmiSim.Kernel.SimEvent[], AmiSim.Sim.Kernel")]
    [InlineData("AmiSim.Kernel.KernelProtocol+RemoteEvents, AmiSim.Sim.Kernel, Version=1.0.0.0, Culture=neutral, PublicKeyToken=null")]
    [InlineData("System.Int64, System.Private.CoreLib,%core%")]
    [InlineData("System.Collections.Generic.List`1[[AmiSim.Kernel.LpId, AmiSim.Sim.Kernel]], System.Private.CoreLib,%core%")]
    [InlineData("System.Collections.Generic.Dictionary`2[[System.Int64, System.Private.CoreLib,%core%],[AmiSim.Kernel.SimTime[], AmiSim.Sim.Kernel]], System.Private.CoreLib,%core%")]
    [InlineData("Akka.Actor.ActorRefBase+Surrogate, Akka")]
    public void Names_of_AmiSim_types_framework_data_and_Akka_references_are_allowed(string name) =>
        Assert.Null(Wire.Filter.Why(name));

    [Theory]
    [InlineData("System.Version, System.Private.CoreLib,%core%", "System.Version")]
    [InlineData("System.IO.FileInfo, System.IO.FileSystem", "System.IO.FileInfo")]
    [InlineData("System.Collections.Generic.List`1[[System.Diagnostics.ProcessStartInfo, System.Diagnostics.Process]], System.Private.CoreLib,%core%", "System.Diagnostics.ProcessStartInfo")]
    [InlineData("System.Collections.Generic.Dictionary`2[[System.String, System.Private.CoreLib,%core%],[Evil.Gadget, Evil]], System.Private.CoreLib,%core%", "Evil.Gadget")]
    [InlineData("AmiSim.Kernel.SimEvent*, AmiSim.Sim.Kernel", "pointer")]
    [InlineData("Akka.Actor.ActorSystemImpl, Akka", "Akka.Actor.ActorSystemImpl")]
    [InlineData("System.Collections.Generic.List`1, Evil", "System.Collections.Generic.List`1 (of Evil)")]
    [InlineData("not a [[type", "is not a type name")]
    [InlineData("", "is not a type name")]
    public void Any_other_name_is_refused_saying_which_type(string name, string named) =>
        Assert.Contains(named, Wire.Filter.Why(name));

    [Fact]
    public void A_name_too_long_is_refused_without_being_parsed() =>
        Assert.Contains("4,096", Wire.Filter.Why(new string('A', 5000)));

    [Fact]
    public void Kernel_messages_cross_and_come_back_equal()
    {
        var events = new[] { new SimEvent(new SimTime(5), SyntheticTraffic.LpOf(1), 1, SyntheticTraffic.LpOf(2), new Token(1, 2, 3)) };
        var back = Assert.IsType<RemoteEvents>(Wire.FromBinary(Wire.ToBinary(new RemoteEvents(3, 1, events)), typeof(object)));
        Assert.Equal(events, back.Events);
        Assert.Equal(new[] { 4L, 9L }, Wire.FromBinary(Wire.ToBinary(new List<long> { 4, 9 }), typeof(object)));
    }

    [Fact]
    public void A_message_naming_a_type_outside_the_filter_is_refused_before_it_is_made()
    {
        var refused = Assert.Throws<WireTypeRefusedException>(() => Wire.FromBinary(FromStranger(new Version(1, 2)), typeof(object)));
        Assert.Contains("System.Version (of System.Private.CoreLib) is not a type AmiSim's nodes exchange", refused.Message);

        // Deep inside an allowed message: an event whose payload is a stranger's type.
        var hidden = new RemoteEvents(3, 1, new[] { new SimEvent(new SimTime(5), SyntheticTraffic.LpOf(1), 1, SyntheticTraffic.LpOf(2), new Uri("http://example.org")) });
        Assert.Contains("System.Uri", Assert.Throws<WireTypeRefusedException>(() => Wire.FromBinary(FromStranger(hidden), typeof(object))).Message);
    }

    [Fact]
    public void Bytes_that_are_no_message_are_an_error_not_a_crash()
    {
        var error = Record.Exception(() => Wire.FromBinary([0xFF, 0x13, 0x00, 0x42, 0x42], typeof(object)));
        Assert.IsAssignableFrom<System.Runtime.Serialization.SerializationException>(error);
    }
}
