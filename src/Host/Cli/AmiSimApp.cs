using AmiSim.Host.Commands;
using Spectre.Console.Cli;

namespace AmiSim.Host.Cli;

/// <summary>The <c>amisim</c> command line: its commands, options and help.</summary>
public static class AmiSimApp
{
    public static CommandApp Create()
    {
        var app = new CommandApp();
        app.Configure(config =>
        {

            config.SetApplicationName("amisim");
            config.AddCommand<RunCommand>("run")
                .WithDescription("Run the use case on a scenario (default: the embedded one) and write the run folder.")
                .WithExample("run")
                .WithExample("run", "--seed", "7", "--set", "amisim.scenario.fleet.meters=2000")
                .WithExample("run", "--cluster", "--port", "4051", "--nodes", "3");
            config.AddCommand<NodeCommand>("node")
                .WithDescription("A cluster node that hosts kernel partitions of a run started with run --cluster.")
                .WithExample("node", "--port", "4052", "--seed-nodes", "akka.tcp://amisim@127.0.0.1:4051");
            config.AddCommand<StatusCommand>("status")
                .WithDescription("A campaign's state from the head-end's database alone (the last durable flush).")
                .WithExample("status", "--db", "runs/default-1-20260105-000000/headend.db");
            config.AddCommand<ReportCommand>("report")
                .WithDescription("Draw report.html again from a run folder's report.json.");
            config.AddBranch("keys", keys =>
            {
                keys.SetDescription("Vendor signing keys.");
                keys.AddCommand<KeysNewCommand>("new").WithDescription("Make a vendor ECDSA P-256 key pair (NAME.key, NAME.pub).");
            });
            config.AddBranch("program", program =>
            {
                program.SetDescription("The vendor program tool: build and inspect signed program packages.");
                program.AddCommand<ProgramBuildCommand>("build").WithDescription("Build and sign a firmware or configuration package.")
                    .WithExample("program", "build", "--key", "vendor.key", "--id", "FW-2026-01", "--version", "2.1", "--image", "fw.bin", "--out", "fw.amipkg");
                program.AddCommand<ProgramInspectCommand>("inspect").WithDescription("Show a package and verify it against trusted keys.")
                    .WithExample("program", "inspect", "fw.amipkg", "--trust", "vendor.pub");
            });
        });
        return app;
    }
}
