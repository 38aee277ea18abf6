using AmiSim.HeadEnd.Campaign;
using AmiSim.Kernel;
using AmiSim.Meter;
using AmiSim.Mesh.Radio;
using AmiSim.Mesh.Topology;
using AmiSim.Protocol.C1219;
using AmiSim.Protocol.Network;
using AmiSim.Protocol.Programs;

namespace AmiSim.Scenario;

/// <summary>The program a scenario's vendor builds (its image bytes come from the seed).</summary>
public sealed record ProgramSpec(ProgramKind Kind, string Id, FirmwareVersion Version, int Size, int BlockSize,
    IReadOnlyList<string> TargetModels, IReadOnlyList<FirmwareVersion> AllowedFrom, int IntervalMinutes);

/// <param name="Meters">for a start: only these meters of the plan (as a CIM create EndDeviceControls names them); null for all.</param>
public sealed record ScheduledAction(TimeSpan At, OperatorAction Action, IReadOnlyList<long>? Meters = null);

/// <summary>A scenario, read and checked: everything a run is made from (hocon/scenario-reference.conf documents each key).</summary>
public sealed record ScenarioSettings
{
    public required string Name { get; init; }
    public required long Seed { get; init; }
    public required DateTime OriginUtc { get; init; }
    public required TimeSpan Until { get; init; }
    public required TopologySettings Fleet { get; init; }
    public string TopologyFile { get; init; } = "";
    public required RadioSettings Radio { get; init; }
    /// <summary>How a network from positions makes its links (<see cref="TopologyFile"/> with positions).</summary>
    public LinkBudget Links { get; init; } = new();
    public required IReadOnlyList<(int Collector, long Meter, TimeSpan Start, TimeSpan End)> Outages { get; init; }
    public required ProgramSpec Program { get; init; }
    /// <summary>The user's package (.amipkg) to roll out instead of <see cref="Program"/>; "" = build the scenario's own.</summary>
    public string PackageFile { get; init; } = "";
    /// <summary>The vendor's public key (PEM) the head-end and the meters trust for <see cref="PackageFile"/>.</summary>
    public string TrustFile { get; init; } = "";
    public required CampaignSettings Campaign { get; init; }
    public required TargetSelection Targets { get; init; }
    public required MeterFaultProfile Faults { get; init; }
    public required TimeSpan RebootDelay { get; init; }
    public required IReadOnlyList<ScheduledAction> OperatorActions { get; init; }

    /// <summary>The campaign waits for the operator's start (campaign.start = operator) instead of starting at virtual zero.</summary>
    public bool StartByOperator { get; init; }

    /// <summary>The campaign waits for a start that no scripted action gives: only an operator at the console can start it.</summary>
    public bool WaitsForOperator => StartByOperator && OperatorActions.All(a => a.Action != OperatorAction.Start);
    /// <summary>An external MDM's web-service address (mdm.http-endpoint, <c>--mdm-endpoint</c>): every CIM message also goes there; "" for none.</summary>
    public string MdmEndpoint { get; init; } = "";

