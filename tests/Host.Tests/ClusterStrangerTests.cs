using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Akka.Actor;
using Akka.Configuration;
using AmiSim.Kernel;
using Xunit;

namespace AmiSim.Host.Tests;

/// <summary>
/// A stranger that reaches a node of a plain-TCP cluster (`--insecure`, or loopback) and sends it
/// messages naming types the nodes do not exchange: an Akka system of the test's own, whose
/// serializer writes Hyperion's bytes under the nodes' serializer id and filters nothing.
/// </summary>
[Collection("runs")]
public sealed partial class ClusterStrangerTests : IDisposable
{
    private static readonly string Small = Path.Combine(AppContext.BaseDirectory, "scenarios", "small.conf");
    private readonly string _dir = Directory.CreateTempSubdirectory("amisim-stranger-").FullName;
    private readonly AmisimProcesses _processes = new();

    public void Dispose()
    {
        _processes.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [GeneratedRegex(@"result digest ([0-9a-f]{64})")]
    private static partial Regex DigestLine();

    [GeneratedRegex(@"node (akka\.tcp://amisim@127\.0\.0\.1:\d+) joining")]
    private static partial Regex NodeLine();

    /// <summary>Writes any object as Hyperion's bytes with the id of the nodes' <see cref="WireSerializer"/>.</summary>
    public sealed class StrangerSerializer(ExtendedActorSystem system) : Akka.Serialization.Serializer(system)
    {
        private readonly Hyperion.Serializer _hyperion = new(new Hyperion.SerializerOptions(versionTolerance: true, preserveObjectReferences: true, surrogates: null, serializerFactories: null, knownTypes: null, ignoreISerializable: true, packageNameOverrides: null, disallowUnsafeTypes: false, typeFilter: Hyperion.DisabledTypeFilter.Instance));

        public override int Identifier => WireSerializer.SerializerId;

        public override bool IncludeManifest => false;

        public override byte[] ToBinary(object obj)
        {
            using var stream = new MemoryStream();
            _hyperion.Serialize(obj, stream);
            return stream.ToArray();
        }

        public override object FromBinary(byte[] bytes, Type type) => throw new NotSupportedException("a stranger only sends");
    }

    [Fact]
    public async Task Messages_naming_types_outside_the_allow_list_are_dropped_and_logged_and_the_run_keeps_its_digest()
    {
        var (alone, single, _) = await CommandLine.RunAsync(["run", "--scenario", Small, "--out", Path.Combine(_dir, "one")]);
        Assert.Equal(ExitCode.Completed, alone);

        var port = HeadEnd.Tests.LoopbackPort.Free();
        var node = _processes.Start("node", "--port", "0", "--seed-nodes", $"akka.tcp://amisim@127.0.0.1:{port}");
        var nodeErrors = new StringBuilder();
        node.ErrorDataReceived += (_, line) => { lock (nodeErrors) nodeErrors.AppendLine(line.Data); };
        node.BeginErrorReadLine();
        var address = NodeLine().Match(await node.StandardOutput.ReadLineAsync() ?? "").Groups[1].Value;
        Assert.NotEmpty(address);
        var run = _processes.Start("run", "--scenario", Small, "--out", Path.Combine(_dir, "two"), "--cluster", "--nodes", "2", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var output = run.StandardOutput.ReadToEndAsync();
        var errors = run.StandardError.ReadToEndAsync();

        using var stranger = ActorSystem.Create("stranger", ConfigurationFactory.ParseString($$"""
            akka.loglevel = ERROR
            akka.actor.provider = remote
            akka.remote.dot-netty.tcp { hostname = "127.0.0.1", port = 0 }
            akka.actor.serializers.stranger = "{{typeof(StrangerSerializer).AssemblyQualifiedName}}"
            akka.actor.serialization-bindings { "System.Object" = stranger }
            """));
        // While the run goes on: a harmless framework type, and a kernel message hiding one as an event's payload.
        var evil = new KernelProtocol.RemoteEvents(1, 1, new[] { new SimEvent(new SimTime(1), LpId.Kernel, 1, LpId.Kernel, new Uri("http://example.org/")) });
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4)); // wall clock: waiting for other processes
        while (!run.HasExited && !timeout.IsCancellationRequested)
        {
            stranger.ActorSelection($"{address}/user/{Clustering.SweepWorker.Name}").Tell(new Version(6, 6, 6));
            stranger.ActorSelection($"{address}/system/sharding").Tell(evil);
            await Task.WhenAny(run.WaitForExitAsync(timeout.Token), Task.Delay(500));
        }
        await run.WaitForExitAsync(timeout.Token);

        Assert.True(run.ExitCode == ExitCode.Completed, $"{await output} {await errors}");
        Assert.Equal(DigestLine().Match(single).Groups[1].Value, DigestLine().Match(await output).Groups[1].Value);
        Assert.False(node.HasExited);
        string Logged() { lock (nodeErrors) return nodeErrors.ToString(); }
        var logged = Logged();
        Assert.Matches(@"Wire: dropped a message from akka\.tcp://stranger@127\.0\.0\.1:\d+: refused a message from another node: System\.Version \(of System\.Private\.CoreLib\) is not a type AmiSim's nodes exchange", logged);
        Assert.Contains("System.Uri (of System.Private.Uri) is not a type AmiSim's nodes exchange", logged);
    }
}
