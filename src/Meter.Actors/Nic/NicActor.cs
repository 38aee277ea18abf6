using Akka.Actor;
using AmiSim.Kernel;
using AmiSim.Meter.Board;
using AmiSim.Protocol.C1219;
using AmiSim.Protocol.Network;
using AmiSim.Protocol.Psem;
using static AmiSim.Meter.MeterProtocol;

namespace AmiSim.Meter.Nic;

/// <summary>
/// The NIC of a smart meter: its network endpoint and the primary actor of the meter's LP. It turns
/// head-end frames into PSEM requests to its board over a strict request/response serial link (one
/// outstanding request), forwards the board's update confirmation (steps 1.8-1.9) and keeps it until
/// the head-end acknowledges it, sending it again with backoff, across outages.
/// </summary>
public sealed class NicActor : SimActor
{
    private const string ResendTimer = "resend-confirmations";
    private const string OutageTimer = "outage";

    private readonly MeterSetup _setup;
    /// <summary>The serial link's work in order: <see cref="SerialJob"/>s, and image chunks to write (the commonest job, kept as the chunk itself).</summary>
    private readonly Queue<object> _jobs = new();
    private readonly SortedDictionary<long, ProgramConfirmation> _unacknowledged = new();
    private IActorRef _board = ActorRefs.Nobody;
    /// <summary>The job whose request the board is answering.</summary>
    private object? _current;
    private RandomStream? _outages;
    private bool _online = true;
    private long _nextConfirmation = 1;
    private TimeSpan _resendBackoff;
    private long _framesDropped;
    private long _confirmationsSent;

    public NicActor(MeterSetup setup) => _setup = setup;

    public static Props Props(MeterSetup setup) => Akka.Actor.Props.Create(() => new NicActor(setup));

    private MeterId Meter => _setup.Meter;

    protected override void OnStart()
    {
        _board = StartMember(MetrologyBoardActor.Props(Membership, _setup, Seed), "board");
        _resendBackoff = _setup.ConfirmationResendInitial;
        foreach (var (start, duration) in _setup.Outages)
        {
            if (start + duration <= Now) continue;
            if (start <= Now) GoOffline(start + duration - Now);
            else StartTimer((OutageTimer, start.Micros), start - Now, new OutageStarts(duration));
        }
        if (_setup.Faults.NicOutagesPerDay > 0)
        {
            _outages = RandomStreamFor("nic-outages");
            ScheduleRandomOutage();
        }
    }

    protected override void OnEvent(object payload)
    {
        switch (payload)
        {
            case BoardTimer timer:
                Enqueue(new TimerJob(timer)); // the board works through a NIC outage
                break;
            case OutageStarts outage:
                GoOffline(outage.Duration);
                break;
            case OutageEnds:
                ComeOnline();
                break;
            case ResendConfirmations:
                ResendAll(backOff: true);
                break;
            case IDownlinkFrame when !_online:
                _framesDropped++;
                break;
            case PsemCommand command:
                Enqueue(new CommandJob(command));
                break;
            case ImageChunk chunk:
                _jobs.Enqueue(chunk);
                break;
            case ConfirmationAck ack:
                _unacknowledged.Remove(ack.ConfirmationId);
                if (_unacknowledged.Count == 0)
                {
                    CancelTimer(ResendTimer);
                    _resendBackoff = _setup.ConfirmationResendInitial;
                }
                break;
            default:
                throw new InvalidOperationException($"meter {Meter}: the NIC does not understand {payload}");
        }
        Pump();
    }

    protected override void OnDirect(object message)
    {
        var job = _current ?? throw new InvalidOperationException($"meter {Meter}: a board answer with no request outstanding");
        _current = null;
        if (job is ImageChunk chunk) OnChunkWritten(chunk, message);
        else ((SerialJob)job).OnAnswer(message, this);
        Pump();
    }

