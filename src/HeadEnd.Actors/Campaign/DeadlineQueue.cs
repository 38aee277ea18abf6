namespace AmiSim.HeadEnd.Campaign;

/// <summary>
/// A station's meters by deadline, so that a deadline check finds the late ones without looking at every
/// meter. A meter is queued each time its deadline is set; entries whose deadline has changed since are
/// skipped.
/// </summary>
internal sealed class DeadlineQueue
{
    private readonly PriorityQueue<MeterCampaignState, long> _queue = new();

    public void Watch(MeterCampaignState meter, long deadlineMicros) => _queue.Enqueue(meter, deadlineMicros);

    /// <summary>The meters, not finished, whose current deadline is at or before <paramref name="nowMicros"/>, in plan order.</summary>
    public List<MeterCampaignState> Due(long nowMicros)
    {
        var due = new List<MeterCampaignState>();
        var seen = new HashSet<MeterCampaignState>();
        while (_queue.TryPeek(out var meter, out var deadline) && deadline <= nowMicros)
        {
            _queue.Dequeue();
            if (meter.DeadlineMicros == deadline && !meter.Phase.IsFinal() && seen.Add(meter)) due.Add(meter);
        }
        due.Sort((a, b) => a.Order.CompareTo(b.Order));
        return due;
    }

    public void Clear() => _queue.Clear();
}
