using System.ComponentModel;
using Akka.Actor;
using Akka.Configuration;
using AmiSim.HeadEnd.Campaign;
using AmiSim.HeadEnd.Persistence;
using AmiSim.Host.Cim;
using AmiSim.Host.Cli;
using AmiSim.Host.Clustering;
using AmiSim.Host.Console;
using AmiSim.Host.Run;
using AmiSim.Host.Web;
using AmiSim.Kernel;
using AmiSim.Mesh.Topology;
using AmiSim.Protocol;
using AmiSim.Protocol.Programs;
using AmiSim.Scenario;
using Serilog;
using Spectre.Console;
using Spectre.Console.Cli;

namespace AmiSim.Host.Commands;

/// <summary>
/// <c>amisim run</c>: the whole use case, step 1.1 to 1.11, on a scenario (the embedded default
/// unless --scenario), writing the run folder: report.json, meters.csv, the CIM messages, the
/// program package, the head-end's SQLite database and the log. Input is checked whole before the
/// folder is touched; the exit code says how the campaign ended (<see cref="ExitCode"/>).
/// </summary>
public sealed class RunCommand : AsyncCommand<RunCommand.Settings>
{
    public sealed class Settings : ScenarioOptions
    {
        [CommandOption("--out <DIR>")]
        [Description("Run folder to write, new or empty (default: runs/<scenario>-<seed>-<UTC time>).")]
        public string? Out { get; init; }

        [CommandOption("--force")]
        [Description("Empty the --out folder first if it holds anything: everything in it is deleted, whatever it is.")]
        public bool Force { get; init; }

        [CommandOption("--fail-above <SHARE>")]
        [Description("Exit 3 when more than this share (0 to 1) of the targeted meters failed or timed out, even if the campaign completed.")]
        public double? FailAbove { get; init; }

        [CommandOption("--cluster")]
        [Description("Run as the first node of an Akka.Cluster and spread the kernel's partitions over --nodes nodes (the others: amisim node).")]
        public bool Cluster { get; init; }

        [CommandOption("--nodes <N>")]
        [Description("With --cluster: nodes to wait for, this one included (default 1).")]
        public int Nodes { get; init; } = 1;

        [CommandOption("--port <PORT>")]
        [Description("With --cluster: TCP port of this node, the one the others join (default 4051).")]
        public int Port { get; init; } = 4051;

        [CommandOption("--hostname <HOST>")]
        [Description("With --cluster: address the other nodes reach this one at (default 127.0.0.1).")]
        public string Hostname { get; init; } = "127.0.0.1";

        [CommandOption("--tls-cert <FILE>")]
        [Description(TlsSettings.CertHelp)]
        public string? TlsCert { get; init; }

        [CommandOption("--tls-key <FILE>")]
        [Description(TlsSettings.KeyHelp)]
        public string? TlsKey { get; init; }

        [CommandOption("--tls-ca <FILE>")]
        [Description(TlsSettings.CaHelp)]
        public string? TlsCa { get; init; }

        [CommandOption("--tls-pin <THUMBPRINT>")]
        [Description(TlsSettings.PinHelp)]
        public string[] TlsPin { get; init; } = [];

        [CommandOption("--tls-password-file <FILE>")]
        [Description(TlsSettings.PasswordHelp)]
        public string? TlsPasswordFile { get; init; }

        [CommandOption("--insecure")]
        [Description(TlsSettings.InsecureHelp)]
        public bool Insecure { get; init; }

        public TlsOptions Tls => new(TlsCert, TlsKey, TlsCa, TlsPin, TlsPasswordFile, Insecure);

        [CommandOption("--journal-postgres <CONNECTION>")]
        [Description("Keep the head-end's and the MDM's journals in this PostgreSQL database (a cluster's shared store) instead of headend.db.")]
        public string? JournalPostgres { get; init; }

        [CommandOption("--console [ADDRESS:PORT]")]
        [Description("Serve the operator console, a live web page with pause, resume, cancel and retry-failed, at ADDRESS:PORT (default 127.0.0.1 and a free port); its URL and token are printed at start; after the run it shows the final state until Ctrl+C.")]
        public FlagValue<string>? Console { get; init; }

