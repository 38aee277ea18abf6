using System.Buffers.Binary;
using System.ComponentModel;
using System.Security.Cryptography;
using Akka.Actor;
using Akka.Configuration;
using AmiSim.Kernel;
using AmiSim.Meter;
using AmiSim.Meter.Nic;
using AmiSim.Protocol.C1219;
using AmiSim.Protocol.Network;
using AmiSim.Protocol.Programs;
using AmiSim.Protocol.Psem;
using Spectre.Console;
using Spectre.Console.Cli;

namespace AmiSim.Bench;

/// <summary>
/// Heap bytes per meter (NIC actor + board actor with its tables): idle, and in the middle of an image
/// transfer (manifest written, half the blocks received). The cost of two bare actors is measured the
/// same way, so the model's own state is the difference.
/// </summary>
internal sealed class MeterMemoryBenchmark : AsyncCommand<MeterMemoryBenchmark.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--meters")]
        [Description("Meters to create.")]
        [DefaultValue(100_000)]
        public int Meters { get; init; }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        AnsiConsole.MarkupLine($"[bold]meter memory[/] on {Measure.Machine()}; {settings.Meters:N0} meters");
        var bare = await BareActorsAsync(settings.Meters * 2);
        AnsiConsole.MarkupLine($"two bare actors: {bare * 2:N0} bytes");
        var (idle, transferring) = await MetersAsync(settings.Meters, cancellation);
        AnsiConsole.MarkupLine($"meter, idle: {idle:N0} bytes = two actors + [bold]{idle - 2 * bare:N0}[/] of meter state");
        AnsiConsole.MarkupLine($"meter, mid-transfer (512 blocks, half received): {transferring:N0} bytes = two actors + [bold]{transferring - 2 * bare:N0}[/] of meter state");
        return 0;
    }

    private static async Task<double> BareActorsAsync(int count)
    {
        var before = Measure.HeapAfterFullCollection();
        var system = ActorSystem.Create("bare", ConfigurationFactory.ParseString("akka.loglevel = WARNING"));
        var actors = new IActorRef[count];
        for (var i = 0; i < count; i++) actors[i] = system.ActorOf(Props.Create<Bare>());
        var identify = await Task.WhenAll(actors.Take(100).Select(a => a.Ask<ActorIdentity>(new Identify(null))));
        var heap = Measure.HeapAfterFullCollection() - before;
        GC.KeepAlive(identify);
        await system.Terminate();
        return (double)heap / count;
    }

    private static async Task<(double Idle, double Transferring)> MetersAsync(int meters, CancellationToken cancellation)
    {
        using var vendor = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var image = new byte[256 * 1024];
        new Random(1).NextBytes(image);
        var package = ProgramPackage.Sign(ProgramManifest.ForFirmware("FW-BENCH", new FirmwareVersion(2, 0), image, 512), image, vendor);
        var verifier = new SignatureVerifier([vendor.ExportSubjectPublicKeyInfo()]);
        var fleet = new Fleet(meters, verifier);

        var before = Measure.HeapAfterFullCollection();
        var system = ActorSystem.Create("meters", ConfigurationFactory.ParseString("akka.loglevel = WARNING"));
        var simulation = Simulation.Create(system, new KernelSettings { Lookahead = TimeSpan.FromMilliseconds(20) }, fleet);
        for (var m = 0; m < meters; m++) simulation.Schedule(Fleet.Lp(m), SimTime.Zero, Command(m, new FullReadRequest(Tables.GeneralManufacturerId)));
        await simulation.RunAsync(SimTime.FromSeconds(1), cancellation);
        var idle = (double)(Measure.HeapAfterFullCollection() - before) / meters;

        var manifest = ImageManifestTable.Encode(package.Manifest, package.Signature);
        var initiate = new InitiateImageTransferParameters("FW-BENCH", new FirmwareVersion(2, 0), (uint)image.Length, 512).Encode(DataOrder.BigEndian);
        var half = new ImageChunk("FW-BENCH", 512, Enumerable.Range(0, 256).Select(b => new ImageBlock(b, package.Block(b))).ToList());
        for (var m = 0; m < meters; m++)
        {
            simulation.Schedule(Fleet.Lp(m), SimTime.FromSeconds(2), Command(m, new LogonRequest(1, "bench"), new SecurityRequest(Fleet.Credential(m)),
                new FullWriteRequest(Tables.ImageManifest, manifest),
                new FullWriteRequest(Tables.ProcedureInitiate, new ProcedureInitiateTable(ProcedureId.Manufacturer(ManufacturerProcedure.InitiateImageTransfer), 1, initiate).Encode(DataOrder.BigEndian))));
            simulation.Schedule(Fleet.Lp(m), SimTime.FromSeconds(3), half);
        }
        await simulation.RunAsync(SimTime.FromSeconds(4), cancellation);
        var transferring = (double)(Measure.HeapAfterFullCollection() - before) / meters;
        GC.KeepAlive(simulation);
        await system.Terminate();
        return (idle, transferring);
    }

    private static PsemCommand Command(int meter, params PsemRequest[] requests) => new(meter, requests);

    private sealed class Bare : UntypedActor
    {
        protected override void OnReceive(object message) => Sender.Tell(new ActorIdentity(null, Self));
    }

    /// <summary>Meters whose uplink frames go to an LP that swallows them.</summary>
    private sealed class Fleet(int meters, SignatureVerifier verifier) : ILpFactory
    {
        private static readonly LpId Sink = new(AmiLps.HeadEnd, 0);
        private readonly Props _sink = Props.Create<SinkLp>();

        public static LpId Lp(int meter) => new(AmiLps.Meter, meter);

        public static byte[] Credential(int meter)
        {
            var credential = new byte[20];
            BinaryPrimitives.WriteInt32BigEndian(credential, meter);
            return credential;
        }

        public Props PropsFor(LpId id) => id.Kind == AmiLps.HeadEnd
            ? _sink
            : id.Number < meters
                ? NicActor.Props(new MeterSetup
                {
                    Meter = new MeterId(id.Number), Model = "AM-100", Credential = Credential((int)id.Number), Verifier = verifier, Uplink = Sink,
                })
                : throw new ArgumentOutOfRangeException(nameof(id));
    }

    private sealed class SinkLp : SimActor
    {
        protected override void OnEvent(object payload) { }
    }
}
