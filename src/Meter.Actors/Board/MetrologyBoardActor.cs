using Akka.Actor;
using AmiSim.Kernel;
using AmiSim.Protocol.Network;
using AmiSim.Protocol.Psem;
using static AmiSim.Meter.MeterProtocol;

namespace AmiSim.Meter.Board;

/// <summary>The metrology-board actor: the serial-link end of a meter, answering its NIC from a <see cref="MetrologyBoard"/>.</summary>
public sealed class MetrologyBoardActor : LpMemberActor, IBoardClock
{
    private readonly MetrologyBoard _board;

    public MetrologyBoardActor(LpMembership membership, MeterSetup setup, long seed) : base(membership)
    {
        _board = new MetrologyBoard(setup, RandomStream.For(seed, MeterSetup.LpOf(setup.Meter), "board-faults"));
    }

    public static Props Props(LpMembership membership, MeterSetup setup, long seed) =>
        Akka.Actor.Props.Create(() => new MetrologyBoardActor(membership, setup, seed));

    SimTime IBoardClock.Now => Now;

    void IBoardClock.StartTimer(string key, TimeSpan delay, BoardTimer timer) => StartTimer(key, delay, timer);

    /// <summary>Answers a <see cref="ReadTables"/> query from <paramref name="board"/> through its PSEM handler.</summary>
    internal static object Answer(MetrologyBoard board, ReadTables read)
    {
        if (read.Reads.FirstOrDefault(r => r is not (FullReadRequest or PartialReadRequest)) is { } other)
            return new Status.Failure(new ArgumentException($"only PSEM reads can inspect a meter, not {other.Service}"));
        if (board.Bricked) return new Status.Failure(new InvalidOperationException("the board does not answer (bricked)"));
        return new TablesRead(read.Reads.Select(r => board.Handle(r, NoClock.Instance)).ToList());
    }

    /// <summary>Reads need no clock; a read that reached for one would be a bug in the board.</summary>
    private sealed class NoClock : IBoardClock
    {
        public static readonly NoClock Instance = new();

        public SimTime Now => throw new InvalidOperationException("a table read used the board's clock");

        public void StartTimer(string key, TimeSpan delay, BoardTimer timer) => throw new InvalidOperationException("a table read started a board timer");
    }

    protected override void OnDirect(object message)
    {
        if (_board.Bricked)
        {
            SendDirect(Primary, BoardNoAnswer.Instance);
            return;
        }
        switch (message)
        {
            case BoardRequest request:
                SendDirect(Primary, new BoardResponse(_board.Handle(request.Request, this)));
                break;
            case ImageChunk chunk:
                var (written, firstRefusal) = _board.WriteImageBlocks(chunk.BlockSize, chunk.Blocks);
                SendDirect(Primary, ImageBlocksWritten.Of(written, firstRefusal));
                break;
            case BoardTimerDue due:
                var finished = _board.OnTimer(due.Timer, this);
                if (finished is not null)
                    Trace(Id.Number, "1.7", $"board loaded {finished.ProgramId}: {finished.Status}{(finished.Failure == AmiSim.Protocol.C1219.ImageFailure.None ? "" : $" ({finished.Failure})")}, ST1 firmware {finished.Firmware}");
                SendDirect(Primary, _board.Bricked ? BoardNoAnswer.Instance : new BoardTimerResult(finished));
                break;
            default:
                throw new InvalidOperationException($"meter {Id}: the board does not understand {message}");
        }
    }

    protected override void OnOtherMessage(object message)
    {
        if (message is ReadTables read)
        {
            Sender.Tell(Answer(_board, read));
            return;
        }
        if (message is not GetBoardState)
        {
            Unhandled(message);
            return;
        }
        var transfer = _board.Transfer;
        Sender.Tell(new BoardState(
            _board.Firmware,
            transfer?.Status ?? default,
            transfer?.LastFailure ?? default,
            transfer?.MissingCount ?? 0,
            transfer?.FirstMissingBlock ?? 0,
            _board.LoadProfile.Interval,
            _board.Bricked,
            _board.Events.ToList()));
    }
}
