using AmiSim.HeadEnd.Campaign;
using AmiSim.Host.Console;
using AmiSim.Kernel;
using Spectre.Console;
using Xunit;

namespace AmiSim.Host.Tests;

/// <summary>The progress a redirected run prints (issue case 13): share of targeted meters final, the counts of the same moment, whole lines.</summary>
public sealed class ProgressViewTests
{
    private static CampaignSummary Summary(CampaignStatus status, int pending, int succeeded, int failed, int skipped) =>
        new(status, 1, 3, new Dictionary<MeterPhase, int>
        {
            [MeterPhase.Pending] = pending, [MeterPhase.Succeeded] = succeeded, [MeterPhase.Failed] = failed, [MeterPhase.Skipped] = skipped,
        }, "", Quiet: false, CimMessagesSent: 0);

    [Fact]
    public void A_line_shows_the_share_of_targeted_meters_final_with_the_counts_of_its_virtual_time()
    {
        var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(writer), Interactive = InteractionSupport.No, Ansi = AnsiSupport.No });
        console.Profile.Width = 100_000;
        var view = new ProgressView(console, SimTime.From(TimeSpan.FromDays(30)));

        // 1,000 meters, 100 skipped (not targeted): 450 of the 900 targeted are final at 37 h.
        view.Step(SimTime.From(TimeSpan.FromHours(37)), Summary(CampaignStatus.Running, pending: 450, succeeded: 440, failed: 10, skipped: 100));

        var line = Assert.Single(writer.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("virtual 1d 13:00:00.000", line);
        Assert.Contains("450 of 900 targeted meters final (50 %)", line);
        Assert.Contains("440 succeeded, 10 failed or timed out, 450 in progress", line);
        Assert.Contains("campaign running", line);
    }
}
