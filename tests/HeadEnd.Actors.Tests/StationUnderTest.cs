using System.Security.Cryptography;
using AmiSim.HeadEnd.Campaign;
using AmiSim.Kernel;
using AmiSim.Mesh.Radio;
using AmiSim.Protocol.C1219;
using AmiSim.Protocol.Network;
using AmiSim.Protocol.Programs;
using AmiSim.Protocol.Psem;

namespace AmiSim.HeadEnd.Tests;

/// <summary>
/// A collector's station as pure state, without an actor system: the test hands it messages at virtual
/// times and reads what it decided. Its own sends and timers come back to it in time order as the test
/// moves the clock on (<see cref="AdvanceTo"/>); commands to meters wait for the test to answer them.
/// </summary>
internal sealed class StationUnderTest
{
    public const int Collector = 1;
    public static readonly FirmwareVersion Before = new(1, 0);
    public static readonly FirmwareVersion After = new(2, 0);
    public const int Blocks = 8;
    private static readonly ECDsa VendorKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    private readonly List<(SimTime Due, long Sequence, object? Timer, object Payload)> _pending = [];
    private long _sequence;

    public StationUnderTest(int meters, CampaignSettings settings, ProgramPackage? package = null, Func<int, int>? waveOf = null, SimTime? start = null)
    {
        Package = package ?? Firmware();
        var planned = Enumerable.Range(1, meters)
            .Select(n => new PlannedMeter(new FleetMeter(new MeterId(n), Collector, "AM-100", Before, Credential(n)), waveOf?.Invoke(n) ?? 0, n - 1))
            .ToList();
        Setup = new StationSetup("c-1", Package, new CollectorProfile(Collector, 1, 2, TimeSpan.FromMilliseconds(20)), planned, settings, new RadioSettings());
        Effects = new LpEffects();
        State = new StationState(Setup, Effects);
        Now = start ?? SimTime.FromSeconds(1);
    }

    public StationSetup Setup { get; }

    public ProgramPackage Package { get; }

    public LpEffects Effects { get; }

    public StationState State { get; }

    public SimTime Now { get; private set; }

    /// <summary>Everything the station decided, in order, since it was made.</summary>
    public List<ILpEffect> Decided { get; } = [];

    public static ProgramPackage Firmware()
    {
        var image = new byte[Blocks * 512];
        new Random(7).NextBytes(image);
        return ProgramPackage.Sign(ProgramManifest.ForFirmware("FW-2", After, image, 512), image, VendorKey);
    }

    public static byte[] Credential(long meter)
    {
        var credential = new byte[20];
        credential[0] = (byte)meter;
        return credential;
    }

    public MeterCampaignState Meter(int n) => State.Meters[new MeterId(n)];

    /// <summary>Hands the station <paramref name="payload"/> now; returns what it decided.</summary>
    public List<ILpEffect> Give(object payload)
    {
        State.Handle(payload, Now);
        var items = Effects.Items.ToList();
        Effects.Clear();
        Decided.AddRange(items);
        var self = StationSetup.LpOf(Collector);
        foreach (var item in items)
            switch (item)
            {
                case SendEffect send when send.To == self:
                    _pending.Add((Now + send.Delay, _sequence++, null, send.Payload));
                    break;
                case StartTimerEffect timer:
                    _pending.RemoveAll(p => Equals(p.Timer, timer.Key));
                    _pending.Add((Now + timer.Delay, _sequence++, timer.Key, timer.Payload));
                    break;
                case CancelTimerEffect cancel:
                    _pending.RemoveAll(p => Equals(p.Timer, cancel.Key));
                    break;
            }
        return items;
    }

    /// <summary>Starts the campaign here: its plan, running, and wave 0.</summary>
    public void Start(CampaignStatus status = CampaignStatus.Running)
    {
        Give(new StationPlan(0, status, -1, [], []));
        Give(new StationWave(0, 0));
    }

    /// <summary>Moves the clock on to <paramref name="time"/>, handing the station its own sends and timers due by then.</summary>
    public void AdvanceTo(SimTime time)
    {
        while (_pending.Count > 0)
        {
            var next = _pending.OrderBy(p => p.Due).ThenBy(p => p.Sequence).First();
            if (next.Due > time) break;
            _pending.Remove(next);
            Now = next.Due;
            Give(next.Payload);
        }
        Now = time;
    }

