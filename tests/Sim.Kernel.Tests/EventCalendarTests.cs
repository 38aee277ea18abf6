using CsCheck;
using Xunit;

namespace AmiSim.Kernel.Tests;

public sealed class EventCalendarTests
{
    private const long Bucket = 10; // micros
    private const long Far = 40_000; // micros: thousands of buckets ahead, as timers hours ahead are

    /// <summary>A step of a run: add events this far after the last window's end, then take the window ending this far on.</summary>
    private sealed record Step(long[] Offsets, long Advance);

    private static readonly Gen<long> Offset = Gen.OneOf(
        Gen.Long[0, 2 * Bucket], // crowding one or two buckets past their first arrays (4, 8, then pooled)
        Gen.Long[0, 100],        // this window or the next few
        Gen.Long[0, Far * 3]);   // far ahead

    private static readonly Gen<Step> Steps = Gen.Select(Offset.Array[0, 40],
        Gen.OneOf(Gen.Long[1, 30], Gen.Long[1, Far * 2]), (offsets, advance) => new Step(offsets, advance));

    [Fact]
    public void Releases_exactly_the_events_due_before_each_window_end_and_knows_the_next()
    {
        Steps.Array[1, 60].Sample(steps =>
        {
            var calendar = new EventCalendar(Bucket);
            var pending = new List<SimEvent>();
            long end = 0, sequence = 0;
            foreach (var step in steps)
            {
                foreach (var offset in step.Offsets)
                {
                    var evt = new SimEvent(new SimTime(end + offset), LpId.Kernel, sequence++, new LpId(LpKind.Model, 1), "e");
                    calendar.Add(evt);
                    pending.Add(evt);
                }
                Assert.Equal(pending.Count == 0 ? SimTime.Never : new SimTime(pending.Min(e => e.Time.Micros)), calendar.Next);

                end += step.Advance;
                var released = new List<long>();
                calendar.TakeBefore(new SimTime(end), released, static (list, evt) => list.Add(evt.Sequence));
                var due = pending.Where(e => e.Time.Micros < end).Select(e => e.Sequence).Order().ToList();
                Assert.Equal(due, released.Order().ToList());
                pending.RemoveAll(e => e.Time.Micros < end);
                Assert.Equal(pending.Count, calendar.Count);
            }
        });
    }
}
