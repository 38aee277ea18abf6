using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AmiSim.HeadEnd.Campaign;
using AmiSim.HeadEnd.Mdm;
using AmiSim.Mesh.Router;
using AmiSim.Mesh.Topology;
using AmiSim.Protocol.Programs;
using AmiSim.Kernel;
using AmiSim.Protocol.Network;
using AmiSim.Scenario;

namespace AmiSim.Host.Run;

/// <summary>Which amisim made a run (its version and commit) and the command line it was given.</summary>
public sealed record RunInvocation(string Version, string CommandLine);

/// <summary>
/// The run folder's report: report.json (with <c>resultDigest</c>, a SHA-256 of every deterministic
/// part, so two runs of one scenario and seed can be compared at a glance) and meters.csv.
/// </summary>
public static class RunReport
{
    /// <summary>
    /// report.json's <c>operatorActions</c> (outside the digest): the actions the console took, at their
    /// virtual times and by whom, and <c>replay</c>, the <c>--set</c> that scripts them with the scenario's
    /// own actions, in the order the run took them, so that the run is made again without the console;
    /// <c>replayArguments</c>, the command-line arguments that do it (with campaign.start = operator when the run waited for its start).
    /// </summary>
    public static JsonObject OperatorActions(ScenarioSettings scenario, IReadOnlyList<TakenAction> taken)
    {
        // At one virtual time the scenario's actions went first: they were scheduled before the run began.
        // Those the campaign ignored (a scripted pause while the console had paused it) are left out: the same run, and a script the scenario accepts.
        var script = ScenarioSettings.WithoutIgnored(scenario.OperatorActions.Select(a => (At: a.At, a.Action, Scripted: 0, a.Meters))
            .Concat(taken.Select(a => (At: a.At.SinceOrigin, a.Action, Scripted: 1, a.Meters)))
            .OrderBy(a => a.At).ThenBy(a => a.Scripted).Select(a => new ScheduledAction(a.At, a.Action, a.Meters)).ToList(), scenario.StartByOperator);
        var replay = $"{ScenarioReader.Root}.operator-actions=[{string.Join(", ", script.Select(a => $"{{ at = {(a.At.Ticks % TimeSpan.TicksPerSecond == 0 ? $"{(long)a.At.TotalSeconds}s" : $"{(long)a.At.TotalMilliseconds}ms")}, action = {a.Action.Name()}{(a.Meters is { } m ? $", meters = [{string.Join(", ", m)}]" : "")} }}"))}]";
        return new JsonObject
        {
            ["taken"] = new JsonArray([.. taken.Select(a => (JsonNode)TakenJson(a))]),
            ["replay"] = replay,
            ["replayArguments"] = new JsonArray([.. (scenario.StartByOperator ? new[] { "--set", $"{ScenarioReader.Root}.campaign.start=operator" } : []).Concat(["--set", replay]).Select(a => (JsonNode)a)]),
        };
    }

    /// <summary>
    /// report.json's <c>downlinkDelayByDepth</c> (outside the digest): per meter depth, the unicast frames
    /// delivered to meters of that depth and their mean end-to-end delay, from the head-end putting them
    /// on the backhaul to their arrival at the meter (docs/MESH-MODEL.md, "Metrics").
    /// </summary>
    public static JsonArray DelayByDepth(IReadOnlyList<MeshMetrics> mesh)
    {
        var depths = mesh.Select(m => m.Down.Count).DefaultIfEmpty(0).Max();
        var rows = new JsonArray();
        for (var d = 0; d < depths; d++)
        {
            var frames = mesh.Where(m => d < m.Down.Count).Sum(m => m.Down[d].UnicastDelivered);
            if (frames == 0) continue;
            var delay = mesh.Where(m => d < m.Down.Count).Sum(m => m.Down[d].DelayMicros);
            rows.Add(new JsonObject { ["depth"] = d + 1, ["frames"] = frames, ["meanDelayMs"] = Math.Round(delay / 1e3 / frames, 1) });
        }
        return rows;
    }

