using AmiSim.Kernel;
using Xunit;

namespace AmiSim.Kernel.Tests;

public sealed class EventChunksTests
{
    private sealed record Sized(int EstimatedBytes) : ISizedPayload;

    private static SimEvent Event(int i, object payload) => new(SimTime.FromSeconds(i), new LpId(LpKind.Model, 1), i, new LpId(LpKind.Model, 2), payload);

    [Fact]
    public void Small_events_go_two_thousand_to_a_chunk_in_order()
    {
        var events = Enumerable.Range(0, 4_500).Select(i => Event(i, "small")).ToList();
        var chunks = EventChunks.Split(events).ToList();
        Assert.Equal([2_000, 2_000, 500], chunks.Select(c => c.Length));
        Assert.Equal(events.Select(e => e.Sequence), chunks.SelectMany(c => c).Select(e => e.Sequence));
    }

    [Fact]
    public void Large_payloads_are_cut_by_their_estimated_bytes_and_none_is_lost()
    {
        // Station reports of 5,000 transitions each, as a cancel of a large fleet makes them.
        var events = Enumerable.Range(0, 40).Select(i => Event(i, new Sized(300_000))).Append(Event(40, new Sized(3_000_000))).Append(Event(41, "small")).ToList();
        var chunks = EventChunks.Split(events).ToList();
        Assert.All(chunks.Where(c => c.Length > 1), c => Assert.True(c.Sum(e => 64 + (e.Payload is Sized sized ? sized.EstimatedBytes : 0)) <= EventChunks.MaxBytes));
        Assert.Contains(chunks, c => c is [{ Payload: Sized { EstimatedBytes: 3_000_000 } }]); // too large for any budget: alone
        Assert.Equal(events.Select(e => e.Sequence), chunks.SelectMany(c => c).Select(e => e.Sequence));
        Assert.True(chunks.Count >= 14, $"{chunks.Count} chunks");
    }
}
