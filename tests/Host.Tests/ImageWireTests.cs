using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Akka.Actor;
using Akka.Configuration;
using AmiSim.Kernel;
using AmiSim.Protocol.C1219;
using AmiSim.Protocol.Network;
using AmiSim.Protocol.Programs;
using AmiSim.Scenario;
using Xunit;
using Xunit.Abstractions;

namespace AmiSim.Host.Tests;

/// <summary>Image chunks between nodes: blocks of the loaded program travel as references into it, not with the whole image.</summary>
public sealed class ImageWireTests(ITestOutputHelper output) : IAsyncLifetime
{
    private ActorSystem _system = null!;

    public Task InitializeAsync()
    {
        var config = ConfigurationFactory.ParseString("akka.loglevel = WARNING").WithFallback(ImageWire.Config).WithFallback(KernelSerialization.Config);
        _system = ActorSystem.Create("wire", config);
        return Task.CompletedTask;
    }

    public Task DisposeAsync() => _system.Terminate();

    private (byte[] Bytes, KernelProtocol.RemoteEvents Back) RoundTrip(ImageChunk chunk)
    {
        var events = new[] { new SimEvent(new SimTime(1), new LpId(AmiLps.Meter, 1), 1, new LpId(AmiLps.Collector, 1), new MeshDownlink(null, chunk)) };
        var message = new KernelProtocol.RemoteEvents(1, 0, events);
        var serializer = _system.Serialization.FindSerializerFor(message);
        var bytes = serializer.ToBinary(message);
        return (bytes, (KernelProtocol.RemoteEvents)_system.Serialization.Deserialize(bytes, serializer.Identifier, typeof(KernelProtocol.RemoteEvents)));
    }

    private static ProgramPackage Package(string id, int size)
    {
        var content = RandomNumberGenerator.GetBytes(size);
        var manifest = new ProgramManifest { ProgramId = id, Kind = ProgramKind.Firmware, Version = new FirmwareVersion(3, 0), Size = size, BlockSize = 512 };
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return ProgramPackage.Sign(manifest, content, key);
    }

    [Fact]
    public void A_chunk_of_the_loaded_program_travels_as_references_into_it()
    {
        var package = Package("FW-WIRE-1", 256 * 1024);
        ImageWire.Register(package);
        var chunk = new ImageChunk("FW-WIRE-1", 512, Enumerable.Range(40, 8).Select(i => new ImageBlock(i, package.Content.Slice(i * 512, 512))).ToArray());

        var (bytes, back) = RoundTrip(chunk);

        output.WriteLine($"{bytes.Length} bytes for one event carrying an 8-block chunk");
        Assert.InRange(bytes.Length, 1, 2_000); // not the 256 KiB image (263,549 bytes before)
        var arrived = Assert.IsType<ImageChunk>(Assert.IsType<MeshDownlink>(Assert.Single(back.Events).Payload).Frame);
        Assert.Equal(chunk.Blocks.Select(b => b.Number), arrived.Blocks.Select(b => b.Number));
        Assert.All(arrived.Blocks, b => Assert.Equal(package.Content.Slice(b.Number * 512, 512).ToArray(), b.Data.ToArray()));
        // Slices of this node's copy, so block digests stay cached for the whole fleet.
        Assert.True(MemoryMarshal.TryGetArray(arrived.Blocks[0].Data, out var segment) && MemoryMarshal.TryGetArray(package.Content, out var content)
                    && ReferenceEquals(segment.Array, content.Array));
    }

    [Fact]
    public void Other_blocks_travel_by_value()
    {
        var stray = RandomNumberGenerator.GetBytes(512);
        var chunk = new ImageChunk("FW-NOT-LOADED", 512, [new ImageBlock(3, stray)]);

        var (bytes, back) = RoundTrip(chunk);

        var arrived = Assert.IsType<ImageChunk>(Assert.IsType<MeshDownlink>(Assert.Single(back.Events).Payload).Frame);
        Assert.Equal(stray, arrived.Blocks[0].Data.ToArray());
        Assert.InRange(bytes.Length, 512, 2_000);
    }
}
