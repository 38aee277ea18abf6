using AmiSim.Kernel;
using AmiSim.Protocol.Cim;
using AmiSim.Protocol.Network;
using AmiSim.Protocol.Programs;

namespace AmiSim.HeadEnd.Campaign;

/// <summary>
/// The campaign's reports to the MDM (step 1.11), without actors: finished meters, once durable, go
/// as CIM messages (EndDeviceEvents for every outcome, MeterConfig for the successes) in batches of up
/// to <see cref="CampaignSettings.MdmBatchSize"/>, or after <see cref="CampaignSettings.MdmBatchInterval"/>;
/// each message is sent again every <see cref="CampaignSettings.MdmRetry"/> until the MDM answers it.
/// A FAILED answer is counted as rejected and the message is not sent again.
/// </summary>
public sealed class CampaignReporting
{
    private const string RetryTimer = "mdm-retry";
    private const string BatchTimer = "mdm-batch";

    private readonly CampaignSetup _setup;
    private readonly CampaignSettings _settings;
    private readonly ProgramManifest _manifest;
    private readonly DateTime _epochUtc;
    private readonly TimeSpan _lookahead;
    private readonly LpEffects _effects;
    private readonly List<MeterCampaignState> _reportable = [];
    private readonly SortedDictionary<string, string> _unacknowledged = new(StringComparer.Ordinal);
    private int _incarnation;
    private SimTime _now;

    /// <param name="lookahead">how late a CIM message reaches the MDM.</param>
    public CampaignReporting(CampaignSetup setup, DateTime originUtc, TimeSpan lookahead, LpEffects effects)
    {
        _setup = setup;
        _settings = setup.Settings;
        _manifest = setup.Package.Manifest;
        _epochUtc = originUtc;
        _lookahead = lookahead;
        _effects = effects;
    }

    /// <summary>CIM messages sent in this incarnation of the head-end.</summary>
    public long Sent { get; private set; }

    /// <summary>Messages sent again for want of an answer.</summary>
    public long Resent { get; private set; }

    /// <summary>Messages the MDM answered FAILED.</summary>
    public long Rejected { get; private set; }

    /// <summary>Durable outcomes not yet sent.</summary>
    public int Unsent => _reportable.Count;

    /// <summary>Messages the MDM has not answered.</summary>
    public int Unanswered => _unacknowledged.Count;

    /// <summary>Every durable outcome sent, and every message answered.</summary>
    public bool Quiet => _unacknowledged.Count == 0 && _reportable.Count == 0;

    /// <summary>Handles the MDM's reply and the reporting's own timers; false for any other payload.</summary>
    public bool Handle(object payload, SimTime now)
    {
        _now = now;
        switch (payload)
        {
            case CimDelivery reply:
                OnReply(reply);
                return true;
            case ReportDue:
                _effects.TimerFired(BatchTimer);
                Report();
                return true;
            case Retry:
                _effects.TimerFired(RetryTimer);
                Resend();
                return true;
            default:
                return false;
        }
    }

    /// <summary>Meters whose outcomes are durable now: reported at once if a batch is full, else once the batch interval has passed.</summary>
    public void Durable(IEnumerable<MeterCampaignState> finished, SimTime now)
    {
        _now = now;
        _reportable.AddRange(finished);
        if (_reportable.Count >= _settings.MdmBatchSize) Report();
        else if (_reportable.Count > 0 && !_effects.IsTimerActive(BatchTimer)) _effects.StartTimer(BatchTimer, _settings.MdmBatchInterval, ReportDue.Instance);
    }

    /// <summary>After a restart: outcomes the MDM may not have acknowledged are reported again (it records each event once).</summary>
    public void Again(IEnumerable<MeterCampaignState> outcomes)
    {
        _reportable.AddRange(outcomes);
        if (_reportable.Count > 0) _effects.StartTimer(BatchTimer, _settings.MdmBatchInterval, ReportDue.Instance);
    }

    /// <summary>A meter tried again: its earlier outcome, if not yet sent, is not to be.</summary>
    public void Withdraw(MeterCampaignState meter) => _reportable.Remove(meter);

    /// <summary>
    /// The head-end died: outcomes not yet sent and messages not yet answered are gone (the journal still
    /// holds the outcomes), and its next life, <paramref name="incarnation"/>, numbers its messages afresh.
    /// </summary>
    public void Lose(int incarnation)
    {
        _effects.CancelTimer(RetryTimer);
        _effects.CancelTimer(BatchTimer);
        _reportable.Clear();
        _unacknowledged.Clear();
        Sent = 0;
        _incarnation = incarnation;
    }

