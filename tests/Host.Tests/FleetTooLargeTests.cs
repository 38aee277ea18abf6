using AmiSim.Host.Cli;
using Xunit;

namespace AmiSim.Host.Tests;

/// <summary>A fleet larger than the process's memory is refused at once, saying what it needs, not killed hours later.</summary>
[Collection("runs")]
public sealed class FleetTooLargeTests : IDisposable
{
    private static readonly string Small = Path.Combine(AppContext.BaseDirectory, "scenarios", "small.conf");
    private readonly string _dir = Directory.CreateTempSubdirectory("amisim-too-large-").FullName;
    private readonly AmisimProcesses _processes = new();

    public void Dispose()
    {
        _processes.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task A_fleet_the_process_cannot_hold_is_refused_before_anything_is_written()
    {
        // 256 MiB for the process: 40,000 meters need about 600 MiB.
        var small = new Dictionary<string, string> { ["DOTNET_GCHeapHardLimit"] = "0x10000000" };
        var folder = Path.Combine(_dir, "refused");
        var refused = _processes.StartWith(small, "run", "--scenario", Small, "--out", folder, "--set", "amisim.scenario.fleet.meters=40000");
        var error = await refused.StandardError.ReadToEndAsync();
        await refused.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        Assert.Equal(ExitCode.BadInput, refused.ExitCode);
        Assert.Contains("40,000 meters needs about 0.6 GiB", error);
        Assert.Contains("amisim.heap-limit", error);
        Assert.False(Directory.Exists(folder));
    }

    [Theory]
    [InlineData("auto", true)]
    [InlineData("off", false)]
    [InlineData("2TiB", false)]
    public void Only_the_automatic_limit_refuses_a_fleet_larger_than_the_machine(string limit, bool refused)
    {
        var config = Akka.Configuration.ConfigurationFactory.ParseString($"amisim.heap-limit = {limit}");
        Assert.Equal(refused, AmiSim.Host.Run.HeapBudget.TooLarge(config, 200_000_000) is not null); // 1.7 TiB of heap
        Assert.Null(AmiSim.Host.Run.HeapBudget.TooLarge(config, 1_000));
    }
}
