using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using Akka.Actor;
using AmiSim.Kernel;
using AmiSim.Meter.Board;
using AmiSim.Meter.Nic;
using AmiSim.Protocol.C1219;
using AmiSim.Protocol.Network;
using AmiSim.Protocol.Programs;
using AmiSim.Protocol.Psem;

namespace AmiSim.Meter.Tests;

/// <summary>
/// A few meters and a stand-in head-end LP in one simulation. The test schedules frames for the
/// head-end to transmit at virtual times; the head-end records every uplink frame it receives and
/// acknowledges confirmations (unless told not to).
/// </summary>
public sealed class MeterTestBed : ILpFactory
{
    public static readonly TimeSpan Lookahead = TimeSpan.FromMilliseconds(20);
    public static readonly LpId HeadEnd = new(AmiLps.HeadEnd, 0);
    private static readonly ECDsa VendorKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    /// <summary>A board clock that stands at time zero and starts no timer, for the board's pure tests.</summary>
    public sealed class StillClock : IBoardClock
    {
        public SimTime Now => SimTime.Zero;

        public void StartTimer(string key, TimeSpan delay, BoardTimer timer) { }
    }

    /// <summary>A verifier that trusts the key <see cref="Firmware"/> signs with.</summary>
    public static SignatureVerifier VendorVerifier() => new([VendorKey.ExportSubjectPublicKeyInfo()]);

    private readonly Dictionary<long, MeterSetup> _meters = new();
    private long _commandIds;

    public MeterTestBed(ActorSystem system, int meters, Func<MeterSetup, MeterSetup>? configure = null, long seed = 1, string name = "sim")
    {
        Verifier = VendorVerifier();
        for (var n = 1; n <= meters; n++)
        {
            var setup = new MeterSetup
            {
                Meter = new MeterId(n),
                Model = "AM-100",
                Firmware = new FirmwareVersion(1, 0),
                Credential = CredentialOf(n),
                Verifier = Verifier,
                Uplink = HeadEnd,
                UplinkDelay = Lookahead,
            };
            _meters[n] = configure?.Invoke(setup) ?? setup;
        }
        Simulation = Simulation.Create(system, new KernelSettings { Lookahead = Lookahead, Seed = seed, Partitions = 2 }, this, name: name);
    }

    public Simulation Simulation { get; }

    public SignatureVerifier Verifier { get; }

    public ConcurrentQueue<(SimTime Time, IUplinkFrame Frame)> Uplink { get; } = new();

    public bool AcknowledgeConfirmations { get; set; } = true;

    /// <summary>Probability that the head-end's acknowledgement is lost on the way (drawn from a seeded stream).</summary>
    public double AckLoss { get; set; }

    public static byte[] CredentialOf(long meter)
    {
        var credential = new byte[20];
        BinaryPrimitives.WriteInt64BigEndian(credential, meter * 7919);
        return credential;
    }

    public static ProgramPackage Firmware(FirmwareVersion version, int size = 8 * 512, int blockSize = 512, string id = "FW-2026-01")
    {
        var image = new byte[size];
        new Random(size).NextBytes(image);
        return ProgramPackage.Sign(ProgramManifest.ForFirmware(id, version, image, blockSize), image, VendorKey);
    }

    public Props PropsFor(LpId id) => id.Kind switch
    {
        AmiLps.Meter => NicActor.Props(_meters[id.Number]),
        AmiLps.HeadEnd => Props.Create(() => new HeadEndStandIn(this)),
        _ => throw new ArgumentOutOfRangeException(nameof(id)),
    };

    /// <summary>The head-end transmits <paramref name="frame"/> to <paramref name="meter"/> at <paramref name="at"/> (it arrives one lookahead later).</summary>
    public void Transmit(long meter, SimTime at, IDownlinkFrame frame) =>
        Simulation.Schedule(HeadEnd, at, new Transmission(new MeterId(meter), frame));

    public PsemCommand Command(params PsemRequest[] requests) => new(++_commandIds, requests);

    public PsemCommand Authenticated(long meter, params PsemRequest[] requests) =>
        Command([new LogonRequest(1, "headend"), new SecurityRequest(CredentialOf(meter)), .. requests]);