        [CommandOption("--cim-endpoint [ADDRESS:PORT]")]
        [Description("Serve the head-end's IEC 61968-100 web service (SOAP; WSDL at /cim?wsdl) at ADDRESS:PORT (default 127.0.0.1 and a free port, printed): create EndDeviceControls programs the meters it names (with campaign.start = operator), cancel, get EndDeviceEvents and MeterConfig; after the run it answers gets until Ctrl+C.")]
        public FlagValue<string>? CimEndpoint { get; init; }

        [CommandOption("--mdm-endpoint <URL>")]
        [Description("Send every CIM message also to this MDM's IEC 61968-100 web service (amisim mdm, or a real MDM), again until it answers; every exchange goes to the run folder's mdm-exchanges.jsonl (sets mdm.http-endpoint).")]
        public string? MdmEndpoint { get; init; }

        [CommandOption("--pace <PACE>")]
        [Description("With --console or --cim-endpoint: virtual seconds per wall second (1, 60, 3600, ...) or max; default the scenario's console.pace (max); the page changes it.")]
        public string? Pace { get; init; }

        public override ValidationResult Validate() =>
            Pace is not null && Console is not { IsSet: true } && CimEndpoint is not { IsSet: true } ? ValidationResult.Error("--pace needs --console or --cim-endpoint (what the run waits on as it goes)")
            : SamePort(Console, CimEndpoint) is { } port ? ValidationResult.Error($"--console and --cim-endpoint both on port {port}: each listens on a port of its own (give one of them another, or 0 for any free one)")
            : CimEndpoint is { IsSet: true, Value: { Length: > 0 } url } && url.Contains("://", StringComparison.Ordinal) ? ValidationResult.Error($"--cim-endpoint {url}: takes ADDRESS:PORT to listen on, such as 127.0.0.1:8062, not a URL (the endpoint is then at http://ADDRESS:PORT/cim)")
            : CimEndpoint is { IsSet: true, Value: { Length: > 0 } cim } && !Try(() => OperatorConsole.ParseEndpoint(cim), out var badCim) ? ValidationResult.Error($"--cim-endpoint {cim}: {badCim}")
            : Pace is not null && !Try(() => OperatorConsole.ParsePace(Pace), out var why) ? ValidationResult.Error($"--pace {Pace}: {why}")
            : Console is { IsSet: true, Value: { Length: > 0 } address } && !Try(() => OperatorConsole.ParseEndpoint(address), out var bad) ? ValidationResult.Error($"--console {address}: {bad}")
            : Nodes < 1 ? ValidationResult.Error($"--nodes {Nodes}: at least 1")
            : Nodes > 1 && !Cluster ? ValidationResult.Error("--nodes needs --cluster")
            : Port is < 0 or > 65535 ? ValidationResult.Error($"--port {Port}: expected 0 to 65535")
            : FailAbove is { } share && !(share is >= 0 and <= 1) ? ValidationResult.Error($"--fail-above {share}: expected a share from 0 to 1, such as 0.02")
            : Hostname.Trim().Length == 0 ? ValidationResult.Error("--hostname: empty")
            : Force && Out is null ? ValidationResult.Error("--force needs --out (the folder to empty)")
            : ValidationResult.Success();

        /// <summary>The port the console and the CIM endpoint were both given, if they were (0, any free one, is no clash).</summary>
        private static int? SamePort(FlagValue<string>? console, FlagValue<string>? cim)
        {
            static int? PortOf(FlagValue<string>? option)
            {
                if (option is not { IsSet: true, Value: { Length: > 0 } text }) return null;
                try
                {
                    return OperatorConsole.ParseEndpoint(text).Port is > 0 and var port ? port : null;
                }
                catch (FormatException)
                {
                    return null; // said on its own
                }
            }
            return PortOf(console) is { } port && PortOf(cim) == port ? port : null;
        }