    protected override void OnOtherMessage(object message)
    {
        switch (message)
        {
            case GetBoardState when _board.IsNobody():
                // Nothing has reached this meter yet: its board is as it left the factory.
                Sender.Tell(new BoardState(_setup.Firmware, ImageTransferStatus.NotInitiated, ImageFailure.None, 0, 0,
                    LoadProfileControlTable.Default.Interval, false, []));
                break;
            case GetBoardState:
                _board.Forward(message);
                break;
            case ReadTables read when _board.IsNobody():
                // Nothing has reached this meter yet (the LP has not started, so it has no seed to hand):
                // read a board as it left the factory; reads draw no faults.
                Sender.Tell(MetrologyBoardActor.Answer(new MetrologyBoard(_setup, RandomStream.For(0, MeterSetup.LpOf(_setup.Meter), "unused")), read));
                break;
            case ReadTables:
                _board.Forward(message);
                break;
            case GetNicState:
                Sender.Tell(new NicState(_online, _unacknowledged.Count, _framesDropped, _confirmationsSent));
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void Enqueue(SerialJob job) => _jobs.Enqueue(job);

    /// <summary>
    /// The board's answer to a chunk's blocks, written into MT102 at block x block size in one exchange
    /// of the serial link; a board that was not initiated refuses them (isss) and the NIC discards the chunk.
    /// </summary>
    private void OnChunkWritten(ImageChunk chunk, object answer)
    {
        if (chunk.Blocks[0].Number == 0 && answer is ImageBlocksWritten { Written: > 0 } written)
            Trace(Meter.Value, "1.6", $"NIC wrote blocks {chunk.Blocks[0].Number}..{chunk.Blocks[^1].Number} into MT102 by partial writes: {written.Written} ok");
    }

    /// <summary>Sends the next request of the serial link, if it is free.</summary>
    private void Pump()
    {
        if (_current is not null) return;
        while (_jobs.TryPeek(out var job))
        {
            // A chunk is its own request, sent once; a serial job says what comes next until it is done.
            var request = job is SerialJob serial ? serial.Next() : job;
            if (request is null || job is ImageChunk) _jobs.Dequeue();
            if (request is null) continue;
            _current = job;
            SendDirect(_board, request);
            return;
        }
    }

    private void SendUplink(IUplinkFrame frame)
    {
        if (!_online)
        {
            _framesDropped++;
            return;
        }
        Send(_setup.Uplink, _setup.UplinkDelay, frame);
    }

    private void Confirm(ActivationFinished finished, ProcedureResponseTable st8)
    {
        var data = st8.ResponseData;
        var status = data.Length > 0 ? (ImageTransferStatus)data[0] : finished.Status;
        var failure = data.Length > 1 ? (ImageFailure)data[1] : finished.Failure;
        var firmware = data.Length > 3 ? new FirmwareVersion(data[2], data[3]) : finished.Firmware;
        var confirmation = new ProgramConfirmation(Meter, _nextConfirmation++, finished.ProgramId,
            status == ImageTransferStatus.ActivationSuccessful ? ConfirmationOutcome.Activated : ConfirmationOutcome.RolledBack,
            firmware, failure == ImageFailure.None ? "" : failure.ToString(), Now.Micros);
        _unacknowledged.Add(confirmation.ConfirmationId, confirmation);
        Trace(Meter.Value, "1.8", $"board answered through ST8: {status}, failure {failure}, firmware {firmware}");
        Trace(Meter.Value, "1.9", $"NIC sends confirmation {confirmation.ConfirmationId} ({confirmation.Outcome}) toward the head-end and keeps it until acknowledged");
        Deliver(confirmation);
        if (!IsTimerActive(ResendTimer)) StartTimer(ResendTimer, _resendBackoff, ResendConfirmations.Instance);
    }

    private void Deliver(ProgramConfirmation confirmation)
    {
        if (!_online) return;
        _confirmationsSent++;
        Send(_setup.Uplink, _setup.UplinkDelay, confirmation);
    }

    private void ResendAll(bool backOff)
    {
        if (_unacknowledged.Count == 0) return;
        foreach (var confirmation in _unacknowledged.Values) Deliver(confirmation);
        _resendBackoff = backOff
            ? TimeSpan.FromTicks(Math.Min(_resendBackoff.Ticks * 2, _setup.ConfirmationResendMax.Ticks))
            : _setup.ConfirmationResendInitial;
        StartTimer(ResendTimer, _resendBackoff, ResendConfirmations.Instance);
    }

    private void GoOffline(TimeSpan duration)
    {
        _online = false;
        StartTimer(OutageTimer, duration, OutageEnds.Instance);
    }

    private void ComeOnline()
    {
        _online = true;
        ResendAll(backOff: false);
        if (_outages is not null) ScheduleRandomOutage();
    }

    private void ScheduleRandomOutage()
    {
        var meanGap = TimeSpan.FromDays(1 / _setup.Faults.NicOutagesPerDay);
        var gap = TimeSpan.FromSeconds(Math.Max(1, Math.Round(_outages!.NextExponential(meanGap.TotalSeconds))));
        var duration = TimeSpan.FromSeconds(Math.Max(1, Math.Round(_outages.NextExponential(_setup.Faults.NicOutageMeanDuration.TotalSeconds))));
        StartTimer((OutageTimer, "random"), gap, new OutageStarts(duration));
    }

    private sealed record OutageStarts(TimeSpan Duration);

    private sealed class OutageEnds
    {
        public static readonly OutageEnds Instance = new();

        private OutageEnds() { }
    }

    private sealed class ResendConfirmations
    {
        public static readonly ResendConfirmations Instance = new();

        private ResendConfirmations() { }
    }

    /// <summary>Work for the serial link: one request at a time, the next chosen after the answer.</summary>
    private abstract class SerialJob
    {
        /// <summary>The next message for the board, or null when the job is done.</summary>
        public abstract object? Next();

        public abstract void OnAnswer(object answer, NicActor nic);
    }

    /// <summary>Runs a head-end command's PSEM services in order, stopping at the first that is not ok, and answers.</summary>
    private sealed class CommandJob(PsemCommand command) : SerialJob
    {
        private readonly List<PsemResponse> _responses = new(command.Requests.Count);
        private bool _done;

        public override object? Next() => _done || _responses.Count == command.Requests.Count ? null : new BoardRequest(command.Requests[_responses.Count]);

        public override void OnAnswer(object answer, NicActor nic)
        {
            if (answer is not BoardResponse response)
            {
                _done = true; // the board is silent: so is the meter
                return;
            }
            _responses.Add(response.Response);
            if (response.Response.IsOk && _responses.Count < command.Requests.Count) return;
            _done = true;
            nic.Trace(nic.Meter.Value, "1.6",
                $"NIC ran PSEM command {command.CommandId} on its board over the serial link: {string.Join(", ", command.Requests.Take(_responses.Count).Zip(_responses, (q, r) => $"{q.Service}={r.Code}"))}");
            nic.SendUplink(new PsemCommandResult(nic.Meter, command.CommandId, _responses));
        }
    }

    /// <summary>Passes a board timer to the board; if it finished an activation, reads ST8 and confirms.</summary>
    private sealed class TimerJob(BoardTimer timer) : SerialJob
    {
        private ActivationFinished? _finished;
        private int _step;

        public override object? Next() => _step switch
        {
            0 => new BoardTimerDue(timer),
            1 when _finished is not null => new BoardRequest(new FullReadRequest(Tables.ProcedureResponse)),
            _ => null,
        };

        public override void OnAnswer(object answer, NicActor nic)
        {
            _step++;
            switch (answer)
            {
                case BoardTimerResult result:
                    _finished = result.Finished;
                    break;
                case BoardResponse { Response.IsOk: true } st8 when _finished is not null:
                    nic.Confirm(_finished, ProcedureResponseTable.Decode(st8.Response.Data.Span, nic._setup.GeneralConfig.DataOrder));
                    break;
                default:
                    _step = 2; // silent or unreadable board: nothing to confirm
                    break;
            }
        }
    }
}