    public PsemCommand Initiate(long meter, ProgramPackage package) => Authenticated(meter,
        new FullWriteRequest(Tables.ImageManifest, ImageManifestTable.Encode(package.Manifest, package.Signature)),
        Procedure(ProcedureId.Manufacturer(ManufacturerProcedure.InitiateImageTransfer),
            new InitiateImageTransferParameters(package.Manifest.ProgramId, package.Manifest.Version, (uint)package.Manifest.Size, (ushort)package.Manifest.BlockSize).Encode(DataOrder.BigEndian)));

    public PsemCommand VerifyAndActivate(long meter, SimTime? activateAt = null) => Authenticated(meter,
        Procedure(ProcedureId.Manufacturer(ManufacturerProcedure.VerifyImage), []),
        new FullReadRequest(Tables.ProcedureResponse),
        Procedure(ProcedureId.Manufacturer(ManufacturerProcedure.ActivateImage, ResponseSelector.ImmediatelyAndOnCompletion),
            activateAt is { } at ? BigEndian((ulong)at.Micros) : []),
        new FullReadRequest(Tables.ProcedureResponse));

    /// <summary>The whole programming of meter 1 as the head-end does it: initiate at 0 s, every block at 1 s, verify and activate at 2 s.</summary>
    public void ProgramMeter(ProgramPackage package, SimTime? activateAt = null)
    {
        Transmit(1, SimTime.Zero, Initiate(1, package));
        Transmit(1, SimTime.FromSeconds(1), Chunk(package, 0, package.Manifest.BlockCount));
        Transmit(1, SimTime.FromSeconds(2), VerifyAndActivate(1, activateAt));
    }

    public static ImageChunk Chunk(ProgramPackage package, int first, int count) =>
        new(package.Manifest.ProgramId, package.Manifest.BlockSize, Enumerable.Range(first, count).Select(b => new ImageBlock(b, package.Block(b))).ToList());

    public static FullWriteRequest Procedure(ProcedureId procedure, byte[] parameters) =>
        new(Tables.ProcedureInitiate, new ProcedureInitiateTable(procedure, 1, parameters).Encode(DataOrder.BigEndian));

    public async Task<MeterProtocol.BoardState> BoardAsync(long meter)
    {
        var nic = await Simulation.LpActorAsync(MeterSetup.LpOf(new MeterId(meter)));
        return await nic.Ask<MeterProtocol.BoardState>(MeterProtocol.GetBoardState.Instance, TimeSpan.FromSeconds(5));
    }

    public async Task<MeterProtocol.NicState> NicAsync(long meter)
    {
        var nic = await Simulation.LpActorAsync(MeterSetup.LpOf(new MeterId(meter)));
        return await nic.Ask<MeterProtocol.NicState>(MeterProtocol.GetNicState.Instance, TimeSpan.FromSeconds(5));
    }

    public IReadOnlyList<T> Received<T>() where T : IUplinkFrame => Uplink.Select(u => u.Frame).OfType<T>().ToList();

    public PsemCommandResult ResultOf(PsemCommand command) => Received<PsemCommandResult>().Single(r => r.CommandId == command.CommandId);

    private static byte[] BigEndian(ulong value)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, value);
        return bytes;
    }

    private sealed record Transmission(MeterId Meter, IDownlinkFrame Frame);

    private sealed class HeadEndStandIn(MeterTestBed bed) : SimActor
    {
        private RandomStream? _ackLoss;

        protected override void OnStart() => _ackLoss = RandomStreamFor("ack-loss");

        protected override void OnEvent(object payload)
        {
            switch (payload)
            {
                case Transmission transmission:
                    Send(MeterSetup.LpOf(transmission.Meter), Lookahead, transmission.Frame);
                    break;
                case IUplinkFrame frame:
                    bed.Uplink.Enqueue((Now, frame));
                    if (frame is ProgramConfirmation confirmation && bed.AcknowledgeConfirmations && !_ackLoss!.Chance(bed.AckLoss))
                        Send(MeterSetup.LpOf(confirmation.Meter), Lookahead, new ConfirmationAck(confirmation.Meter, confirmation.ConfirmationId));
                    break;
            }
        }
    }
}
