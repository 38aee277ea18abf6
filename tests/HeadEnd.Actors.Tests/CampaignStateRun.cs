using AmiSim.HeadEnd.Campaign;
using AmiSim.HeadEnd.Mdm;
using AmiSim.Kernel;
using AmiSim.Protocol.C1219;
using AmiSim.Protocol.Cim;
using AmiSim.Protocol.Network;
using AmiSim.Protocol.Programs;

namespace AmiSim.HeadEnd.Tests;

/// <summary>A send the campaign decided: where to, arriving when, and what.</summary>
internal sealed record Sent(SimTime At, LpId To, object Payload);

/// <summary>
/// A <see cref="CampaignState"/> with a kernel and a journal of its own, no actor system: its timers and
/// sends to itself come back at their time (in time, then decision order), its other sends are kept in
/// <see cref="Sent"/>, and its journal writes every batch at once unless <see cref="JournalLags"/>.
/// </summary>
internal sealed class CampaignStateRun
{
    public static readonly DateTime Epoch = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
    public static readonly TimeSpan Lookahead = TimeSpan.FromMilliseconds(100);
    public static readonly FirmwareVersion Target = new(2, 0);

    private readonly List<(SimTime Due, long Order, object? Key, object Payload)> _pending = [];
    private readonly Dictionary<int, long> _reports = new();
    private long _order;
    private long _told;

    /// <param name="fleet">meter numbers 1..count under collectors 2 (odd) and 1 (even), on firmware 1.0, unless given.</param>
    /// <param name="logs">whether the log takes every level (else none).</param>
    public CampaignStateRun(CampaignSettings settings, int meters = 10, IReadOnlyList<FleetMeter>? fleet = null, IReadOnlyList<string>? targetModels = null, bool logs = false)
    {
        Fleet = fleet ?? Enumerable.Range(1, meters).Select(n => Meter(n)).ToList();
        var manifest = ProgramManifest.ForFirmware("FW-X", Target, new byte[1024], 512, targetModels);
        Setup = new CampaignSetup("C1", new ProgramPackage(manifest, new byte[1024], []), CampaignPlan.Make(Fleet, new TargetSelection(), manifest, settings), settings, MdmSetup.Lp);
        Effects = new LpEffects(logs: logs ? _ => true : null);
        State = new CampaignState(Setup, CampaignSetup.Lp, Epoch, Lookahead, Effects);
        State.Start();
        Perform();
        State.Recovered(null, Now);
        Perform();
    }

    public static FleetMeter Meter(long n, string model = "AM-100", FirmwareVersion? firmware = null) =>
        new(new MeterId(n), n % 2 == 0 ? 1 : 2, model, firmware ?? new FirmwareVersion(1, 0), []);

    public IReadOnlyList<FleetMeter> Fleet { get; }

    public CampaignSetup Setup { get; }

    public LpEffects Effects { get; }

    public CampaignState State { get; }

    public SimTime Now { get; private set; }

    /// <summary>Every effect decided so far, with when, in order.</summary>
    public List<(SimTime At, ILpEffect Effect)> Decided { get; } = [];

    public List<Sent> Sent { get; } = [];

    /// <summary>The log lines decided, in order.</summary>
    public IReadOnlyList<LogEffect> Lines => Decided.Select(d => d.Effect).OfType<LogEffect>().ToList();

    /// <summary>The batches told to the journal, in order.</summary>
    public List<CampaignFlushed> Batches { get; } = [];

    /// <summary>The journal answers <see cref="AwaitWritten"/> only when the test says so (<see cref="JournalAnswers"/>).</summary>
    public bool JournalLags { get; set; }

    /// <summary>The campaign waits for its journal to say the batches are written.</summary>
    public bool AwaitingJournal { get; private set; }

    /// <summary>The head-end's incarnation, as its last order to the stations said.</summary>
    public int Incarnation { get; private set; }

    public CampaignSummary Summary => State.Summary();

    public IReadOnlyDictionary<long, MeterOutcome> Outcomes => State.Outcomes().ToDictionary(o => o.Meter);

    /// <summary>The meters of wave <paramref name="wave"/> (from 0), in plan order.</summary>
    public IReadOnlyList<FleetMeter> Wave(int wave) => Setup.Plan.Waves[wave].Select(p => p.Meter).ToList();

