using AmiSim.Meter.Board;
using AmiSim.Protocol.C1219;
using AmiSim.Protocol.Network;
using AmiSim.Protocol.Psem;

namespace AmiSim.Meter;

/// <summary>Messages inside one meter, between its NIC and its board (the serial link), and queries from outside the simulation.</summary>
public static class MeterProtocol
{
    /// <summary>NIC -> board: one PSEM request.</summary>
    public sealed record BoardRequest(PsemRequest Request);

    /// <summary>Board -> NIC: the PSEM response.</summary>
    public sealed record BoardResponse(PsemResponse Response);

    // NIC -> board: an ImageChunk is itself the request to write its blocks as partial writes into MT102,
    // one per block at block x block size, handled as the same PartialWriteRequests would be
    // (MetrologyBoard.WriteImageBlocks), without a request object per block or per delivery: a flood
    // hands every meter of a cell the same chunk. Answered with ImageBlocksWritten.

    /// <summary>Board -> NIC: how many of a chunk's blocks were written (answered ok), and the code of the first refused.</summary>
    public sealed record ImageBlocksWritten(int Written, PsemResponseCode FirstRefusal)
    {
        private const int SharedUpTo = 64;
        private static readonly ImageBlocksWritten?[] Shared = new ImageBlocksWritten?[(SharedUpTo + 1) * 256];

        /// <summary>The answer, one shared instance per outcome for chunks of up to 64 blocks.</summary>
        public static ImageBlocksWritten Of(int written, PsemResponseCode firstRefusal)
        {
            if (written is < 0 or > SharedUpTo) return new ImageBlocksWritten(written, firstRefusal);
            // Immutable and compared by value: two threads making the same answer at once is harmless.
            ref var shared = ref Shared[written * 256 + (byte)firstRefusal];
            return shared ??= new ImageBlocksWritten(written, firstRefusal);
        }
    }

    /// <summary>NIC -> board: a board timer fired (timers fire at the LP, which is the NIC).</summary>
    public sealed record BoardTimerDue(BoardTimer Timer);

    /// <summary>Board -> NIC: what the timer completed, if anything.</summary>
    public sealed record BoardTimerResult(ActivationFinished? Finished);

    /// <summary>Board -> NIC: the serial link timed out (a bricked board).</summary>
    public sealed class BoardNoAnswer
    {
        public static readonly BoardNoAnswer Instance = new();

        private BoardNoAnswer() { }
    }

    /// <summary>Query between runs: the board's state. Answered with <see cref="BoardState"/>.</summary>
    public sealed class GetBoardState
    {
        public static readonly GetBoardState Instance = new();

        private GetBoardState() { }
    }

    public sealed record BoardState(
        FirmwareVersion Firmware,
        ImageTransferStatus TransferStatus,
        ImageFailure LastFailure,
        int MissingBlocks,
        int FirstMissingBlock,
        TimeSpan MeteringInterval,
        bool Bricked,
        IReadOnlyList<LoggedEvent> Events);

    /// <summary>
    /// Query between runs: PSEM reads (<see cref="FullReadRequest"/> or <see cref="PartialReadRequest"/>)
    /// handled by the board exactly as the NIC's reads are, in order. Answered with <see cref="TablesRead"/>;
    /// any other request is refused, so that looking at a meter cannot change it.
    /// </summary>
    public sealed record ReadTables(IReadOnlyList<PsemRequest> Reads)
    {
        public ReadTables(params TableId[] tables) : this(tables.Select(t => (PsemRequest)new FullReadRequest(t)).ToList()) { }
    }

    public sealed record TablesRead(IReadOnlyList<PsemResponse> Responses);

    /// <summary>Query between runs: the NIC's state. Answered with <see cref="NicState"/>.</summary>
    public sealed class GetNicState
    {
        public static readonly GetNicState Instance = new();

        private GetNicState() { }
    }

    public sealed record NicState(bool Online, int UnacknowledgedConfirmations, long FramesDropped, long ConfirmationsSent);
}
