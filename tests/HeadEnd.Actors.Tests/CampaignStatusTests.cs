using AmiSim.HeadEnd.Campaign;
using Xunit;

namespace AmiSim.HeadEnd.Tests;

/// <summary>A status's name is what reports, logs and the journal hold: each status has one, and each name reads back.</summary>
public sealed class CampaignStatusTests
{
    [Fact]
    public void Every_status_has_a_lowercase_name_that_reads_back_to_it()
    {
        foreach (var status in Enum.GetValues<CampaignStatus>())
        {
            Assert.Equal(status.ToString().ToLowerInvariant(), status.Name());
            Assert.Equal(status, CampaignStatuses.Parse(status.Name()));
        }
    }

    [Fact]
    public void A_name_that_is_no_status_is_refused_listing_the_names()
    {
        var error = Assert.Throws<FormatException>(() => CampaignStatuses.Parse("Running"));
        Assert.Contains("created, running, paused, completed, canceled, down", error.Message);
    }
}
