using System.Security.Cryptography;
using Akka.Actor;
using Akka.Configuration;
using AmiSim.HeadEnd.Campaign;
using AmiSim.HeadEnd.Mdm;
using AmiSim.HeadEnd.Persistence;
using AmiSim.Scenario;
using AmiSim.Kernel;
using AmiSim.Meter;
using AmiSim.Mesh.Radio;
using AmiSim.Mesh.Topology;
using AmiSim.Protocol.C1219;
using AmiSim.Protocol.Network;
using AmiSim.Protocol.Programs;

namespace AmiSim.Host.Tests;

/// <summary>A whole small AMI system in one ActorSystem: meters, collector routers, the campaign and the MDM, journals on SQLite.</summary>
public sealed class CampaignRun : IAsyncDisposable
{
    private static readonly ECDsa Vendor = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly string _database = Path.Combine(Path.GetTempPath(), $"amisim-campaign-{Guid.NewGuid():N}.db");

    public CampaignRun(int meters, int collectors, CampaignSettings campaign, MeterFaultProfile? faults = null, long seed = 7, int imageBytes = 32 * 1024,
        double lossMin = 0.005, double lossMax = 0.03, TopologySettings? fleet = null, IReadOnlyList<string>? targetModels = null, TargetSelection? targets = null,
        Akka.Configuration.Config? journal = null, IReadOnlyList<(SimTime Start, SimTime End)>? mdmOutages = null, bool startAtZero = true)
    {
        Topology = TopologyGenerator.Generate((fleet ?? new TopologySettings
        {
            Models = [("AM-100", 1.0)], Firmware = [(new FirmwareVersion(1, 0), 1.0)],
        }) with { Meters = meters, Collectors = collectors, LinkLossMin = lossMin, LinkLossMax = lossMax }, seed);
        var image = new byte[imageBytes];
        new Random(imageBytes).NextBytes(image);
        Package = ProgramPackage.Sign(ProgramManifest.ForFirmware("FW-2026-02", Target, image, 512, targetModels), image, Vendor);
        System = ActorSystem.Create("campaign", ConfigurationFactory.ParseString("akka.loglevel = WARNING").WithFallback(journal ?? JournalConfig.Sqlite(_database)));
        var model = new SimulationModel(new ModelSetup
        {
            Topology = Topology,
            Radio = new RadioSettings(),
            Package = Package,
            Verifier = new SignatureVerifier([Vendor.ExportSubjectPublicKeyInfo()]),
            Campaign = campaign,
            Targets = targets ?? new TargetSelection(),
            Faults = faults ?? MeterFaultProfile.None,
            MdmOutages = mdmOutages ?? [],
        }, seed);
        Simulation = Simulation.Create(System, new KernelSettings { Lookahead = TimeSpan.FromMilliseconds(20), Seed = seed, Partitions = 2 }, model, model);
        if (startAtZero) Simulation.Schedule(CampaignSetup.Lp, SimTime.Zero, StartCampaign.Instance);
    }

    public static FirmwareVersion Target { get; } = new(2, 0);

    public NetworkTopology Topology { get; }

    public ProgramPackage Package { get; }

    public ActorSystem System { get; }

    public Simulation Simulation { get; }

    public Task<RunCompleted> RunAsync(double days = 10) => Simulation.RunAsync(SimTime.From(TimeSpan.FromDays(days)));

    public async Task<CampaignSummary> SummaryAsync() =>
        await Simulation.AskLpAsync<CampaignSummary>(CampaignSetup.Lp, GetCampaignSummary.Instance, TimeSpan.FromSeconds(10));

    public async Task<IReadOnlyList<MeterOutcome>> OutcomesAsync() =>
        await Simulation.AskLpAsync<List<MeterOutcome>>(CampaignSetup.Lp, GetMeterOutcomes.Instance, TimeSpan.FromSeconds(10));

    public async Task<MeterProtocol.BoardState> BoardAsync(MeterId meter) =>
        await Simulation.AskLpAsync<MeterProtocol.BoardState>(MeterSetup.LpOf(meter), MeterProtocol.GetBoardState.Instance, TimeSpan.FromSeconds(10));

    public async Task<IReadOnlyList<MdmQueries.MeterView>> MdmAsync() =>
        await Simulation.AskLpAsync<List<MdmQueries.MeterView>>(MdmSetup.Lp, MdmQueries.GetAllMeters.Instance, TimeSpan.FromSeconds(10));

    public async ValueTask DisposeAsync()
    {
        await System.Terminate();
        foreach (var file in Directory.GetFiles(Path.GetTempPath(), Path.GetFileName(_database) + "*")) File.Delete(file);
    }
}
