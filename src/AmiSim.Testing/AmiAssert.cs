using AmiSim.HeadEnd.Campaign;
using AmiSim.Protocol.Network;
using Xunit.Sdk;

namespace AmiSim.Testing;

/// <summary>Assertions in the terms of the use case. Each failure names the meters (the first ten) or the observation that broke it.</summary>
public static class AmiAssert
{
    /// <summary>Every meter the campaign targeted succeeded, and its ST1 (read through PSEM) shows the program's firmware version.</summary>
    public static async Task AllTargetedMetersRunTheNewFirmwareAsync(this SimulatedAmi ami)
    {
        var targeted = (await ami.OutcomesAsync()).Where(o => o.Phase != MeterPhase.Skipped).ToList();
        if (targeted.Count == 0) Fail("the campaign targeted no meter");
        var notSucceeded = targeted.Where(o => o.Phase != MeterPhase.Succeeded).ToList();
        if (notSucceeded.Count > 0)
            Fail($"{notSucceeded.Count} of {targeted.Count} targeted meters did not succeed: " + List(notSucceeded.Select(o => $"{new MeterId(o.Meter)} {o.Phase} {o.Reason}")));
        await MetersReportFirmwareAsync(ami, targeted.Select(o => new MeterId(o.Meter)));
    }

    /// <summary>Every meter the campaign says succeeded shows the program's firmware version in ST1 (read through PSEM).</summary>
    public static async Task SucceededMetersRunTheNewFirmwareAsync(this SimulatedAmi ami) =>
        await MetersReportFirmwareAsync(ami, (await ami.OutcomesAsync()).Where(o => o.Phase == MeterPhase.Succeeded).Select(o => new MeterId(o.Meter)));

    /// <summary><paramref name="meters"/> show the program's firmware version in ST1.</summary>
    public static async Task MetersReportFirmwareAsync(this SimulatedAmi ami, IEnumerable<MeterId> meters)
    {
        var expected = ami.Program.Version;
        var wrong = new List<string>();
        foreach (var meter in meters)
        {
            var st1 = await ami.ReadSt1Async(meter);
            if (st1.Firmware != expected) wrong.Add($"{meter} runs {st1.Firmware}");
        }
        if (wrong.Count > 0) Fail($"{wrong.Count} meters do not report firmware {expected} in ST1: {List(wrong)}");
    }

    /// <summary>For every meter of the network, the MDM's current firmware is what the meter's ST1 shows.</summary>
    public static async Task MdmAgreesWithTheMetersAsync(this SimulatedAmi ami)
    {
        var mdm = (await ami.MdmAsync()).ToDictionary(m => m.Mrid);
        var wrong = new List<string>();
        foreach (var node in ami.Topology.Meters)
        {
            var st1 = await ami.ReadSt1Async(node.Meter);
            if (!mdm.TryGetValue(node.Meter.Identification, out var held)) wrong.Add($"{node.Meter} is unknown to the MDM");
            else if (held.Firmware != st1.Firmware.ToString()) wrong.Add($"{node.Meter}: MDM holds {held.Firmware}, ST1 shows {st1.Firmware}");
        }
        if (wrong.Count > 0) Fail($"the MDM disagrees with {wrong.Count} meters: {List(wrong)}");
    }

    /// <summary>No targeted meter is still in flight: each has finished (succeeded, failed, timed out, canceled) or was never started.</summary>
    public static async Task NoMeterIsLeftInProgressAsync(this SimulatedAmi ami)
    {
        var inFlight = (await ami.OutcomesAsync()).Where(o => !o.Phase.IsFinal() && o.Phase != MeterPhase.Pending).ToList();
        if (inFlight.Count > 0) Fail($"{inFlight.Count} meters are still in progress: {List(inFlight.Select(o => $"{new MeterId(o.Meter)} {o.Phase}"))}");
    }

    /// <summary>
    /// The campaign paused while in a wave before <paramref name="wave"/> (numbered from 1) and never
    /// started that wave, judging by everything a campaign probe observed.
    /// </summary>
    public static void PausedBefore(this IReadOnlyList<CampaignStatusObserved> observed, int wave)
    {
        var reached = observed.FirstOrDefault(o => o.Wave >= wave);
        if (reached is not null) Fail($"the campaign reached wave {reached.Wave} at {reached.At} ({reached.Status.Name()})");
        var paused = observed.LastOrDefault(o => o.Status == CampaignStatus.Paused);
        if (paused is null) Fail($"the campaign never paused; it went {string.Join(" -> ", observed.Select(o => $"{o.Status.Name()}@w{o.Wave}"))}");
    }

    private static string List(IEnumerable<string> items)
    {
        var all = items.ToList();
        return string.Join("; ", all.Take(10)) + (all.Count > 10 ? $"; and {all.Count - 10} more" : "");
    }

    private static void Fail(string message) => throw new XunitException(message);
}
