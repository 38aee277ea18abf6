using AmiSim.HeadEnd.Campaign;
using Xunit;

namespace AmiSim.HeadEnd.Tests;

public sealed class SnapshotPolicyTests
{
    /// <summary>Meter records a journal writes in snapshots, for a campaign of <paramref name="meters"/> journaling 12 transitions per flush.</summary>
    private static (long Snapshotted, long Journaled) Volumes(SnapshotPolicy policy, int meters)
    {
        const int TransitionsPerFlush = 12; // about what fleet-100k journals
        var flushes = meters * 10 / TransitionsPerFlush; // ten transitions per meter over the campaign
        long snapshotted = 0, journaled = 0, since = 0;
        var lastSnapshot = 0;
        for (var flush = 1; flush <= flushes; flush++)
        {
            journaled += TransitionsPerFlush;
            since += TransitionsPerFlush;
            if (!policy.Due(flush - lastSnapshot, since, meters)) continue;
            snapshotted += meters;
            lastSnapshot = flush;
            since = 0;
        }
        return (snapshotted, journaled);
    }

    [Fact]
    public void Snapshots_write_at_most_the_ratio_of_the_journal_whatever_the_fleet_size()
    {
        var policy = new SnapshotPolicy(500, 1.0);
        foreach (var meters in new[] { 1_000, 10_000, 100_000, 1_000_000 })
        {
            var (snapshotted, journaled) = Volumes(policy, meters);
            Assert.True(snapshotted <= journaled, $"{meters} meters: {snapshotted} records in snapshots for {journaled} journaled");
        }
    }

    [Fact]
    public void By_flushes_alone_snapshot_volume_grows_with_the_square_of_the_fleet()
    {
        var byFlushes = new SnapshotPolicy(500, 0);
        var (small, _) = Volumes(byFlushes, 10_000);
        var (large, _) = Volumes(byFlushes, 100_000);
        Assert.InRange(large / (double)small, 90, 110);
        var (_, journaled) = Volumes(byFlushes, 100_000);
        Assert.True(large > 10 * journaled);
    }

    [Fact]
    public void A_snapshot_is_never_sooner_than_its_flush_count()
    {
        var policy = new SnapshotPolicy(7, 1.0);
        Assert.False(policy.Due(6, 1_000, 10));
        Assert.True(policy.Due(7, 10, 10));
        Assert.False(policy.Due(7, 9, 10));
        Assert.True(new SnapshotPolicy(7, 0).Due(7, 0, 10));
    }
}
