using AmiSim.Protocol.Network;
using AmiSim.Protocol.Programs;

namespace AmiSim.HeadEnd.Campaign;

/// <summary>A targeted meter's place in the plan: its wave (from 0) and its order over the whole campaign.</summary>
public sealed record PlannedMeter(FleetMeter Meter, int Wave, int Order);

/// <summary>
/// Which meters a campaign takes on, in which waves, and which it skips and why. A function of the
/// fleet, the targets, the program and the policy only: the campaign makes it when it starts (and
/// again after a restart), and every node makes the same one for the stations it hosts, so the plan
/// never has to travel to them.
/// </summary>
public sealed class CampaignPlan
{
    private CampaignPlan(IReadOnlyList<IReadOnlyList<PlannedMeter>> waves, IReadOnlyList<(FleetMeter Meter, string Reason)> skipped)
    {
        Waves = waves;
        Skipped = skipped;
    }

    /// <summary>The waves, canary first, each in plan order.</summary>
    public IReadOnlyList<IReadOnlyList<PlannedMeter>> Waves { get; }

    /// <summary>Meters of the fleet the targets select but the program cannot be applied to, in meter order.</summary>
    public IReadOnlyList<(FleetMeter Meter, string Reason)> Skipped { get; }

    /// <summary>Every targeted meter, in plan order.</summary>
    public IEnumerable<PlannedMeter> Meters => Waves.SelectMany(w => w);

    /// <param name="unreachable">meters of the fleet no route reaches, with why: skipped with that reason when the targets select them.</param>
    public static CampaignPlan Make(IReadOnlyList<FleetMeter> fleet, TargetSelection targets, ProgramManifest manifest, CampaignSettings settings,
        IReadOnlyDictionary<MeterId, string>? unreachable = null)
    {
        var taken = new List<FleetMeter>();
        var skipped = new List<(FleetMeter, string)>();
        foreach (var meter in fleet.Where(targets.Selects).OrderBy(m => m.Meter))
        {
            var reason = unreachable?.GetValueOrDefault(meter.Meter) is { } noRoute ? noRoute
                : manifest.TargetModels.Count > 0 && !manifest.TargetModels.Contains(meter.Model) ? $"incompatible: model {meter.Model} is not a target of {manifest.ProgramId}"
                : manifest.Kind == ProgramKind.Firmware && meter.Firmware >= manifest.Version ? $"already updated: runs {meter.Firmware}"
                : manifest.AllowedSourceVersions.Count > 0 && !manifest.AllowedSourceVersions.Contains(meter.Firmware) ? $"incompatible: {manifest.ProgramId} cannot be applied over {meter.Firmware}"
                : null;
            if (reason is null) taken.Add(meter);
            else skipped.Add((meter, reason));
        }

        // Canary first (spread over collectors), then the configured shares of the rest.
        var order = taken.GroupBy(t => t.Collector).SelectMany(g => g.Select((m, i) => (m, i))).OrderBy(x => x.i).ThenBy(x => x.m.Collector).Select(x => x.m).ToList();
        var canary = order.Take(Math.Min(settings.CanaryMeters, order.Count)).ToList();
        var rest = order.Skip(canary.Count).OrderBy(m => m.Meter).ToList();
        var sizes = new List<List<FleetMeter>> { canary };
        var start = 0;
        for (var i = 0; i < settings.WaveShares.Count && start < rest.Count; i++)
        {
            var count = i == settings.WaveShares.Count - 1 ? rest.Count - start : (int)Math.Ceiling(rest.Count * settings.WaveShares[i]);
            sizes.Add(rest.Skip(start).Take(count).ToList());
            start += count;
        }
        if (start < rest.Count) sizes.Add(rest.Skip(start).ToList());
        var waves = new List<IReadOnlyList<PlannedMeter>>();
        var planned = 0;
        foreach (var wave in sizes.Where(w => w.Count > 0))
        {
            var index = waves.Count;
            waves.Add(wave.Select(m => new PlannedMeter(m, index, planned++)).ToList());
        }
        return new CampaignPlan(waves, skipped);
    }
}
