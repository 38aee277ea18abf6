using System.Diagnostics;
using System.Text.RegularExpressions;
using Xunit;

namespace AmiSim.Host.Tests;

/// <summary>`amisim meter serve` as a process of its own, on a free loopback port.</summary>
internal static partial class ServedMeter
{
    [GeneratedRegex(@"optical port at 127\.0\.0\.1:(\d+)")]
    private static partial Regex PortLine();

    /// <summary>Starts the served meter and returns its port, read from the line it prints first.</summary>
    public static async Task<(int Port, Process Served)> StartAsync(AmisimProcesses processes, params string[] arguments)
    {
        var served = processes.Start(["meter", "serve", "--port", "0", .. arguments]);
        var line = await served.StandardOutput.ReadLineAsync() ?? "";
        Assert.Matches(PortLine(), line);
        return (int.Parse(PortLine().Match(line).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), served);
    }
}