        private static bool Try(Action read, out string why)
        {
            try
            {
                read();
                why = "";
                return true;
            }
            catch (FormatException error)
            {
                why = error.Message;
                return false;
            }
        }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        RunInput input;
        string runDir;
        var emptied = 0;
        OperatorConsole? operatorConsole = null;
        HeadEndEndpoint? cimEndpoint = null;
        IRunSupervisor? supervisor = null;
        ClusterTls? tls = null;
        try
        {
            input = RunInput.Read(settings.Scenario, settings.Set, settings.Seed, settings.Package, settings.Trust, settings.MdmEndpoint);
            if (settings.JournalPostgres is { Length: 0 }) throw new InputException("--journal-postgres: empty connection string");
            // Across nodes each holds its own partitions' meters; alone, the whole fleet must fit in this process.
            if (!settings.Cluster && HeapBudget.TooLarge(input.Akka, input.Topology.Meters.Count + input.Topology.Unreachable.Count) is { } tooLarge) throw new InputException(tooLarge);
            if (input.Scenario.WaitsForOperator && settings.Console is not { IsSet: true } && settings.CimEndpoint is not { IsSet: true }) throw new InputException(WaitsForOperator);
            tls = ClusterTls.For(settings.Cluster, settings.Hostname, settings.Tls);
            // The console's address is taken before anything is written, so that one in use leaves no run folder behind.
            // With both, the page and the web service steer the run together: one pace, one clock, one list of actions.
            var steps = settings.Console is { IsSet: true } && settings.CimEndpoint is { IsSet: true } ? new RunSteps(Pace(settings.Pace, input), input.Scenario.WaitsForOperator) : null;
            if (settings.Console is { IsSet: true } wanted) operatorConsole = await StartConsole(wanted.Value, settings.Pace, input, steps);
            if (settings.CimEndpoint is { IsSet: true } cim) cimEndpoint = await StartCimEndpoint(cim.Value, settings.Pace, input, steps);
            supervisor = steps is not null ? new SupervisorPair(steps, operatorConsole!, cimEndpoint!) : (IRunSupervisor?)operatorConsole ?? cimEndpoint;
            runDir = RunFolder.Prepare(settings.Out, input.Scenario, DateTime.UtcNow, settings.Force, _ => emptied++);
        }
        catch (InputException error)
        {
            if (operatorConsole is not null) await operatorConsole.DisposeAsync();
            if (cimEndpoint is not null) await cimEndpoint.DisposeAsync();
            return ErrorLine.Exit(ExitCode.BadInput, error.Message);
        }
        var scenario = input.Scenario;
        var akka = input.Akka;