    public void Advance(TimeSpan by) => AdvanceTo(Now + by);

    /// <summary>The PSEM commands sent to meters among <paramref name="effects"/> (all decided so far if null).</summary>
    public List<(MeterId Meter, PsemCommand Command)> Commands(IEnumerable<ILpEffect>? effects = null) =>
        Downlinks(effects).Where(d => d.Frame is PsemCommand).Select(d => (d.Meter!.Value, (PsemCommand)d.Frame)).ToList();

    public List<MeshDownlink> Downlinks(IEnumerable<ILpEffect>? effects = null) =>
        (effects ?? Decided).OfType<SendEffect>().Where(s => s.To == new LpId(AmiLps.Collector, Collector)).Select(s => (MeshDownlink)s.Payload).ToList();

    /// <summary>Answers the latest command sent to meter <paramref name="n"/>.</summary>
    public List<ILpEffect> Answer(int n, params PsemResponse[] responses)
    {
        var command = Commands().Last(c => c.Meter == new MeterId(n)).Command;
        return Give(new PsemCommandResult(new MeterId(n), command.CommandId, responses));
    }

    /// <summary>The station's report to the campaign among <paramref name="effects"/>.</summary>
    public static List<StationReport> Reports(IEnumerable<ILpEffect> effects) =>
        effects.OfType<SendEffect>().Where(s => s.To == CampaignSetup.Lp).Select(s => (StationReport)s.Payload).ToList();
}

/// <summary>What a meter's board answers, with the real table codecs.</summary>
internal static class MeterAnswers
{
    private static PsemResponse Ok => PsemResponse.Ok;

    public static PsemResponse ProcedureResponse(ProcedureResult result, params byte[] data) =>
        PsemResponse.ReadOk(new ProcedureResponseTable(default, 1, result, data).Encode(DataOrder.BigEndian));

    public static PsemResponse[] InitiateAccepted() => [Ok, Ok, Ok, Ok, ProcedureResponse(ProcedureResult.Completed)];

    public static PsemResponse[] Status(ImageTransferStatus status, int[] missing, FirmwareVersion firmware, ImageFailure lastFailure = ImageFailure.None)
    {
        var bitmap = new byte[BlockBitmap.BytesFor(StationUnderTest.Blocks)];
        for (var b = 0; b < StationUnderTest.Blocks; b++)
            if (!missing.Contains(b)) BlockBitmap.Set(bitmap, b);
        var control = new ImageTransferControlTable(status, true, 512, StationUnderTest.Blocks, missing.Length > 0 ? (uint)missing[0] : StationUnderTest.Blocks, (uint)missing.Length,
            "FW-2", StationUnderTest.After, StationUnderTest.Blocks * 512, lastFailure);
        var identity = new GeneralManufacturerIdTable("AMI", "AM-100", 1, 0, firmware.Version, firmware.Revision, "0000000000000001");
        return [PsemResponse.ReadOk(control.Encode(DataOrder.BigEndian)), PsemResponse.ReadOk(bitmap), PsemResponse.ReadOk(identity.Encode())];
    }

    public static PsemResponse[] Complete() => Status(ImageTransferStatus.TransferInitiated, [], StationUnderTest.Before);

    public static PsemResponse[] Missing(params int[] blocks) => Status(ImageTransferStatus.TransferInitiated, blocks, StationUnderTest.Before);

    public static PsemResponse[] VerifiedAndActivating() =>
        [Ok, Ok, Ok, ProcedureResponse(ProcedureResult.Completed, 0, 0), Ok, ProcedureResponse(ProcedureResult.AcceptedNotCompleted)];

    public static PsemResponse[] VerificationFailed(ImageFailure failure) =>
        [Ok, Ok, Ok, ProcedureResponse(ProcedureResult.Completed, 0, (byte)failure), Ok, ProcedureResponse(ProcedureResult.Completed)];

    public static PsemResponse[] ActivationRefused() =>
        [Ok, Ok, Ok, ProcedureResponse(ProcedureResult.Completed, 0, 0), Ok, ProcedureResponse(ProcedureResult.ConflictsWithSetup)];
}
