using Akka.Actor;
using AmiSim.HeadEnd.Campaign;
using AmiSim.HeadEnd.Mdm;
using AmiSim.Kernel;
using AmiSim.Meter;
using AmiSim.Mesh.Topology;
using AmiSim.Protocol.C1219;
using AmiSim.Protocol.Network;
using AmiSim.Protocol.Programs;
using AmiSim.Protocol.Psem;
using AmiSim.Scenario;

namespace AmiSim.Testing;

/// <summary>
/// A scenario's AMI system running in a test's actor system, stopped between steps of virtual time:
/// step it, script operator actions and head-end crashes, and look at the campaign, the MDM and any
/// meter's C12.19 tables. Made by <see cref="AmiScenarioTestKit.Start"/>.
/// </summary>
public sealed class SimulatedAmi
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(60);
    private readonly RecordingOutbox _outbox;
    private SimTime _lastScripted;

    internal SimulatedAmi(ScenarioSettings scenario, NetworkTopology topology, ProgramManifest program, Simulation simulation, RecordingOutbox outbox, SimTime lastScripted)
    {
        Scenario = scenario;
        Topology = topology;
        Program = program;
        Simulation = simulation;
        _outbox = outbox;
        _lastScripted = lastScripted;
    }

    public ScenarioSettings Scenario { get; }

    public NetworkTopology Topology { get; }

    /// <summary>The program the head-end loaded (after checking its signature).</summary>
    public ProgramManifest Program { get; }

    public Simulation Simulation { get; }

    /// <summary>Virtual time reached so far.</summary>
    public TimeSpan Now => Simulation.Now.SinceOrigin;

    /// <summary>The CIM messages the head-end sent to the MDM, once each, in the order it first sent them.</summary>
    public IReadOnlyList<(string MessageId, string Xml, TimeSpan At)> CimSent => _outbox.Messages;

    // ---- stepping virtual time ------------------------------------------------------------------

    /// <summary>Runs every event due before <paramref name="virtualTime"/> (from the run's start), then stops there.</summary>
    public async Task RunUntilAsync(TimeSpan virtualTime)
    {
        if (virtualTime < Now) throw new ArgumentOutOfRangeException(nameof(virtualTime), virtualTime, $"the run is already at {Now}");
        await Simulation.RunAsync(SimTime.From(virtualTime));
    }

    /// <summary>
    /// Runs in steps of <paramref name="step"/> (one virtual minute unless given) until the campaign's
    /// summary satisfies <paramref name="condition"/>; the run stops at the first step boundary where it does.
    /// </summary>
    /// <exception cref="TimeoutException">the condition did not hold by <paramref name="limit"/> (the message gives the campaign's state).</exception>
    public async Task<CampaignSummary> RunUntilAsync(Func<CampaignSummary, bool> condition, TimeSpan limit, TimeSpan? step = null, string what = "the condition")
    {
        var stride = step ?? TimeSpan.FromMinutes(1);
        if (stride <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(step), step, "a step must be positive");
        var summary = await SummaryAsync();
        while (!condition(summary))
        {
            if (Now >= limit)
                throw new TimeoutException($"{what} did not hold by virtual {limit}: the campaign is {summary.Status} in wave {summary.Wave} of {summary.Waves}" +
                                           (summary.PauseReason.Length > 0 ? $" ({summary.PauseReason})" : ""));
            var next = Now + stride > limit ? limit : Now + stride;
            var run = await Simulation.RunAsync(SimTime.From(next));
            summary = await SummaryAsync();
            if (run.Reason == RunEnd.Idle && !condition(summary))
                throw new TimeoutException($"{what} can never hold: nothing is left to happen at virtual {Now}, and the campaign is {summary.Status}");
        }
        return summary;
    }

    /// <summary>Runs until the campaign's status is <paramref name="status"/>.</summary>
    public Task<CampaignSummary> RunUntilStatusAsync(CampaignStatus status, TimeSpan? limit = null, TimeSpan? step = null) =>
        RunUntilAsync(s => s.Status == status, limit ?? Scenario.Until, step, $"campaign status {status.Name()}");

    /// <summary>Runs until the campaign's status is the one named <paramref name="status"/> ("paused", "completed", "canceled", "down", ...).</summary>
    /// <exception cref="FormatException">no status has that name.</exception>
    public Task<CampaignSummary> RunUntilStatusAsync(string status, TimeSpan? limit = null, TimeSpan? step = null) =>
        RunUntilStatusAsync(CampaignStatuses.Parse(status), limit, step);

    /// <summary>
    /// Runs until the campaign has nothing left to do (no meter in flight, not running) and every
    /// scripted action is over: where `amisim run` stops. Checked every virtual hour, as the run does.
    /// </summary>
    public Task<CampaignSummary> RunUntilQuietAsync(TimeSpan? limit = null) =>
        RunUntilAsync(s => ScenarioAssembly.IsOver(s, Simulation.Now, _lastScripted), limit ?? Scenario.Until, TimeSpan.FromHours(1), "the campaign being quiet");

    // ---- scripting ------------------------------------------------------------------------------

    /// <summary>The operator acts on the campaign at virtual time <paramref name="at"/> (pause, resume, cancel, retry failed).</summary>
    public void Operate(TimeSpan at, OperatorAction action) => Script(at, at, new OperatorCommand(action));

    /// <summary>The head-end process dies at <paramref name="at"/> and is back <paramref name="downtime"/> later, with only its journal.</summary>
    public void CrashHeadEnd(TimeSpan at, TimeSpan downtime) => Script(at, at + downtime, new HeadEndCrash(downtime));

    private void Script(TimeSpan at, TimeSpan over, object command)
    {
        if (at < Now) throw new ArgumentOutOfRangeException(nameof(at), at, $"the run is already at {Now}: script actions before running past them");
        Simulation.Schedule(CampaignSetup.Lp, SimTime.From(at), command);
        if (SimTime.From(over) > _lastScripted) _lastScripted = SimTime.From(over);
    }

    // ---- looking -------------------------------------------------------------------------------

    public async Task<CampaignSummary> SummaryAsync() => await AskCampaign<CampaignSummary>(GetCampaignSummary.Instance);

    /// <summary>Every meter's place in the campaign (targeted and skipped).</summary>
    public async Task<IReadOnlyList<MeterOutcome>> OutcomesAsync() => await AskCampaign<List<MeterOutcome>>(GetMeterOutcomes.Instance);

    /// <summary>What the MDM holds for every meter it knows.</summary>
    public async Task<IReadOnlyList<MdmQueries.MeterView>> MdmAsync() =>
        await Simulation.AskLpAsync<List<MdmQueries.MeterView>>(MdmSetup.Lp, MdmQueries.GetAllMeters.Instance, AskTimeout);

    /// <summary>PSEM reads of a meter's tables, handled by its board as the NIC's reads are.</summary>
    /// <exception cref="ArgumentException">a request other than a read, or a meter not in the network.</exception>
    /// <exception cref="InvalidOperationException">a board that does not answer (bricked).</exception>
    public async Task<IReadOnlyList<PsemResponse>> ReadTablesAsync(MeterId meter, params PsemRequest[] reads)
    {
        if (Topology.Meters.All(m => m.Meter != meter)) throw new ArgumentException($"meter {meter} is not in this scenario's network", nameof(meter));
        var nic = await Simulation.LpActorAsync(MeterSetup.LpOf(meter));
        // A refusal comes back as Status.Failure, which Ask throws as its cause.
        return (await nic.Ask<MeterProtocol.TablesRead>(new MeterProtocol.ReadTables(reads), AskTimeout)).Responses;
    }

    /// <summary>ST0, the general configuration: how the meter's other tables are laid out.</summary>
    public async Task<GeneralConfigTable> ReadSt0Async(MeterId meter) => GeneralConfigTable.Decode(await ReadAsync(meter, Tables.GeneralConfig));

    /// <summary>ST1, the manufacturer identification: the firmware the metrology board runs.</summary>
    public async Task<GeneralManufacturerIdTable> ReadSt1Async(MeterId meter) => GeneralManufacturerIdTable.Decode(await ReadAsync(meter, Tables.GeneralManufacturerId));

    /// <summary>ST3, the end device's mode and status.</summary>
    public async Task<EndDeviceModeStatusTable> ReadSt3Async(MeterId meter)
    {
        var st0 = await ReadSt0Async(meter);
        return EndDeviceModeStatusTable.Decode(await ReadAsync(meter, Tables.EndDeviceModeStatus), st0.DataOrder, st0.MfgStatusBytes);
    }

    /// <summary>MT100, the image transfer's control and status.</summary>
    public async Task<ImageTransferControlTable> ReadImageTransferAsync(MeterId meter)
    {
        var st0 = await ReadSt0Async(meter);
        return ImageTransferControlTable.Decode(await ReadAsync(meter, Tables.ImageTransferControl), st0.DataOrder);
    }

    private async Task<byte[]> ReadAsync(MeterId meter, TableId table)
    {
        var response = (await ReadTablesAsync(meter, new FullReadRequest(table)))[0];
        return response.IsOk ? response.Data.ToArray() : throw new InvalidOperationException($"meter {meter}: reading {table} answered {response.Code}");
    }

    private Task<T> AskCampaign<T>(object query) => Simulation.AskLpAsync<T>(CampaignSetup.Lp, query, AskTimeout);
}

/// <summary>Keeps the CIM messages the head-end sends, once per message id.</summary>
internal sealed class RecordingOutbox : ICimOutbox
{
    private readonly List<(string, string, TimeSpan)> _messages = [];
    private readonly HashSet<string> _seen = [];

    public IReadOnlyList<(string MessageId, string Xml, TimeSpan At)> Messages
    {
        get
        {
            lock (_messages) return _messages.ToList();
        }
    }

    public void Sent(string messageId, string xml, SimTime at)
    {
        lock (_messages)
            if (_seen.Add(messageId)) _messages.Add((messageId, xml, at.SinceOrigin));
    }
}
