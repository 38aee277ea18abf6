using AmiSim.Kernel;
using CsCheck;
using Xunit;

namespace AmiSim.Kernel.Tests;

/// <summary>A large window grouped by LP is in exactly the order of sorting it whole.</summary>
public sealed class WindowOrderTests
{
    // Few LPs, times and sources, so that LPs get several events each and ties go down to the sequence.
    private static readonly Gen<SimEvent> Event =
        Gen.Select(Gen.Int[0, 3], Gen.Long[0, 40], Gen.Long[0, 5], Gen.Long[0, 5], Gen.Long[0, 1_000],
            (kind, number, time, source, sequence) => new SimEvent(new SimTime(time), new LpId(LpKind.Model, source), sequence,
                new LpId((LpKind)(kind == 0 ? 0 : 199 + kind), kind == 3 ? number << 20 : number), "payload"));

    [Fact]
    public void Grouping_gives_the_order_of_sorting_whole()
    {
        Event.Array[0, 600].Sample(events =>
        {
            var sorted = events.ToArray();
            WindowOrder.Sort(sorted);
            var grouped = new SimEvent[events.Length];
            Assert.True(WindowOrder.TryGroup(events, new ulong[events.Length], grouped));
            Assert.Equal(sorted.Select(Describe), grouped.Select(Describe));
        });
    }

    [Fact]
    public void An_LP_number_too_large_to_key_is_left_to_the_whole_sort()
    {
        var events = new[]
        {
            new SimEvent(new SimTime(1), LpId.Kernel, 0, new LpId(LpKind.Model, 1L << 40), "far"),
            new SimEvent(new SimTime(0), LpId.Kernel, 1, new LpId(LpKind.Model, 1), "near"),
        };
        var grouped = new SimEvent[2];
        Assert.False(WindowOrder.TryGroup(events, new ulong[2], grouped));
        Assert.Equal(default, grouped[0].Target);
    }

    private static string Describe(SimEvent e) => $"{e.Target.Value}/{e.Time.Micros}/{e.Source.Value}/{e.Sequence}";
}
