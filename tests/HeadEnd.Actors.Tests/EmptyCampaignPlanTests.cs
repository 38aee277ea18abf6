using AmiSim.HeadEnd.Campaign;
using AmiSim.Protocol.C1219;
using AmiSim.Protocol.Network;
using AmiSim.Protocol.Programs;
using Xunit;

namespace AmiSim.HeadEnd.Tests;

/// <summary>Campaigns with nothing to do: no wave, and every targeted meter skipped with its reason.</summary>
public sealed class EmptyCampaignPlanTests
{
    private static readonly IReadOnlyList<FleetMeter> Fleet = Enumerable.Range(1, 6)
        .Select(n => new FleetMeter(new MeterId(n), 1 + n % 2, n % 3 == 0 ? "AM-200" : "AM-100", n % 2 == 0 ? new FirmwareVersion(1, 1) : new FirmwareVersion(1, 0), []))
        .ToList();

    private static CampaignPlan Plan(FirmwareVersion version, IReadOnlyList<FirmwareVersion>? allowedFrom = null, TargetSelection? targets = null) =>
        CampaignPlan.Make(Fleet, targets ?? new TargetSelection(), ProgramManifest.ForFirmware("FW-X", version, new byte[1024], 512, [], allowedFrom),
            new CampaignSettings { CanaryMeters = 2 });

    [Fact]
    public void A_program_allowed_over_no_version_of_the_fleet_skips_every_meter_saying_so()
    {
        var plan = Plan(new(2, 0), allowedFrom: [new FirmwareVersion(7, 7)]);

        Assert.Empty(plan.Waves);
        Assert.Equal(Fleet.Select(m => m.Meter), plan.Skipped.Select(s => s.Meter.Meter));
        Assert.All(plan.Skipped, s => Assert.Equal($"incompatible: FW-X cannot be applied over {s.Meter.Firmware}", s.Reason));
    }

    [Fact]
    public void A_fleet_already_on_the_version_skips_every_meter_as_already_updated()
    {
        var plan = Plan(new(1, 0)); // the meters run 1.0 and 1.1

        Assert.Empty(plan.Waves);
        Assert.Equal(Fleet.Select(m => m.Meter), plan.Skipped.Select(s => s.Meter.Meter));
        Assert.All(plan.Skipped, s => Assert.Equal($"already updated: runs {s.Meter.Firmware}", s.Reason));
    }

    [Fact]
    public void Targets_that_select_no_meter_make_a_plan_with_no_meter()
    {
        var plan = Plan(new(2, 0), targets: new TargetSelection { Models = ["AM-999"] });

        Assert.Empty(plan.Waves);
        Assert.Empty(plan.Skipped);
        Assert.Empty(plan.Meters);
    }
}
