using Xunit;

namespace AmiSim.Kernel.Tests;

public sealed class RandomStreamTests
{
    [Fact]
    public void The_same_seed_entity_and_purpose_give_the_same_stream()
    {
        var a = RandomStream.For(7, new LpId(LpKind.Model, 12), "loss");
        var b = RandomStream.For(7, new LpId(LpKind.Model, 12), "loss");
        Assert.Equal(Enumerable.Range(0, 100).Select(_ => a.NextUInt64()), Enumerable.Range(0, 100).Select(_ => b.NextUInt64()));
    }

    [Theory]
    [InlineData(8, 12, "loss")]
    [InlineData(7, 13, "loss")]
    [InlineData(7, 12, "faults")]
    public void Another_seed_entity_or_purpose_gives_another_stream(long seed, long meter, string purpose)
    {
        var reference = RandomStream.For(7, new LpId(LpKind.Model, 12), "loss");
        var other = RandomStream.For(seed, new LpId(LpKind.Model, meter), purpose);
        Assert.NotEqual(Enumerable.Range(0, 4).Select(_ => reference.NextUInt64()), Enumerable.Range(0, 4).Select(_ => other.NextUInt64()));
    }

    [Fact]
    public void Draws_are_uniform_enough_for_loss_models()
    {
        var random = RandomStream.For(1, 1, "uniformity");
        const int n = 200_000;
        var hits = Enumerable.Range(0, n).Count(_ => random.Chance(0.03));
        // 99.9% band of a binomial(200000, 0.03): +-3.3 sigma, sigma = 76.3.
        Assert.InRange(hits, 6000 - 252, 6000 + 252);
        var buckets = new int[10];
        for (var i = 0; i < n; i++) buckets[random.NextInt(10)]++;
        Assert.All(buckets, count => Assert.InRange(count, 20_000 - 450, 20_000 + 450));
    }
}
