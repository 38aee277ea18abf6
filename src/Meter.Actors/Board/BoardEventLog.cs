using AmiSim.Kernel;
using AmiSim.Protocol.C1219;

namespace AmiSim.Meter.Board;

/// <summary>One entry of the board's C12.19 event log.</summary>
public sealed record LoggedEvent(SimTime Time, EventCode Code, string Detail);

/// <summary>The board's event log: the most recent <see cref="Capacity"/> entries, made only when the first event happens.</summary>
public sealed class BoardEventLog
{
    public const int Capacity = 32;
    private readonly Queue<LoggedEvent> _entries = new();

    public IReadOnlyCollection<LoggedEvent> Entries => _entries;

    public void Add(SimTime time, EventCode code, string detail)
    {
        if (_entries.Count == Capacity) _entries.Dequeue();
        _entries.Enqueue(new LoggedEvent(time, code, detail));
    }
}