        Logging.Start(Path.Combine(runDir, "amisim.log"));
        RunFolderView.WriteFacts(runDir, Facts(input));
        operatorConsole?.RecordActionsTo(Path.Combine(runDir, RunFolder.ActionsFile));
        cimEndpoint?.RecordTo(runDir);
        var invocation = new RunInvocation(AmiSimApp.Version, CommandLine(context));
        Log.Information("amisim {Version}: {CommandLine}", invocation.Version, invocation.CommandLine);
        if (emptied > 0) Logging.File.Warning("--force: emptied {Folder} first ({Count} entries removed)", runDir, emptied);
        Log.Information("Scenario {Name}, seed {Seed}: {Meters} meters, {Collectors} collectors, {Distribution} of {Program} {Version}",
            scenario.Name, scenario.Seed, scenario.Fleet.Meters, scenario.Fleet.Collectors, scenario.Campaign.Distribution, input.Manifest.ProgramId, input.Manifest.Version);
        if (HeapBudget.Apply(akka, scenario.Fleet.Meters) is { } heap) Log.Information("{Heap}", heap);
        var output = ConsoleOutput.Create();
        if (emptied > 0) output.MarkupLineInterpolated($"[yellow]--force:[/] emptied {runDir} first ({emptied} {(emptied == 1 ? "entry" : "entries")} removed)");
        output.MarkupLineInterpolated($"[bold]{OutsideText.Clean(scenario.Name)}[/] (seed {scenario.Seed}): {input.Manifest.Kind} {input.Manifest.ProgramId} {input.Manifest.Version}{(input.Program is null ? "" : $" (package {Path.GetFileName(input.Program.PackagePath)})")} to {input.Topology.Meters.Count:N0} meters under {input.Topology.Collectors.Count} collectors, {scenario.Campaign.Distribution}");
        // Ctrl+C or SIGTERM: stop the run between two of its steps and say where it stopped; a second one ends the process at once.
        using var signals = new SignalCancellation(cancellation);
        cancellation = signals.Token;
        ActorSystem? node = null;
        var journal = settings.JournalPostgres is { } connection ? JournalConfig.PostgreSql(connection) : JournalConfig.Sqlite(Path.Combine(runDir, "headend.db"));
        try
        {
            (ActorSystem, IPartitionLayout)? cluster = null;
            if (settings.Cluster)
            {
                // One partition per node unless --set gives a count (auto is not one); the head-end's journal stays on this node.
                var partitionsSet = settings.Set.Any(s => s.TrimStart().StartsWith("amisim.kernel.partitions", StringComparison.Ordinal));
                if (!partitionsSet || !int.TryParse(akka.GetString("amisim.kernel.partitions", ""), out var partitions) || partitions <= 0)
                    akka = ConfigurationFactory.ParseString($"amisim.kernel.partitions = {settings.Nodes}").WithFallback(akka);
                if (settings.Insecure) output.MarkupLineInterpolated($"[yellow]--insecure:[/] plain TCP on {settings.Hostname}: anyone who reaches port {settings.Port} can join this cluster");
                node = ClusterNode.Start(settings.Hostname, settings.Port, [], akka.WithFallback(journal), tls);
                output.MarkupLineInterpolated($"cluster node {Akka.Cluster.Cluster.Get(node).SelfAddress.ToString()}: waiting for {settings.Nodes} nodes");
                var members = await ClusterNode.WaitForMembersAsync(node, settings.Nodes, TimeSpan.FromMinutes(2), cancellation);
                Log.Information("Cluster of {Count} nodes: {Nodes}", members.Count, string.Join(", ", members));
                cluster = (node, new ClusterLayout(members));
            }
            if (operatorConsole is not null)
            {
                output.MarkupLineInterpolated($"operator console: {operatorConsole.Url.ToString()} (actions need the token {operatorConsole.Token})"); // a string, so that Spectre escapes it ([::1] is no style)
                Log.Information("Operator console at {Url}", operatorConsole.Url.GetLeftPart(UriPartial.Path));
                if (scenario.WaitsForOperator) output.MarkupLine("the campaign waits for your start: press Start on the console");
            }
            if (cimEndpoint is not null)
            {
                output.MarkupLineInterpolated($"head-end CIM endpoint: {cimEndpoint.Address.ToString()} (WSDL {cimEndpoint.Address.ToString()}?wsdl)");
                Log.Information("Head-end CIM endpoint at {Url}", cimEndpoint.Address);
                if (scenario.WaitsForOperator) output.MarkupLine("the campaign waits for a create EndDeviceControls request naming the meters to program");
                else output.MarkupLine("[yellow]the campaign starts at once (campaign.start is not operator):[/] the endpoint answers get and cancel but takes no create; --set amisim.scenario.campaign.start=operator makes it wait for one");
            }
            var progress = new ProgressView(output, SimTime.From(scenario.Until));
            // The report, written while the simulation is still up: the console reads the meters of the finished run until it is closed.
            async Task Finished(RunResult result)
            {
                var report = RunReport.Build(result, invocation, input.Keys);
                if (result.OperatorActions.Count > 0) report["operatorActions"] = RunReport.OperatorActions(scenario, result.OperatorActions);
                // report.json last, and whole or not at all: a folder that has it is a finished run (amisim sweep relies on it).
                await File.WriteAllTextAsync(Path.Combine(runDir, "report.html"), ReportHtml.Render(report, NetworkMap.Of(result)), cancellation);
                operatorConsole?.ReportWritten(Path.Combine(runDir, "report.html"));
                await using (var csv = File.CreateText(Path.Combine(runDir, "meters.csv"))) RunReport.WriteMetersCsv(result, csv);
                await File.WriteAllTextAsync(Path.Combine(runDir, "report.json.partial"), RunReport.ToJson(report), cancellation);
                File.Move(Path.Combine(runDir, "report.json.partial"), Path.Combine(runDir, "report.json"), overwrite: true);
                Log.Information("Run finished: {Outcomes}; digest {Digest}", report["outcomes"]!.ToJsonString(), report["resultDigest"]!.GetValue<string>());

                var table = new Table().AddColumns("final state", "meters");
                foreach (var (phase, count) in report["outcomes"]!.AsObject()) table.AddRow(phase, $"{count!.GetValue<int>():N0}");
                output.Write(table);
                var summary = result.Summary;
                output.MarkupLineInterpolated($"campaign {summary.Status.Name()}{(summary.PauseReason.Length > 0 ? $" ({summary.PauseReason})" : "")}; last meter finished at virtual {result.End}");
                output.MarkupLineInterpolated($"MDM: {report["mdm"]!["metersOnProgramVersion"]!.GetValue<int>():N0} meters on {result.Manifest.Version}; {result.CimMessages:N0} CIM messages");
                if (result.MdmDelivery is { } delivery)
                    output.MarkupLineInterpolated($"MDM endpoint {delivery.Endpoint}: {delivery.Messages:N0} messages, {delivery.Ok:N0} OK, {delivery.Partial:N0} PARTIAL, {delivery.Failed:N0} FAILED{(delivery.Undelivered > 0 ? $", {delivery.Undelivered:N0} never answered" : "")}, in {delivery.Attempts:N0} calls ({delivery.ExchangesFile})");
                output.MarkupLineInterpolated($"{result.Events:N0} events in {result.Windows:N0} windows, {result.Wall.TotalSeconds:0.0} s wall; peak {result.PeakWorkingSetBytes / (1 << 20):N0} MiB");
                output.MarkupLineInterpolated($"result digest {report["resultDigest"]!.GetValue<string>()}");
                output.MarkupLineInterpolated($"run folder: {Path.GetFullPath(runDir)}");
                if (result.OperatorActions.Count > 0)
                    output.MarkupLineInterpolated($"{result.OperatorActions.Count} operator actions taken while it ran; the same run again: {string.Join(" ", report["operatorActions"]!["replayArguments"]!.AsArray().Select(a => a!.GetValue<string>()).Select(a => a.StartsWith('-') ? a : $"'{a}'"))}");
                if (operatorConsole is not null || cimEndpoint is not null)
                {
                    // The page keeps the final state until the operator is done with it; the endpoint answers gets.
                    if (operatorConsole is not null)
                        output.MarkupLineInterpolated($"the run is over; the console shows its final state at {operatorConsole.Url.GetLeftPart(UriPartial.Path)} until Ctrl+C");
                    if (cimEndpoint is not null)
                        output.MarkupLineInterpolated($"the run is over; the head-end's CIM endpoint answers get EndDeviceEvents and MeterConfig at {cimEndpoint.Address.ToString()} until Ctrl+C");
                    try
                    {
                        await Task.Delay(Timeout.Infinite, cancellation);
                    }
                    catch (OperationCanceledException)
                    {
                        Log.Information("Console closed");
                    }
                }
            }
            var result = await new ScenarioRun(scenario, runDir, cluster, journal, input.Topology, input.Program).RunAsync(akka,
                (system, run) => progress.ShowAsync(system, run), progress.Step, cancellation, supervisor, Finished);
            return Verdict(result, settings.FailAbove, output);
        }
        catch (Exception error) when (error is PackageRejectedException or ScenarioException or TopologyException)
        {
            // Found once the head-end loads the package, or a node builds its network: the input, not the run.
            Logging.File.Error("Refused: {Reason}", OutsideText.Clean(error.Message, 2_000));
            return ErrorLine.Exit(ExitCode.BadInput, error.Message);
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            Logging.File.Warning("Interrupted: no report; the head-end's database holds the last durable flush");
            return ErrorLine.Exit(ExitCode.Interrupted, $"interrupted: no report was written; the head-end's journal holds the campaign as of its last durable flush (amisim status --db {runDir})");
        }
        catch (Exception error)
        {
            Logging.File.Fatal(error, "Run failed");
            return ErrorLine.Exit(ExitCode.RunFailed, $"run failed: {Describe(error)} (details in {Path.Combine(runDir, "amisim.log")})");
        }
        finally
        {
            if (operatorConsole is not null) await operatorConsole.DisposeAsync();
            if (cimEndpoint is not null) await cimEndpoint.DisposeAsync();
            if (node is not null)
            {
                // Akka's logger falls back to standard output as the system stops, at akka.loglevel: only errors may go there.
                node.EventStream.SetLogLevel(Akka.Event.LogLevel.ErrorLevel);
                await node.Terminate();
            }
            await Logging.StopAsync();
        }
    }