    /// <summary>After the run, how long (wall time) to wait for the external MDM to answer what it has not (mdm.endpoint-patience).</summary>
    public TimeSpan MdmEndpointPatience { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>The operator console's pace at start: virtual seconds per wall second; null is as fast as possible (console.pace).</summary>
    public double? ConsolePace { get; init; }
    public IReadOnlyList<long> TracedMeters { get; init; } = [];
    public IReadOnlyList<(TimeSpan At, TimeSpan Downtime)> HeadEndCrashes { get; init; } = [];

    public static ScenarioSettings Read(ScenarioReader r)
    {
        FirmwareVersion Version(string key, string text)
        {
            try { return FirmwareVersion.Parse(text); }
            catch (FormatException error) { throw new ScenarioException($"{r.Name(key)}: {error.Message}"); }
        }
        var originText = r.String("origin");
        if (!DateTime.TryParse(originText, System.Globalization.CultureInfo.InvariantCulture,
                System.Globalization.DateTimeStyles.AdjustToUniversal | System.Globalization.DateTimeStyles.AssumeUniversal, out var origin))
            throw new ScenarioException($"{r.Name("origin")}: '{originText}' is not a UTC date such as 2026-01-05T00:00:00Z");
        var kind = r.String("program.kind") switch
        {
            "firmware" => ProgramKind.Firmware,
            "configuration" => ProgramKind.Configuration,
            var other => throw new ScenarioException($"{r.Name("program.kind")}: expected firmware or configuration, got '{other}'"),
        };
        var distribution = r.String("campaign.distribution") switch
        {
            "multicast" => Distribution.Multicast,
            "unicast" => Distribution.Unicast,
            var other => throw new ScenarioException($"{r.Name("campaign.distribution")}: expected multicast or unicast, got '{other}'"),
        };
        var activateAt = r.String("campaign.activate-at");
        var windowText = r.String("campaign.transfer-window");
        MaintenanceWindow? window = null;
        if (windowText.Length > 0)
        {
            var parts = windowText.Split('-');
            if (parts.Length != 2 || !TimeSpan.TryParseExact(parts[0].Trim(), @"hh\:mm", null, out var start) || !TimeSpan.TryParseExact(parts[1].Trim(), @"hh\:mm", null, out var end) || start == end)
                throw new ScenarioException($"{r.Name("campaign.transfer-window")}: expected \"HH:MM-HH:MM\" such as \"22:00-05:00\", got '{windowText}'");
            window = new MaintenanceWindow(start, end);
        }
        var programId = r.String("program.id");
        if (programId.Length is 0 or > 16) throw new ScenarioException($"{r.Name("program.id")}: 1-16 characters, got '{programId}'");
        var interval = r.Int("program.interval-minutes", 0, 60);
        if (interval != 0 && 60 % interval != 0) throw new ScenarioException($"{r.Name("program.interval-minutes")}: {interval} does not divide an hour");
        if (kind == ProgramKind.Configuration && interval == 0)
            throw new ScenarioException($"{r.Name("program.interval-minutes")}: a configuration program needs a new metering interval");

        var settings = new ScenarioSettings
        {
            Name = r.String("name"),
            Seed = r.Long("seed"),
            OriginUtc = origin,
            Until = r.Duration("until"),
            Fleet = new TopologySettings
            {
                Meters = r.Int("fleet.meters", 1, 5_000_000),
                Collectors = r.Int("fleet.collectors", 1, 100_000),
                Models = r.Objects("fleet.models", (o, _) => (o.String("name"), o.Double("weight", 0))),
                Firmware = r.Objects("fleet.firmware", (o, _) => (Version("fleet.firmware", o.String("version")), o.Double("weight", 0))),
                DepthWeights = r.Doubles("network.depth-weights", 0, 1e6),
                LinkLossMin = r.Double("network.link-loss-min", 0, 0.99),
                LinkLossMax = r.Double("network.link-loss-max", 0, 0.99),
                BackhaulLatency = r.Duration("network.backhaul-latency"),
                BackhaulBitsPerSecond = r.Int("network.backhaul-bandwidth", 1),
            },
            TopologyFile = r.String("fleet.topology-file"),
            PackageFile = r.String("program.package"),
            TrustFile = r.String("program.trust"),
            Radio = new RadioSettings
            {
                PhyBitsPerSecond = r.Int("network.phy-rate", 1), HopLatency = r.Duration("network.hop-latency"),
                Channels = r.Int("network.channels", 1, 256),
                RerouteAfter = r.Bool("network.rerouting.enabled") ? r.Duration("network.rerouting.detection-delay") : null,
                PhyRateByDepth = WholeNumbers(r, "network.phy-rate-by-depth", 1, 100_000_000).Select(v => (int)v).ToList(),
                SpatialReuse = r.String("network.spatial-reuse") switch
                {
                    "off" => false,
                    "tree" => true,
                    var other => throw new ScenarioException($"{r.Name("network.spatial-reuse")}: expected off or tree, got '{other}'"),
                },
                Mac = !r.Bool("network.mac.enabled") ? null : new MacSettings
                {
                    MinBackoffExponent = r.Int("network.mac.min-be", 0, 8), MaxBackoffExponent = r.Int("network.mac.max-be", 0, 8),
                    MaxCsmaBackoffs = r.Int("network.mac.max-csma-backoffs", 0, 5), MaxFrameRetries = r.Int("network.mac.max-frame-retries", 0, 7),
                    UnitBackoff = r.Duration("network.mac.unit-backoff"), Cca = r.Duration("network.mac.cca"), Turnaround = r.Duration("network.mac.turnaround"),
                    AckBytes = r.Int("network.mac.ack-bytes", 1, 2047), AckWait = r.Duration("network.mac.ack-wait"),
                },
                Burst = !r.Bool("network.burst.enabled") ? null : new BurstSettings
                {
                    MeanBurstDuration = r.Duration("network.burst.mean-duration"), BadLoss = r.Double("network.burst.bad-loss", 1e-6, 1),
                },
            },
            Links = new LinkBudget
            {
                TxPowerDbm = r.Double("network.links.tx-power", -30, 60),
                MeterAntennaGainDbi = r.Double("network.links.meter-antenna-gain", -20, 30),
                CollectorAntennaGainDbi = r.Double("network.links.collector-antenna-gain", -20, 40),
                FrequencyMhz = r.Double("network.links.frequency", 1, 100_000),
                PathLossExponent = r.Double("network.links.path-loss-exponent", 1, 8),
                ReferenceDistanceMetres = r.Double("network.links.reference-distance", 0.01, 1000),
                ShadowingSigmaDb = r.Double("network.links.shadowing-sigma", 0, 30),
                SensitivityDbm = r.Double("network.links.sensitivity", -160, 0),
                FrameBytes = r.Int("network.links.frame-bytes", 1, 100_000),
                MacRetries = r.Int("network.links.mac-retries", 0, 20),
                MaxLinkEtx = r.Double("network.links.max-link-etx", 1, 1000),
            },
            Outages = r.Objects("network.outages", (o, _) => (o.Int("collector", 1), o.Long("meter"), o.Duration("start"), o.Duration("end"))),
            Program = new ProgramSpec(kind, programId, Version("program.version", r.String("program.version")), r.Int("program.size", 1, 64 << 20),
                r.Int("program.block-size", 16, 4096), r.Strings("program.target-models"),
                r.Strings("program.allowed-from").Select(v => Version("program.allowed-from", v)).ToList(), interval),
            Campaign = new CampaignSettings
            {
                Distribution = distribution,
                BlocksPerChunk = r.Int("campaign.blocks-per-chunk", 1, 64),
                MaxMulticastRounds = r.Int("campaign.max-multicast-rounds", 1, 100),
                MulticastRepairShare = r.Double("campaign.multicast-repair-share", 0, 1),
                SessionsPerCollector = r.Int("campaign.sessions-per-collector", 1, 10_000),
                CanaryMeters = r.Int("campaign.canary-meters", 0),
                WaveShares = r.Doubles("campaign.wave-shares", 0, 1),
                SuccessThreshold = r.Double("campaign.success-threshold", 0, 1),
                PauseAfterCanary = r.Bool("campaign.pause-after-canary"),
                ErrorThresholdCount = r.Int("campaign.error-threshold-count", 0),
                ErrorThresholdShare = r.Double("campaign.error-threshold-share", 0, 1),
                MaxAttempts = r.Int("campaign.max-attempts", 1, 100),
                StepTimeout = r.Duration("campaign.step-timeout"),
                StatusDelay = r.Duration("campaign.status-delay"),
                ConfirmationTimeout = r.Duration("campaign.confirmation-timeout"),
                FlushInterval = r.Duration("campaign.flush-interval"),
                StationLatency = r.Duration("campaign.station-latency"),
                MdmBatchSize = r.Int("campaign.mdm-batch-size", 1, 100_000),
                SnapshotEvery = r.Int("campaign.snapshot-every", 1),
                SnapshotJournalRatio = r.Double("campaign.snapshot-journal-ratio", 0, 1000),
                MdmRetry = r.Duration("campaign.mdm-retry"),
                MdmBatchInterval = r.Duration("campaign.mdm-batch-interval"),
                ActivateAt = activateAt.Length == 0 ? null : SimTime.From(r.Duration("campaign.activate-at")),
                TransferWindow = window,
            },
            Targets = new TargetSelection
            {
                Models = r.Strings("campaign.targets.models"),
                Collectors = WholeNumbers(r, "campaign.targets.collectors", 1, int.MaxValue).Select(c => (int)c).ToList(),
                CurrentVersions = r.Strings("campaign.targets.versions").Select(v => Version("campaign.targets.versions", v)).ToList(),
                Meters = WholeNumbers(r, "campaign.targets.meters", 1, long.MaxValue).ToList(),
            },
            Faults = new MeterFaultProfile
            {
                FlashWriteFailure = r.Double("faults.flash-write-failure", 0, 1),
                SilentCorruption = r.Double("faults.silent-corruption", 0, 1),
                ActivationFailure = r.Double("faults.activation-failure", 0, 1),
                Brick = r.Double("faults.brick", 0, 1),
                NicOutagesPerDay = r.Double("faults.nic-outages-per-day", 0),
                NicOutageMeanDuration = r.Duration("faults.nic-outage-mean"),
            },
            RebootDelay = r.Duration("faults.reboot-delay"),
            OperatorActions = r.Objects("operator-actions", (o, _) =>
            {
                var action = AmiSim.HeadEnd.Campaign.OperatorActions.Parse(o.String("action"))
                    ?? throw new ScenarioException($"{o.Source}.action: expected pause, resume, cancel, retry-failed or start, got '{o.String("action")}'");
                if (!o.Has("meters")) return new ScheduledAction(o.Duration("at"), action);
                if (action != OperatorAction.Start) throw new ScenarioException($"{o.Source}.meters: only a start names meters (the meters it programs), not a {action.Name()}");
                var meters = WholeNumbers(o, "meters", 1, 9_999_999_999);
                if (meters.Count == 0) throw new ScenarioException($"{o.Source}.meters: empty; name the meters the start programs, or leave meters out for all");
                return new ScheduledAction(o.Duration("at"), action, meters.Distinct().Order().ToList());
            }),
            StartByOperator = r.String("campaign.start") switch
            {
                "at-once" => false,
                "operator" => true,
                var other => throw new ScenarioException($"{r.Name("campaign.start")}: expected at-once or operator, got '{other}'"),
            },
            MdmEndpoint = r.String("mdm.http-endpoint"),
            MdmEndpointPatience = r.Duration("mdm.endpoint-patience"),
            ConsolePace = Pace(r),
            TracedMeters = WholeNumbers(r, "trace.meters", 1, long.MaxValue).ToList(),
            HeadEndCrashes = r.Objects("head-end-crashes", (o, _) => (o.Duration("at"), o.Duration("downtime"))),
        };
        Check(settings, r);
        return settings;
    }

    /// <summary>console.pace: max (null), or virtual seconds per wall second, written 60 or 60x as on the command line.</summary>
    private static double? Pace(ScenarioReader r)
    {
        var text = r.String("console.pace").Trim();
        if (text.Equals("max", StringComparison.OrdinalIgnoreCase)) return null;
        return double.TryParse(text.TrimEnd('x', 'X'), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var pace) && pace is >= 0.1 and <= 1e7
            ? pace
            : throw new ScenarioException($"{r.Name("console.pace")}: expected max or virtual seconds per wall second from 0.1 to 10000000 (such as 60 or 3600), got '{text}'");
    }

    private static List<long> WholeNumbers(ScenarioReader r, string key, long min, long max)
    {
        var values = r.Doubles(key, min, max);
        if (values.Any(v => v != Math.Floor(v)))
            throw new ScenarioException($"{r.Name(key)}: expected whole numbers, got [{string.Join(", ", values)}]");
        return values.Select(v => (long)v).ToList();
    }

    /// <summary>The rules between keys, each refused with the keys it names.</summary>
    private static void Check(ScenarioSettings s, ScenarioReader r)
    {
        string Key(string key) => r.Name(key);
        if (s.TopologyFile.Length == 0 && s.Fleet.Collectors > s.Fleet.Meters)
            throw new ScenarioException($"{Key("fleet.collectors")}: {s.Fleet.Collectors:N0} collectors for {s.Fleet.Meters:N0} meters (fleet.meters); a collector needs at least one meter");
        if (s.Fleet.Models.Count == 0 || s.Fleet.Models.Sum(m => m.Weight) <= 0)
            throw new ScenarioException($"{Key("fleet.models")}: at least one model with a weight above 0");
        if (s.Fleet.Models.Any(m => m.Model.Trim().Length == 0))
            throw new ScenarioException($"{Key("fleet.models")}: a model's name is empty");
        if (s.Fleet.Firmware.Count == 0 || s.Fleet.Firmware.Sum(f => f.Weight) <= 0)
            throw new ScenarioException($"{Key("fleet.firmware")}: at least one version with a weight above 0");
        if (s.Fleet.DepthWeights.Count == 0 || s.Fleet.DepthWeights.Sum() <= 0)
            throw new ScenarioException($"{Key("network.depth-weights")}: at least one hop depth with a weight above 0, such as [0.5, 0.3, 0.2]");
        if (s.Fleet.LinkLossMin > s.Fleet.LinkLossMax)
            throw new ScenarioException($"{Key("network.link-loss-min")} ({s.Fleet.LinkLossMin}) is above network.link-loss-max ({s.Fleet.LinkLossMax})");
        if (s.Campaign.WaveShares.Any(w => w <= 0) || s.Campaign.WaveShares.Sum() > 1 + 1e-9)
            throw new ScenarioException($"{Key("campaign.wave-shares")}: each wave's share is above 0 and together at most 1 (got [{string.Join(", ", s.Campaign.WaveShares)}])");
        if (!s.StartByOperator && s.OperatorActions.Any(a => a.Action == OperatorAction.Start))
            throw new ScenarioException($"{Key("operator-actions")}: a start action is for a campaign that waits for the operator (campaign.start = operator); this one starts at once");
        CheckScript(s, Key("operator-actions"));
        if (s.Radio.Mac is { } mac && mac.MinBackoffExponent > mac.MaxBackoffExponent)
            throw new ScenarioException($"{Key("network.mac.min-be")} ({mac.MinBackoffExponent}) is above network.mac.max-be ({mac.MaxBackoffExponent})");
        if (s.Radio.Burst is { MeanBurstDuration.Ticks: <= 0 })
            throw new ScenarioException($"{Key("network.burst.mean-duration")}: a burst lasts some time, such as 50ms");
        if (s.Radio.Burst is { } burst && s.TopologyFile.Length == 0 && s.Fleet.LinkLossMax > burst.BadLoss)
            throw new ScenarioException($"{Key("network.burst.bad-loss")} ({burst.BadLoss}) is below network.link-loss-max ({s.Fleet.LinkLossMax}): a link's mean loss cannot exceed its loss in the bad state");
        if (s.Until <= TimeSpan.Zero) throw new ScenarioException($"{Key("until")}: the run needs some virtual time, such as 30d");
        foreach (var (collector, _, start, end) in s.Outages)
        {
            if (end <= start) throw new ScenarioException($"{Key("network.outages")}: an outage of collector {collector} ends ({end}) before it starts ({start})");
            if (s.TopologyFile.Length == 0 && collector > s.Fleet.Collectors)
                throw new ScenarioException($"{Key("network.outages")}: collector {collector} does not exist (fleet.collectors = {s.Fleet.Collectors})");
        }
        if (s.MdmEndpoint.Length > 0 && !(Uri.TryCreate(s.MdmEndpoint, UriKind.Absolute, out var endpoint) && endpoint.Scheme is "http" or "https" && endpoint.Host.Length > 0))
            throw new ScenarioException($"{Key("mdm.http-endpoint")}: '{AmiSim.Protocol.OutsideText.Clean(s.MdmEndpoint)}' is not an http:// or https:// address such as http://127.0.0.1:8080/cim");
        if (s.MdmEndpointPatience <= TimeSpan.Zero || s.MdmEndpointPatience > TimeSpan.FromDays(1))
            throw new ScenarioException($"{Key("mdm.endpoint-patience")}: {s.MdmEndpointPatience}: expected more than 0s and at most 1d");
        if (s.TopologyFile.Length > 0 && !File.Exists(s.TopologyFile))
            throw new ScenarioException($"{Key("fleet.topology-file")}: {s.TopologyFile}: no such file");
        CheckPackage(s, r);
    }

    /// <summary>Refuses the first scripted action the campaign would certainly ignore (<see cref="FirstIgnored"/>).</summary>
    private static void CheckScript(ScenarioSettings s, string key)
    {
        foreach (var (scripted, index) in s.OperatorActions.Select((a, i) => (a, i)))
        {
            string Where() => $"{key}[{index}] ({scripted.Action.Name()} at virtual {SimTime.From(scripted.At)})";
            if (scripted.At >= s.Until)
                throw new ScenarioException($"{Where()}: the run ends at until = virtual {SimTime.From(s.Until)}, before it");
            foreach (var crash in s.HeadEndCrashes.Where(c => scripted.At >= c.At && scripted.At < c.At + c.Downtime))
                throw new ScenarioException($"{Where()}: the head-end is down then (head-end-crashes: a crash at virtual {SimTime.From(crash.At)} for {SimTime.From(crash.Downtime)}) and would never get it");
        }
        if (FirstIgnored(s.OperatorActions, s.StartByOperator) is not { } ignored) return;
        var action = s.OperatorActions[ignored.Index];
        throw new ScenarioException($"{key}[{ignored.Index}] ({action.Action.Name()} at virtual {SimTime.From(action.At)}): {ignored.Why}");
    }

    /// <summary>
    /// The first of <paramref name="actions"/> the campaign would certainly ignore, taken in time order
    /// (the listed order within a time), and why; null when none: any before the operator's start, a
    /// second start, a pause while paused by the operator (no resume or retry-failed since), any after a cancel.
    /// </summary>
    public static (int Index, string Why)? FirstIgnored(IReadOnlyList<ScheduledAction> actions, bool startByOperator)
    {
        var started = !startByOperator;
        var paused = false;
        TimeSpan? canceled = null;
        foreach (var (action, index) in actions.Select((a, i) => (a, i)).OrderBy(p => p.a.At).ThenBy(p => p.i))
        {
            if (canceled is { } when) return (index, $"the campaign is canceled at virtual {SimTime.From(when)} and ignores every action after that");
            if (!started && action.Action != OperatorAction.Start)
                return (index, "the campaign waits for the operator's start (campaign.start = operator) and ignores actions before it; start it first");
            switch (action.Action)
            {
                case OperatorAction.Start when started: return (index, "the campaign has been started already; it starts once");
                case OperatorAction.Start: started = true; break;
                case OperatorAction.Pause when paused: return (index, "the campaign is paused by an earlier pause with no resume since, and ignores it");
                case OperatorAction.Pause: paused = true; break;
                case OperatorAction.Resume or OperatorAction.RetryFailed: paused = false; break;
                case OperatorAction.Cancel: canceled = action.At; break;
            }
        }
        return null;
    }

    /// <summary><paramref name="actions"/> without those the campaign would certainly ignore (<see cref="FirstIgnored"/>): the same run, and a script the scenario accepts.</summary>
    public static IReadOnlyList<ScheduledAction> WithoutIgnored(IReadOnlyList<ScheduledAction> actions, bool startByOperator)
    {
        var kept = actions.ToList();
        while (FirstIgnored(kept, startByOperator) is { } ignored) kept.RemoveAt(ignored.Index);
        return kept;
    }

    /// <summary>The keys of the program the scenario's vendor tool builds, which a package of the user's replaces.</summary>
    private static readonly string[] BuiltProgramKeys =
        ["program.kind", "program.id", "program.version", "program.size", "program.block-size", "program.target-models", "program.allowed-from", "program.interval-minutes"];

    /// <summary>
    /// A package comes with the key that signed it; and it says what the program is, so a program key given
    /// beside it (by the same source, or by a --set) is refused. A package given by an override replaces the
    /// program a scenario file describes.
    /// </summary>
    private static void CheckPackage(ScenarioSettings s, ScenarioReader r)
    {
        if (s.PackageFile.Length == 0)
        {
            if (s.TrustFile.Length > 0)
                throw new ScenarioException($"{r.Name("program.trust")}: a trusted key is only read with a package of your own (program.package, or run --package FILE)");
            return;
        }
        if (s.TrustFile.Length == 0)
            throw new ScenarioException($"{r.Name("program.package")}: a package needs the vendor's public key the head-end trusts (program.trust, or --trust vendor.pub from `amisim keys new`)");
        var packageBy = r.GivenBy("program.package");
        foreach (var key in BuiltProgramKeys)
            if (r.GivenBy(key) is { } by && (by == packageBy || by != r.Source))
                throw new ScenarioException($"{r.Name(key)}: the package ({s.PackageFile}) says what the program is; give either the package or {key}");
    }

    /// <summary>The network: the topology file's (a network, or positions its links and routes follow from), else generated from the seed.</summary>
    public NetworkTopology BuildTopology()
    {
        var topology = ReadTopology();
        if (Radio.Burst is { } burst && topology.Meters.FirstOrDefault(m => m.LinkLoss > burst.BadLoss) is { } lossy)
            throw new ScenarioException($"{ScenarioReader.Root}.network.burst.bad-loss ({burst.BadLoss}) is below the loss of meter {lossy.Meter.Value}'s link ({lossy.LinkLoss}) in {TopologyFile}: a link's mean loss cannot exceed its loss in the bad state");
        return topology;
    }

    private NetworkTopology ReadTopology()
    {
        if (TopologyFile.Length == 0) return TopologyGenerator.Generate(Fleet, Seed);
        string header;
        using (var peek = File.OpenText(TopologyFile)) header = peek.ReadLine() ?? "";
        using var reader = File.OpenText(TopologyFile);
        if (!PositionsCsv.IsPositions(header)) return TopologyCsv.Read(reader, TopologyFile);
        var (collectors, meters) = PositionsCsv.Read(reader, TopologyFile, Fleet);
        return PositionsNetwork.Build(collectors, meters, Links, Fleet, Seed);
    }

    public IReadOnlyList<Outage> OutageLists() =>
        Outages.Select(o => new Outage(o.Collector, o.Meter == 0 ? null : new MeterId(o.Meter), SimTime.From(o.Start), SimTime.From(o.End))).ToList();
}