    /// <summary>One action taken, as report.json's <c>operatorActions.taken</c> and the run folder's <see cref="RunFolder.ActionsFile"/> hold it.</summary>
    public static JsonObject TakenJson(TakenAction action)
    {
        var json = new JsonObject { ["at"] = action.At.ToString(), ["atSeconds"] = (long)action.At.SinceOrigin.TotalSeconds, ["action"] = action.Action.Name(), ["by"] = action.By };
        if (action.Meters is { } meters) json["meters"] = new JsonArray([.. meters.Select(m => (JsonNode)m)]);
        return json;
    }

    /// <summary>An action as <see cref="TakenJson"/> wrote it. <exception cref="FormatException">it is not one.</exception></summary>
    public static TakenAction TakenFrom(JsonNode? node) =>
        node is JsonObject o && o["atSeconds"]?.GetValue<long>() is { } seconds && o["action"]?.GetValue<string>() is { } name && o["by"]?.GetValue<string>() is { } by
            ? new TakenAction(SimTime.From(TimeSpan.FromSeconds(seconds)), AmiSim.HeadEnd.Campaign.OperatorActions.Parse(name) ?? throw new FormatException($"no action '{name}'"), by,
                o["meters"] is JsonArray meters ? meters.Select(m => m!.GetValue<long>()).ToList() : null)
            : throw new FormatException("not an action amisim wrote (at, atSeconds, action, by)");