    public void Handle(object payload)
    {
        State.Handle(payload, Now);
        Perform();
    }

    public void Operator(OperatorAction action) => Handle(new OperatorCommand(action));

    /// <summary>Runs the campaign's timers and sends to itself due up to <paramref name="until"/>, then sets the clock there.</summary>
    public void AdvanceTo(SimTime until)
    {
        while (_pending.Count > 0)
        {
            var next = _pending.OrderBy(p => p.Due).ThenBy(p => p.Order).First();
            if (next.Due > until) break;
            _pending.Remove(next);
            Now = next.Due;
            Handle(next.Payload);
        }
        Now = until;
    }

    public void Advance(TimeSpan by) => AdvanceTo(Now + by);

    /// <summary>The journal has written every batch: it answers the campaign's wait.</summary>
    public void JournalAnswers()
    {
        AwaitingJournal = false;
        State.Written(Now);
        Perform();
    }

    public void Recovered(DurableCampaignState? durable)
    {
        State.Recovered(durable, Now);
        Perform();
    }

    /// <summary>A report from <paramref name="collector"/>'s station of meters that moved to a phase (attempts 1, now).</summary>
    public void Report(int collector, MeterPhase phase, IEnumerable<FleetMeter> meters, int acks = 0, int? incarnation = null) =>
        Handle(new StationReport(collector, incarnation ?? Incarnation, _reports[collector] = _reports.GetValueOrDefault(collector) + 1,
            meters.Select(m => new MeterTransition(m.Meter.Value, phase, phase.IsError() ? "failed: test" : "", 1, Now.Micros,
                phase == MeterPhase.Succeeded ? Target.ToString() : m.Firmware.ToString())).ToList(), acks, new StationCounters(0, 0, 0, 0, 0)));

    /// <summary>Every station reports its meters among <paramref name="meters"/> as moved to <paramref name="phase"/>.</summary>
    public void Report(MeterPhase phase, IEnumerable<FleetMeter> meters)
    {
        foreach (var byCollector in meters.GroupBy(m => m.Collector).OrderBy(g => g.Key)) Report(byCollector.Key, phase, byCollector);
    }

    /// <summary>The orders sent to the stations, in order.</summary>
    public IReadOnlyList<(int Collector, IStationOrder Order)> Orders() =>
        Sent.Where(s => s.Payload is IStationOrder).Select(s => ((int)s.To.Number, (IStationOrder)s.Payload)).ToList();

    /// <summary>The CIM messages sent to the MDM, in order.</summary>
    public IReadOnlyList<(SimTime At, CimMessage Message)> Cim() =>
        Sent.Where(s => s.To == MdmSetup.Lp).Select(s => (s.At, CimXml.Parse(((CimDelivery)s.Payload).Xml))).ToList();

    private void Perform()
    {
        var items = Effects.Items;
        for (var i = 0; i < items.Count; i++)
        {
            var effect = items[i];
            Decided.Add((Now, effect));
            switch (effect)
            {
                case StartTimerEffect timer:
                    _pending.RemoveAll(p => Equals(p.Key, timer.Key));
                    _pending.Add((Now + timer.Delay, _order++, timer.Key, timer.Payload));
                    break;
                case CancelTimerEffect cancel:
                    _pending.RemoveAll(p => Equals(p.Key, cancel.Key));
                    break;
                case SendEffect send when send.To == CampaignSetup.Lp:
                    _pending.Add((Now + send.Delay, _order++, null, send.Payload));
                    break;
                case SendEffect send:
                    if (send.Payload is IStationOrder order) Incarnation = order.Incarnation;
                    Sent.Add(new Sent(Now + send.Delay, send.To, send.Payload));
                    break;
                case StartJournal:
                    _told = 0;
                    break;
                case WriteBatch write:
                    Batches.Add(write.Batch);
                    _told++;
                    break;
                case AwaitWritten awaited when awaited.UpTo <= _told && !JournalLags:
                    State.Written(Now);
                    break;
                case AwaitWritten:
                    AwaitingJournal = true;
                    break;
            }
        }
        Effects.Clear();
    }
}