    /// <summary>Why a campaign that waits for the operator's start cannot run without the console.</summary>
    public const string WaitsForOperator =
        "campaign.start = operator: the campaign waits for the operator's start, and nothing here can give it: run with --console and start it from the page, or with --cim-endpoint and send it a create EndDeviceControls (docs/CIM.md), or script it ({ at = 0s, action = start } in operator-actions)";

    /// <summary>What the run is about, as the console and the run folder's run.json say it.</summary>
    private static ConsoleFacts Facts(RunInput input) =>
        new(input.Scenario.Name, input.Scenario.Seed, $"{input.Manifest.Kind} {input.Manifest.ProgramId} {input.Manifest.Version}",
            input.Topology.Meters.Count, input.Topology.Collectors.Count, input.Scenario.Campaign.Distribution.ToString().ToLowerInvariant(), input.Scenario.WaitsForOperator);

    /// <summary>The pace a steered run starts at: --pace's, else the scenario's console.pace.</summary>
    private static double? Pace(string? pace, RunInput input) => pace is null ? input.Scenario.ConsolePace : OperatorConsole.ParsePace(pace);

    /// <summary>Serves the console at <paramref name="address"/> (empty: loopback, a free port) at <paramref name="pace"/> (null: the scenario's). <exception cref="InputException">the address cannot be listened on.</exception></summary>
    private static async Task<OperatorConsole> StartConsole(string? address, string? pace, RunInput input, RunSteps? steps)
    {
        var endpoint = OperatorConsole.ParseEndpoint(address is { Length: > 0 } ? address : "127.0.0.1:0");
        try
        {
            return await OperatorConsole.StartAsync(endpoint, Facts(input), Pace(pace, input), steps: steps);
        }
        catch (Exception error) when (error is IOException or System.Net.Sockets.SocketException)
        {
            throw new InputException($"--console {endpoint}: cannot listen there ({error.Message}): an address of this machine and a free port, such as 127.0.0.1:0");
        }
    }

