using AmiSim.Kernel;
using AmiSim.Protocol.Network;

namespace AmiSim.HeadEnd.Campaign;

/// <summary>
/// What a station tells the campaign, on the head-end's clock (<see cref="CampaignSettings.NextTick"/>):
/// its meters' transitions since the last report, how many confirmations it received meanwhile, and its
/// running totals. The confirmations wait, by the report that held them, until the campaign says that
/// report is durable (<see cref="Durable"/>); then they may be acknowledged.
/// </summary>
internal sealed class StationReports(int collector, CampaignSettings settings, LpEffects effects)
{
    public const string Timer = "report";

    private readonly List<MeterTransition> _unreported = [];
    /// <summary>Confirmations received since the last report.</summary>
    private readonly List<ProgramConfirmation> _confirmations = [];
    /// <summary>Confirmations reported, by the report that held them, waiting for it to be durable.</summary>
    private readonly Queue<(long Report, ProgramConfirmation Confirmation)> _awaitingDurable = new();
    private long _reports;
    private SimTime _reportAt;

    // Running totals, kept across a restart of the head-end.
    private bool _countersChanged;
    private long _multicastBlocks;
    private long _unicastBlocks;
    private long _droppedWhileDown;

    /// <summary>Multicast rounds flooded here over the campaign; the latest round's multicast group is numbered so.</summary>
    public int MulticastRounds { get; private set; }

    /// <summary>Confirmations held, reported or not, that have not been acknowledged.</summary>
    public int Holding => _confirmations.Count + _awaitingDurable.Count;

    public void Transitioned(MeterTransition transition) => _unreported.Add(transition);

    public void Confirmed(ProgramConfirmation confirmation) => _confirmations.Add(confirmation);

    /// <summary>The collector held more sessions at once than ever before.</summary>
    public void MostSessionsRose() => _countersChanged = true;

    public void Flooded(int blocks)
    {
        MulticastRounds++;
        _multicastBlocks += blocks;
        _countersChanged = true;
    }

    public void SentUnicast(int blocks)
    {
        _unicastBlocks += blocks;
        _countersChanged = true;
    }

    /// <summary>A frame reached the station while the head-end was down.</summary>
    public void DroppedWhileDown()
    {
        _droppedWhileDown++;
        _countersChanged = true;
    }

    private bool Due => _unreported.Count > 0 || _confirmations.Count > 0 || _countersChanged;

    /// <summary>
    /// Starts the report timer, for the clock's next tick, when there is something to report (and the
    /// head-end is not <paramref name="down"/>), and promises the kernel when the campaign can hear from
    /// this station next: the station speaks to it only in a report, so at the timer, or at a later tick.
    /// The campaign's partition then runs up to there without waiting for the mesh.
    /// </summary>
    public void EnsureTimer(SimTime now, bool down)
    {
        if (!down && Due && !effects.IsTimerActive(Timer))
        {
            _reportAt = settings.NextTick(now, strictlyAfter: true);
            effects.StartTimer(Timer, _reportAt - now, ReportDue.Instance);
        }
        effects.PromiseQuiet(effects.IsTimerActive(Timer) ? _reportAt : now, onlyEvery: settings.FlushInterval);
    }

    /// <summary>The report timer fired: tells the campaign what changed since the last report, one station latency later.</summary>
    public void OnTimer(int incarnation, int mostSessions)
    {
        effects.TimerFired(Timer);
        if (!Due) return;
        var sequence = ++_reports;
        foreach (var confirmation in _confirmations) _awaitingDurable.Enqueue((sequence, confirmation));
        effects.Send(CampaignSetup.Lp, settings.StationLatency, new StationReport(collector, incarnation, sequence, _unreported.ToList(), _confirmations.Count,
            new StationCounters(mostSessions, MulticastRounds, _multicastBlocks, _unicastBlocks, _droppedWhileDown)));
        _unreported.Clear();
        _confirmations.Clear();
        _countersChanged = false;
    }

    /// <summary>The reports up to <paramref name="report"/> are durable: the confirmations they held, in order, to acknowledge.</summary>
    public List<ProgramConfirmation> Durable(long report)
    {
        var durable = new List<ProgramConfirmation>();
        while (_awaitingDurable.TryPeek(out var waiting) && waiting.Report <= report) durable.Add(_awaitingDurable.Dequeue().Confirmation);
        return durable;
    }

    /// <summary>The head-end died: the timer stops and what was not reported or acknowledged is gone; the totals stay.</summary>
    public void Crash()
    {
        effects.CancelTimer(Timer);
        _unreported.Clear();
        _confirmations.Clear();
        _awaitingDurable.Clear();
    }
}