    private void Report()
    {
        _effects.CancelTimer(BatchTimer);
        if (_reportable.Count == 0) return;
        foreach (var batch in _reportable.Chunk(_settings.MdmBatchSize))
        {
            Send(new EventMessage(Header("created", "EndDeviceEvents"), new EndDeviceEvents(batch.Select(EventOf).ToList())));
            var succeeded = batch.Where(m => m.Phase == MeterPhase.Succeeded).ToList();
            if (succeeded.Count > 0)
                Send(new EventMessage(Header("changed", "MeterConfig"), new MeterConfig(succeeded.Select(m => _manifest.Kind == ProgramKind.Firmware
                    ? new MeterConfigEntry(m.Meter.Identification, m.FirmwareAfter, null, _manifest.ProgramId)
                    : new MeterConfigEntry(m.Meter.Identification, null, $"{_manifest.ProgramId} {_manifest.Version}", _manifest.ProgramId)).ToList())));
        }
        _reportable.Clear();
    }

    private EndDeviceEvent EventOf(MeterCampaignState meter) =>
        EventOf(_setup.CampaignId, _manifest, meter.Meter, meter.Phase, meter.TotalAttempts, new SimTime(meter.FinishedMicros).ToUtc(_epochUtc), meter.Reason, meter.FirmwareAfter);

    /// <summary>
    /// The EndDeviceEvent of a meter's outcome in campaign <paramref name="campaignId"/> (Succeeded, or
    /// Failed and TimedOut): the one the head-end reports to the MDM, and answers a get EndDeviceEvents with.
    /// Its mRID names the campaign, the meter and its attempts, so that the same outcome is the same event.
    /// </summary>
    public static EndDeviceEvent EventOf(string campaignId, ProgramManifest manifest, MeterId meter, MeterPhase phase, int attempts, DateTime finishedUtc, string reason, string firmwareAfter)
    {
        var firmware = manifest.Kind == ProgramKind.Firmware;
        var type = phase == MeterPhase.Succeeded
            ? firmware ? EndDeviceEventTypes.FirmwareUpgradeCompleted : EndDeviceEventTypes.ConfigurationChanged
            : firmware ? EndDeviceEventTypes.FirmwareUpgradeFailed : EndDeviceEventTypes.ConfigurationChangeFailed;
        return new EndDeviceEvent($"{campaignId}-{meter.Value}-{attempts}", finishedUtc, meter.Identification, type, reason.Length == 0 ? null : reason,
            [new EventDetail("programId", manifest.ProgramId), new EventDetail("version", firmwareAfter), new EventDetail("campaign", campaignId)]);
    }

    private CimHeader Header(string verb, string noun) =>
        new(verb, noun, _now.ToUtc(_epochUtc), "AmiSim-HeadEnd",
            _incarnation == 0 ? $"{_setup.CampaignId}-{++Sent:D6}" : $"{_setup.CampaignId}-r{_incarnation}-{++Sent:D6}", AckRequired: true);

    private void Send(CimMessage message)
    {
        var xml = CimXml.Write(message);
        var meters = message.Payload switch
        {
            EndDeviceEvents events => events.Events.Select(e => e.MeterMrid),
            MeterConfig config => config.Meters.Select(m => m.Mrid),
            _ => [],
        };
        foreach (var mrid in meters)
            if (MeterId.TryParseMrid(mrid, out var meter))
                _effects.Trace(meter.Value, "1.11", $"head-end sent CIM {message.Header.Noun} message {message.Header.MessageId} to the MDM (after the outcome was durable)");
        _unacknowledged[message.Header.MessageId] = xml;
        if (_setup.Outbox is not null) _effects.Add(new CimSent(message.Header.MessageId, xml));
        _effects.Send(_setup.Mdm, _lookahead, new CimDelivery(xml));
        if (!_effects.IsTimerActive(RetryTimer)) _effects.StartTimer(RetryTimer, _settings.MdmRetry, Retry.Instance);
    }

    private void OnReply(CimDelivery reply)
    {
        if (CimXml.Parse(reply.Xml) is ResponseMessage { Header.CorrelationId: { } correlation } response && _unacknowledged.Remove(correlation))
        {
            if (response.Reply.Result == ReplyResult.FAILED)
                Rejected++; // the MDM refused the message itself: sending it again would not help
        }
        if (_unacknowledged.Count == 0) _effects.CancelTimer(RetryTimer);
    }

    private void Resend()
    {
        foreach (var xml in _unacknowledged.Values)
        {
            Resent++;
            _effects.Send(_setup.Mdm, _lookahead, new CimDelivery(xml));
        }
        if (_unacknowledged.Count > 0) _effects.StartTimer(RetryTimer, _settings.MdmRetry, Retry.Instance);
    }

    private sealed class ReportDue
    {
        public static readonly ReportDue Instance = new();

        private ReportDue() { }
    }

    private sealed class Retry
    {
        public static readonly Retry Instance = new();

        private Retry() { }
    }
}