    /// <summary>Serves the head-end's CIM endpoint at <paramref name="address"/> (empty: loopback, a free port). <exception cref="InputException">the address cannot be listened on.</exception></summary>
    private static async Task<HeadEndEndpoint> StartCimEndpoint(string? address, string? pace, RunInput input, RunSteps? steps)
    {
        var endpoint = OperatorConsole.ParseEndpoint(address is { Length: > 0 } ? address : "127.0.0.1:0");
        var facts = new HeadEndFacts("C1", input.Manifest, input.Topology, input.Scenario.OriginUtc, input.Scenario.StartByOperator, input.Scenario.MdmEndpointPatience);
        try
        {
            return await HeadEndEndpoint.StartAsync(endpoint, facts, Pace(pace, input), steps);
        }
        catch (Exception error) when (error is IOException or System.Net.Sockets.SocketException)
        {
            throw new InputException($"--cim-endpoint {endpoint}: cannot listen there ({error.Message}): an address of this machine and a free port, such as 127.0.0.1:0");
        }
    }

    /// <summary>The exit code for a finished run: completed, or the reason it is not.</summary>
    private static int Verdict(RunResult result, double? failAbove, IAnsiConsole output)
    {
        var summary = result.Summary;
        if (summary.Status != CampaignStatus.Completed)
            return ErrorLine.Exit(ExitCode.CampaignNotCompleted, $"the campaign ended {summary.Status.Name()}{(summary.PauseReason.Length > 0 ? $": {summary.PauseReason}" : "")}");
        var failed = summary.Phases.GetValueOrDefault(MeterPhase.Failed) + summary.Phases.GetValueOrDefault(MeterPhase.TimedOut);
        var targeted = summary.Phases.Values.Sum() - summary.Phases.GetValueOrDefault(MeterPhase.Skipped);
        if (failAbove is { } limit && targeted > 0 && (double)failed / targeted > limit)
            return ErrorLine.Exit(ExitCode.CampaignNotCompleted, $"{failed:N0} of {targeted:N0} targeted meters failed or timed out ({(double)failed / targeted:P2}), above --fail-above {limit:P2}");
        output.MarkupLine("[green]campaign completed[/]");
        return ExitCode.Completed;
    }

    private static string Describe(Exception error) =>
        error is SimulationFailedException or IOException or TimeoutException ? error.Message : $"{error.GetType().Name}: {error.Message}";

    private static string CommandLine(CommandContext context) =>
        string.Join(' ', new[] { "amisim", context.Name }.Concat(context.Arguments.SkipWhile(a => a != context.Name).Skip(1)).Select(Quote));

    private static string Quote(string argument) =>
        argument.Length > 0 && argument.All(c => char.IsLetterOrDigit(c) || "-_./=:,@+".Contains(c)) ? argument : "'" + argument.Replace("'", "'\\''") + "'";
}
