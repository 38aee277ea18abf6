using Akka.Configuration;
using AmiSim.Host.Run;
using Xunit;

namespace AmiSim.Host.Tests;

/// <summary>
/// The heap limit a run asks for (<c>amisim.heap-limit</c>). A test host is not the amisim command, so
/// nothing here changes this process's limit (<see cref="HeapBudget.OwnsProcess"/> stays false).
/// </summary>
public sealed class HeapBudgetTests
{
    private static Config With(string value) => ConfigurationFactory.ParseString($"{HeapBudget.Key} = {value}");

    [Fact]
    public void Auto_gives_a_fixed_part_and_nine_KiB_a_meter()
    {
        Assert.Equal(256UL << 20, HeapBudget.Auto(0));
        Assert.Equal((256UL << 20) + 100_000UL * 9_216, HeapBudget.Auto(100_000));
        Assert.InRange(HeapBudget.Auto(100_000) >> 20, 1_100UL, 1_150UL); // fleet-100k's live state is at most 709-747 MiB
        Assert.InRange(HeapBudget.Auto(1_000_000) >> 20, 8_900UL, 9_100UL); // fleet-1m's at most 7,649 MiB
    }

    [Theory]
    [InlineData("auto")]
    [InlineData("off")]
    [InlineData("2GiB")]
    [InlineData("\"1536 MiB\"")]
    public void Auto_off_and_sizes_are_accepted(string value)
    {
        Assert.False(HeapBudget.OwnsProcess);
        Assert.Null(HeapBudget.Apply(With(value), 1_000)); // checked, but not applied in a test host
    }

    [Theory]
    [InlineData("lots")]
    [InlineData("-5MiB")]
    [InlineData("0")]
    public void Anything_else_is_refused_naming_the_key_and_the_value(string value)
    {
        var error = Assert.Throws<ConfigurationException>(() => HeapBudget.Apply(With(value), 1_000));

        Assert.Contains(HeapBudget.Key, error.Message);
        Assert.Contains(value, error.Message);
    }
}