    /// <param name="invocation">which amisim ran it and how (not part of the digest: another build or command line gives the same results).</param>
    /// <param name="scenarioKeys">the scenario keys that differ from their defaults (<see cref="ScenarioReader.Differences"/>), when known.</param>
    public static JsonObject Build(RunResult run, RunInvocation? invocation = null, IReadOnlyList<ScenarioKeyValue>? scenarioKeys = null)
    {
        var meters = run.Topology.Meters.ToDictionary(m => m.Meter.Value);
        var outcomes = run.Outcomes;
        var origin = run.Scenario.OriginUtc;
        JsonObject Counts(IEnumerable<MeterOutcome> group)
        {
            var counts = new JsonObject();
            foreach (var phase in Enum.GetValues<MeterPhase>())
            {
                var n = group.Count(o => o.Phase == phase);
                if (n > 0) counts[phase.ToString()] = n;
            }
            return counts;
        }
        var configuration = $"{run.Manifest.ProgramId} {run.Manifest.Version}";
        bool OnProgram(MdmQueries.MeterView m) => run.Manifest.Kind == ProgramKind.Firmware ? m.Firmware == run.Manifest.Version.ToString() : m.ConfigId == configuration;
        var deterministic = new JsonObject
        {
            ["scenario"] = run.Scenario.Name,
            ["seed"] = run.Scenario.Seed,
            ["fleet"] = Fleet(run.Topology),
            ["program"] = new JsonObject
            {
                ["id"] = run.Manifest.ProgramId, ["kind"] = run.Manifest.Kind.ToString(), ["version"] = run.Manifest.Version.ToString(),
                ["bytes"] = run.Manifest.Size, ["blocks"] = run.Manifest.BlockCount, ["blockSize"] = run.Manifest.BlockSize,
            },
            ["campaign"] = new JsonObject
            {
                ["status"] = run.Summary.Status.Name(), ["pauseReason"] = run.Summary.PauseReason, ["waves"] = run.Summary.Waves,
                ["distribution"] = run.Scenario.Campaign.Distribution.ToString(),
                ["multicastRounds"] = run.Summary.MulticastRounds, ["multicastBlocks"] = run.Summary.MulticastBlocks,
                ["unicastBlocks"] = run.Summary.UnicastBlocks,
            },
            ["outcomes"] = Counts(outcomes),
            ["virtualTime"] = new JsonObject
            {
                ["start"] = origin.ToString("O", CultureInfo.InvariantCulture),
                ["end"] = run.End.ToUtc(origin).ToString("O", CultureInfo.InvariantCulture),
                ["durationHours"] = Math.Round(run.End.TotalSeconds / 3600, 3),
            },
            ["waves"] = new JsonArray(outcomes.Where(o => o.Wave >= 0).GroupBy(o => o.Wave).OrderBy(g => g.Key)
                .Select(g => (JsonNode)new JsonObject
                {
                    ["wave"] = g.Key + 1, ["meters"] = g.Count(), ["outcomes"] = Counts(g),
                    ["lastFinishedHours"] = Math.Round(g.Max(o => o.FinishedMicros) / 3.6e9, 3),
                }).ToArray()),
            ["collectors"] = new JsonArray(run.Mesh.OrderBy(m => m.Collector).Select(m =>
            {
                var mine = outcomes.Where(o => o.Collector == m.Collector).ToList();
                var collector = new JsonObject
                {
                    ["collector"] = m.Collector, ["meters"] = mine.Count, ["succeeded"] = mine.Count(o => o.Phase == MeterPhase.Succeeded),
                    ["airtimeSeconds"] = Math.Round(m.AirtimeMicros / 1e6, 3),
                    ["framesSent"] = m.Down.Sum(c => c.FramesSent) + m.Up.Sum(c => c.FramesSent),
                    ["blocksSent"] = m.Down.Sum(c => c.BlocksSent), ["blocksLost"] = m.Down.Sum(c => c.BlocksLost),
                    ["blocksDelivered"] = m.Down.Sum(c => c.BlocksDelivered),
                    ["queueingSeconds"] = Math.Round((m.Down.Sum(c => c.QueueingMicros) + m.Up.Sum(c => c.QueueingMicros)) / 1e6, 3),
                };
                if (run.Scenario.Radio.RerouteAfter is not null) collector["parentSwitches"] = m.ParentSwitches;
                // Only with the MAC on (network.mac), so that a run without it reports and digests as before.
                if (run.Scenario.Radio.Mac is not null)
                    collector["mac"] = new JsonObject
                    {
                        ["retransmissions"] = m.Down.Sum(c => c.Retransmissions) + m.Up.Sum(c => c.Retransmissions),
                        ["accessFailures"] = m.Down.Sum(c => c.AccessFailures) + m.Up.Sum(c => c.AccessFailures),
                        ["backoffSeconds"] = Math.Round((m.Down.Sum(c => c.BackoffMicros) + m.Up.Sum(c => c.BackoffMicros)) / 1e6, 3),
                    };
                return (JsonNode)collector;
            }).ToArray()),
            ["depths"] = new JsonArray(outcomes.Where(o => meters.ContainsKey(o.Meter)).GroupBy(o => meters[o.Meter].Depth).OrderBy(g => g.Key)
                .Select(g => (JsonNode)new JsonObject { ["depth"] = g.Key, ["meters"] = g.Count(), ["succeeded"] = g.Count(o => o.Phase == MeterPhase.Succeeded) }).ToArray()),
            ["airtimeSeconds"] = new JsonObject
            {
                ["down"] = Math.Round(run.Mesh.Sum(m => m.Down.Sum(c => c.AirtimeMicros)) / 1e6, 3),
                ["up"] = Math.Round(run.Mesh.Sum(m => m.Up.Sum(c => c.AirtimeMicros)) / 1e6, 3),
            },
            // Commands beyond the fewest a meter needs (initiate, status, verify; one for a configuration).
            ["retries"] = outcomes.Where(o => o.Wave >= 0).Sum(o => Math.Max(0, o.Attempts - (run.Manifest.Kind == ProgramKind.Firmware ? 3 : 1))),
            ["completion"] = Completion(outcomes),
            ["mdm"] = new JsonObject
            {
                ["metersOnProgramVersion"] = run.Mdm.Count(OnProgram),
                ["agreesWithCampaign"] = AgreesWithCampaign(run, OnProgram),
                ["cimMessages"] = run.CimMessages,
            },
        };
        var digest = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(deterministic.ToJsonString()))).ToLowerInvariant();
        var report = (JsonObject)deterministic.DeepClone();
        report["run"] = new JsonObject
        {
            ["wallSeconds"] = Math.Round(run.Wall.TotalSeconds, 2),
            ["eventsHandled"] = run.Events,
            ["windows"] = run.Windows,
            ["epochs"] = run.Epochs,
            ["epochsSatOut"] = run.EpochsSatOut,
            ["eventsPerSecond"] = Math.Round(run.Events / Math.Max(1e-9, run.Wall.TotalSeconds)),
            ["peakWorkingSetMB"] = run.PeakWorkingSetBytes / (1 << 20),
        };
        report["skipped"] = Skipped(run);
        report["downlinkDelayByDepth"] = DelayByDepth(run.Mesh);
        report["timeToShare"] = RunAnalysis.TimeToShare(outcomes);
        report["notSucceeded"] = RunAnalysis.NotSucceeded(outcomes);
        report["errorsOverTime"] = RunAnalysis.ErrorsOverTime(outcomes);
        if (scenarioKeys is not null)
            report["scenarioKeys"] = new JsonArray(scenarioKeys.Select(k => (JsonNode)new JsonObject
                { ["key"] = k.Key, ["value"] = k.Value, ["default"] = k.Default, ["givenBy"] = k.GivenBy }).ToArray());
        var layout = NetworkLayout.Of(run.Topology);
        report["layout"] = new JsonObject
        {
            ["surveyed"] = layout.Surveyed,
            ["collectors"] = new JsonArray(layout.Positions.Collectors.OrderBy(c => c.Key)
                .Select(c => (JsonNode)new JsonObject { ["collector"] = c.Key, ["x"] = Math.Round(c.Value.X, 1), ["y"] = Math.Round(c.Value.Y, 1) }).ToArray()),
        };
        if (run.Package is { } package)
            report["package"] = new JsonObject { ["file"] = package.File is null ? "built by the scenario's vendor tool" : package.File, ["sha256"] = package.Sha256, ["signerKeyId"] = package.SignerKeyId };
        if (invocation is not null) report["amisim"] = new JsonObject { ["version"] = invocation.Version, ["commandLine"] = invocation.CommandLine };
        if (run.MdmDelivery is { } delivery)
            report["mdmEndpoint"] = new JsonObject
            {
                ["endpoint"] = delivery.Endpoint,
                ["messages"] = delivery.Messages,
                ["ok"] = delivery.Ok,
                ["partial"] = delivery.Partial,
                ["failed"] = delivery.Failed,
                ["undelivered"] = delivery.Undelivered,
                ["calls"] = delivery.Attempts,
                ["exchanges"] = delivery.ExchangesFile,
            };
        report["resultDigest"] = digest;
        return report;
    }

    /// <summary>
    /// Why meters were left alone: the campaign's skipped meters counted by reason (each meter's own is in
    /// meters.csv), and the fleet's meters the targets did not select (not the campaign's, so in neither).
    /// Deterministic, but outside the digest, which came first: digests of earlier runs stay comparable.
    /// </summary>
    private static JsonObject Skipped(RunResult run)
    {
        var reasons = new JsonObject();
        foreach (var group in run.Outcomes.Where(o => o.Phase == MeterPhase.Skipped).GroupBy(o => o.Reason).OrderBy(g => g.Key, StringComparer.Ordinal))
            reasons[group.Key] = group.Count();
        return new JsonObject { ["reasons"] = reasons, ["notTargeted"] = run.Topology.Meters.Count + run.Topology.Unreachable.Count - run.Outcomes.Count };
    }

    /// <summary>The MDM holds the new program for exactly the meters the campaign says succeeded.</summary>
    private static bool AgreesWithCampaign(RunResult run, Func<MdmQueries.MeterView, bool> onProgram)
    {
        var succeeded = run.Outcomes.Where(o => o.Phase == MeterPhase.Succeeded).Select(o => $"MTR{o.Meter:D10}").ToHashSet();
        var changed = run.Outcomes.Where(o => o.Wave >= 0).Select(o => $"MTR{o.Meter:D10}").ToHashSet();
        return run.Mdm.Where(m => changed.Contains(m.Mrid)).All(m => onProgram(m) == succeeded.Contains(m.Mrid));
    }

    /// <summary>Cumulative succeeded meters at the end of each virtual hour, per wave.</summary>
    /// <remarks>Counts each meter once, into the first hour that holds it, then sums: a million meters over hundreds of hours stay one pass.</remarks>
    private static JsonArray Completion(IReadOnlyList<MeterOutcome> outcomes)
    {
        const long Hour = 3_600_000_000L;
        var succeeded = outcomes.Where(o => o.Phase == MeterPhase.Succeeded).ToList();
        if (succeeded.Count == 0) return [];
        var hours = (int)((succeeded.Max(o => o.FinishedMicros) + Hour - 1) / Hour);
        var waves = succeeded.Select(o => o.Wave).Distinct().Order().ToList();
        var finishedIn = new long[waves.Count + 1, hours + 1]; // [wave index + 1 (0: all), hour]
        foreach (var o in succeeded)
        {
            // The first hour whose end is at or after the meter finished (hour 1 for a meter finished at zero).
            var hour = (int)Math.Max(1, (o.FinishedMicros + Hour - 1) / Hour);
            finishedIn[0, hour]++;
            finishedIn[waves.BinarySearch(o.Wave) + 1, hour]++;
        }
        var series = new JsonArray();
        var total = new long[waves.Count + 1];
        for (var hour = 1; hour <= hours; hour++)
        {
            for (var w = 0; w <= waves.Count; w++) total[w] += finishedIn[w, hour];
            var point = new JsonObject { ["hour"] = hour, ["succeeded"] = (int)total[0] };
            for (var w = 0; w < waves.Count; w++) point[$"wave{waves[w] + 1}"] = (int)total[w + 1];
            series.Add(point);
        }
        return series;
    }

    /// <summary>The fleet's size: every meter, routed or not (a network from positions may leave some unreachable: counted apart).</summary>
    private static JsonObject Fleet(NetworkTopology topology)
    {
        var fleet = new JsonObject { ["meters"] = topology.Meters.Count + topology.Unreachable.Count, ["collectors"] = topology.Collectors.Count };
        if (topology.Unreachable.Count > 0) fleet["unreachable"] = topology.Unreachable.Count;
        return fleet;
    }

    /// <summary>
    /// meters.csv: one row per meter of the campaign. <c>parent</c> is the relay meter (empty: the
    /// collector itself, or no route); <c>x</c>, <c>y</c> are where the map draws it, in metres
    /// (report.json's <c>layout</c> says whether they are the network's own or laid out).
    /// </summary>
    public static void WriteMetersCsv(RunResult run, TextWriter writer)
    {
        var meters = run.Topology.Meters.ToDictionary(m => m.Meter.Value,
            m => (Depth: m.Depth.ToString(CultureInfo.InvariantCulture), m.Model, m.Firmware, Parent: m.Parent?.Value.ToString(CultureInfo.InvariantCulture) ?? ""));
        foreach (var m in run.Topology.Unreachable) meters[m.Meter.Value] = ("", m.Model, m.Firmware, ""); // no route: no depth, no parent
        var at = NetworkLayout.Of(run.Topology).Positions.Meters;
        writer.WriteLine(MetersCsvHeader);
        foreach (var o in run.Outcomes.OrderBy(o => o.Meter))
        {
            var m = meters[o.Meter];
            var completed = o.FinishedMicros > 0 ? new SimTime(o.FinishedMicros).ToUtc(run.Scenario.OriginUtc).ToString("O", CultureInfo.InvariantCulture) : "";
            var (x, y) = at.TryGetValue(new MeterId(o.Meter), out var p)
                ? (Math.Round(p.X, 1).ToString(CultureInfo.InvariantCulture), Math.Round(p.Y, 1).ToString(CultureInfo.InvariantCulture)) : ("", "");
            writer.WriteLine(string.Join(",", o.Meter, o.Collector, m.Depth, m.Model, m.Firmware, o.FirmwareAfter, o.Phase, Csv(o.Reason), o.Attempts, completed, m.Parent, x, y, o.Wave + 1));
        }
    }

    public const string MetersCsvHeader = "meter,collector,depth,model,version_before,version_after,final_state,reason,attempts,completed_at,parent,x,y,wave";

    private static string Csv(string text) => text.Contains(',') || text.Contains('"') ? "\"" + text.Replace("\"", "\"\"") + "\"" : text;

    public static string ToJson(JsonObject report) => report.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
}
