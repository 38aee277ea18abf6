using System.Reflection;
using AmiSim.Host.Commands;
using AmiSim.Scenario;
using Spectre.Console;
using Spectre.Console.Cli;
using Spectre.Console.Cli.Help;
using Spectre.Console.Rendering;

namespace AmiSim.Host.Cli;

/// <summary>
/// The <c>amisim</c> command line: its commands, options and help. Parsing is strict: an unknown
/// option or command, or a value of the wrong kind, is one error line and <see cref="ExitCode.BadInput"/>.
/// </summary>
public static class AmiSimApp
{
    /// <summary>The version and the commit it was built from ("1.2.0+abc123..."), as <c>amisim --version</c> prints it.</summary>
    public static string Version { get; } =
        typeof(AmiSimApp).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    public static CommandApp Create()
    {
        var app = new CommandApp();
        app.Configure(config =>
        {
            config.SetApplicationName("amisim");
            config.SetApplicationVersion(Version);
            config.UseStrictParsing();
            config.ConfigureConsole(AnsiConsole.Console);
            config.SetHelpProvider(new ExitCodeHelp(config.Settings));
            config.SetExceptionHandler((error, _) => Refuse(error));
            config.SetInterceptor(new MissingValues());
            config.AddCommand<RunCommand>("run")
                .WithDescription("Run the use case on a scenario (default: the embedded one) and write the run folder.")
                .WithExample("run")
                .WithExample("run", "--seed", "7", "--set", "amisim.scenario.fleet.meters=2000")
                .WithExample("run", "--scenario", "hocon/scenarios/small.conf", "--fail-above", "0.01")
                .WithExample("run", "--cluster", "--port", "4051", "--nodes", "3");
            config.AddCommand<CheckCommand>("check")
                .WithDescription("Check a scenario (and its --set overrides) as run would, without running it.")
                .WithExample("check", "--scenario", "hocon/scenarios/small.conf");
            config.AddCommand<NodeCommand>("node")
                .WithDescription("A cluster node that hosts kernel partitions of run --cluster and whole runs of sweep --cluster; it joins the next such run when one ends.")
                .WithExample("node", "--port", "4052", "--seed-nodes", "akka.tcp://amisim@127.0.0.1:4051");
            config.AddCommand<StatusCommand>("status")
                .WithDescription("A campaign's state from the head-end's database alone (the last durable flush).")
                .WithExample("status", "--db", "runs/default-1-20260105-000000/headend.db");
            config.AddCommand<ConsoleCommand>("console")
                .WithDescription("The operator console, read-only, over a run folder's final state from its head-end's journal; served until Ctrl+C.")
                .WithExample("console", "--db", "runs/default-1-20260105-000000");
            config.AddCommand<MdmCommand>("mdm")
                .WithDescription("The MDM alone: an IEC 61968-100 web service (SOAP) a head-end sends its CIM messages to, with its journal; served until Ctrl+C.")
                .WithExample("mdm", "--port", "8061", "--db", "mdm.db")
                .WithExample("mdm", "--scenario", "hocon/scenarios/small.conf", "--port", "8061");
            config.AddCommand<ReportCommand>("report")
                .WithDescription("Draw report.html again from a run folder's report.json.");
            config.AddCommand<CompareCommand>("compare")
                .WithDescription("Runs side by side: the scenario keys that differ, times, airtime, outcomes by reason; and compare.html.")
                .WithExample("compare", "runs/unicast", "runs/multicast");
            config.AddCommand<SweepCommand>("sweep")
                .WithDescription("Run a grid of scenario variants with several seeds each, each run a process; sweep.csv, sweep.html and the best combination.")
                .WithExample("sweep", "--scenario", "hocon/scenarios/small.conf", "--vary", "campaign.distribution=unicast,multicast", "--vary", "campaign.sessions-per-collector=4,8,16", "--seeds", "3");
            config.AddBranch("keys", keys =>
            {
                keys.SetDescription("Vendor signing keys.");
                keys.AddCommand<KeysNewCommand>("new").WithDescription("Make a vendor ECDSA P-256 key pair (NAME.key, NAME.pub).");
            });
            config.AddBranch("certs", certs =>
            {
                certs.SetDescription("Certificates for TLS between cluster nodes.");
                certs.AddCommand<CertsNewCommand>("new").WithDescription("Make a cluster CA and a certificate for each node (ca.pem, node-K.pem and their keys).")
                    .WithExample("certs", "new", "--out", "certs", "--nodes", "3");
            });
            config.AddBranch("topology", topology =>
            {
                topology.SetDescription("The network a scenario makes: export it as a topology file, or inspect it.");
                topology.AddCommand<TopologyExportCommand>("export").WithDescription("Write the scenario's network as the topology file a run reads (to edit and feed back).");
                topology.AddCommand<TopologyInspectCommand>("inspect").WithDescription("Show meters per collector and depth, the worst links and the unreachable meters.");
            });
            config.AddBranch("meter", meter =>
            {
                meter.SetDescription("One simulated meter on its C12.18 optical port (over TCP), and a probe to read it.");
                meter.AddCommand<MeterServeCommand>("serve").WithDescription("Serve one simulated meter's optical port: C12.18 packets and PSEM over TCP.")
                    .WithExample("meter", "serve", "--port", "4059", "--trust", "vendor.pub");
                meter.AddCommand<MeterReadCommand>("read").WithDescription("Read a table of a meter through its optical port (ST0, ST1, ST3, MT100, ...).")
                    .WithExample("meter", "read", "--meter", "127.0.0.1:4059", "--table", "ST1");
            });
            config.AddBranch("program", program =>
            {
                program.SetDescription("The vendor program tool: build and inspect signed program packages, and program a meter in the field.");
                program.AddCommand<ProgramBuildCommand>("build").WithDescription("Build and sign a firmware or configuration package.")
                    .WithExample("program", "build", "--key", "vendor.key", "--id", "FW-2026-01", "--version", "2.1", "--image", "fw.bin", "--out", "fw.amipkg");
                program.AddCommand<ProgramInspectCommand>("inspect").WithDescription("Show a package and verify it against trusted keys.")
                    .WithExample("program", "inspect", "fw.amipkg", "--trust", "vendor.pub");
                program.AddCommand<ProgramFlashCommand>("flash").WithDescription("Program one meter directly through its optical port (C12.18 over TCP).")
                    .WithExample("program", "flash", "--meter", "127.0.0.1:4059", "--package", "fw.amipkg", "--trust", "vendor.pub");
            });
        });
        return app;
    }

