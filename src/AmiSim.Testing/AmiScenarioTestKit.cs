using System.Security.Cryptography;
using Akka.Configuration;
using Akka.TestKit;
using AmiSim.HeadEnd.Campaign;
using AmiSim.HeadEnd.Mdm;
using AmiSim.HeadEnd.Persistence;
using AmiSim.HeadEnd.Programs;
using AmiSim.Kernel;
using AmiSim.Protocol.Programs;
using AmiSim.Scenario;
using Xunit.Abstractions;

namespace AmiSim.Testing;

/// <summary>
/// Base class of a scenario test: an xUnit Akka.NET TestKit whose actor system keeps the head-end's
/// and the MDM's journals in a throwaway SQLite file. <see cref="Start"/> builds a scenario's AMI
/// system the way `amisim run` does (the vendor tool signs the program, the head-end loads and checks
/// it, the campaign starts at virtual time zero) and hands back a <see cref="SimulatedAmi"/> to step;
/// the probe helpers subscribe TestProbes to what the system publishes.
/// </summary>
public abstract class AmiScenarioTestKit : Akka.TestKit.Xunit2.TestKit
{
    private readonly string _database;
    private bool _started;

    protected AmiScenarioTestKit(ITestOutputHelper? output = null) : this(Path.Combine(Path.GetTempPath(), $"amisim-test-{Guid.NewGuid():N}.db"), output) { }

    private AmiScenarioTestKit(string database, ITestOutputHelper? output)
        : base(ConfigurationFactory.ParseString("akka.loglevel = WARNING").WithFallback(JournalConfig.Sqlite(database)), "amisim-test", output) =>
        _database = database;

    /// <summary>
    /// Builds the scenario's system and starts its campaign (nothing runs until the test steps time).
    /// Subscribe probes before stepping, so that they see everything from the start.
    /// </summary>
    /// <param name="partitions">kernel partitions; results do not depend on it.</param>
    /// <exception cref="InvalidOperationException">a second start in one test (the journals belong to one system).</exception>
    protected SimulatedAmi Start(ScenarioSettings scenario, int partitions = 2)
    {
        if (_started) throw new InvalidOperationException("one scenario per test: this test's journals already belong to a started system");
        _started = true;
        var topology = scenario.BuildTopology();

        using var vendor = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var package = ScenarioAssembly.BuildPackage(scenario, vendor);
        var trusted = vendor.ExportSubjectPublicKeyInfo();
        var file = PackageFile.Write(package, PackageFile.KeyId(trusted));
        var loaded = ScenarioAssembly.LoadPackage(file, trusted, topology);

        var outbox = new RecordingOutbox();
        var model = new SimulationModel(ScenarioAssembly.ModelSetup(scenario, topology, loaded, trusted, outbox), scenario.Seed);
        var kernel = ScenarioAssembly.Kernel(scenario, topology, new KernelSettings { Partitions = partitions, PublishObservations = true }, trace: null);
        var simulation = Simulation.Create(Sys, kernel, model, model, "ami");
        var lastScripted = ScenarioAssembly.ScheduleScript(simulation, scenario);
        return new SimulatedAmi(scenario, topology, loaded.Manifest, simulation, outbox, lastScripted);
    }

    /// <summary>A probe that gets every change of the campaign's status or wave (<see cref="CampaignStatusObserved"/>).</summary>
    protected TestProbe CampaignProbe() => Subscribed<CampaignStatusObserved>();

    /// <summary>A probe that gets every change of a targeted meter's phase (<see cref="MeterPhaseObserved"/>).</summary>
    protected TestProbe MeterProbe() => Subscribed<MeterPhaseObserved>();

    /// <summary>A probe that gets every CIM message reaching the MDM (<see cref="CimMessageObserved"/>).</summary>
    protected TestProbe CimProbe() => Subscribed<CimMessageObserved>();

    private TestProbe Subscribed<T>()
    {
        var probe = CreateTestProbe();
        Sys.EventStream.Subscribe(probe.Ref, typeof(T));
        return probe;
    }

    /// <summary>Everything <paramref name="probe"/> has received so far, in order (LPs publish while time is stepped, so after a step it is all there).</summary>
    protected static IReadOnlyList<T> Drain<T>(TestProbe probe)
    {
        var received = new List<T>();
        while (probe.HasMessages) received.Add(probe.ExpectMsg<T>(TimeSpan.FromSeconds(5)));
        return received;
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (!disposing) return;
        foreach (var file in Directory.GetFiles(Path.GetDirectoryName(_database)!, Path.GetFileName(_database) + "*"))
            File.Delete(file);
    }
}