    /// <summary>
    /// What reaches the command line's handler: the parser's refusals (unknown option, missing value,
    /// a value that is not a number) are bad input; anything else escaped a command, which is a failure.
    /// </summary>
    private static int Refuse(Exception error)
    {
        if (error is UsageException) return ErrorLine.Exit(ExitCode.BadInput, error.Message + " (amisim COMMAND --help)");
        if (error is CommandParseException or CommandRuntimeException)
            return ErrorLine.Exit(ExitCode.BadInput, Describe(error) + " (amisim --help, or amisim COMMAND --help)");
        ErrorLine.Write($"{error.GetType().Name}: {error.Message}");
        return ExitCode.RunFailed;
    }

    /// <summary>The parser's message, with the nearest known option for an unknown one.</summary>
    private static string Describe(Exception error)
    {
        var message = error.Message.TrimEnd('.');
        if (message.StartsWith("Failed to convert '", StringComparison.Ordinal))
        {
            var value = message["Failed to convert '".Length..message.LastIndexOf('\'')];
            return value == MissingValues.Placeholder
                ? "an option is missing its value"
                : $"'{value}' is not a value this option takes (a number is expected where the help shows N, PORT or SHARE)";
        }
        if (Quoted(message, "Unknown option '") is { } option)
        {
            var near = Options().Where(o => o != option).MinBy(o => Spelling.Distance(o, option));
            return option.Length > 1 && Options().Contains(option) ? $"{message}: this command has no --{option}"
                : near is not null && Spelling.Distance(near, option) <= Math.Max(2, option.Length / 3) ? $"{message} (did you mean --{near}?)" : message;
        }
        if (Quoted(message, "Unknown command '") is { } command)
        {
            if (command.EndsWith(".conf", StringComparison.OrdinalIgnoreCase))
                return $"{message}: a scenario file is given with --scenario (amisim run --scenario {command})";
            var near = Commands.MinBy(c => Spelling.Distance(c, command));
            return near is not null && Spelling.Distance(near, command) <= 2 ? $"{message} (did you mean {near}?)" : $"{message} (commands: {string.Join(", ", Commands)})";
        }
        return message;
    }

    private static readonly string[] Commands = ["run", "check", "node", "status", "console", "mdm", "report", "compare", "sweep", "keys", "certs", "program", "topology"];

    /// <summary>The name between <paramref name="prefix"/> and the next quote, if the message has one.</summary>
    private static string? Quoted(string message, string prefix)
    {
        var at = message.IndexOf(prefix, StringComparison.Ordinal);
        if (at < 0) return null;
        var rest = message[(at + prefix.Length)..];
        var end = rest.IndexOf('\'');
        return end < 0 ? rest : rest[..end];
    }

    /// <summary>Every long option name of every command.</summary>
    private static IEnumerable<string> Options() =>
        typeof(AmiSimApp).Assembly.GetTypes()
            .Where(t => t.IsSubclassOf(typeof(CommandSettings)))
            .SelectMany(t => t.GetProperties())
            .Select(p => p.GetCustomAttribute<CommandOptionAttribute>())
            .OfType<CommandOptionAttribute>()
            .SelectMany(o => o.LongNames)
            .Distinct();

    /// <summary>The standard help with the exit codes under it.</summary>
    private sealed class ExitCodeHelp(ICommandAppSettings settings) : HelpProvider(settings)
    {
        public override IEnumerable<IRenderable> GetFooter(ICommandModel model, ICommandInfo? command) =>
        [
            .. base.GetFooter(model, command),
            new Markup(Environment.NewLine + "[yellow]EXIT CODES:[/]" + Environment.NewLine
                       + $"    {ExitCode.Completed}    done; for run, the campaign completed" + Environment.NewLine
                       + $"    {ExitCode.RunFailed}    the run failed after it started (details in the run folder's amisim.log)" + Environment.NewLine
                       + $"    {ExitCode.BadInput}    bad input (usage, scenario, package, key, endpoint, file), found before anything ran or was written" + Environment.NewLine
                       + $"    {ExitCode.CampaignNotCompleted}    run: the campaign ended stopped, canceled or paused, or with failures above --fail-above" + Environment.NewLine),
        ];
    }
}
