using System.ComponentModel;
using Spectre.Console.Cli;

namespace AmiSim.Host.Commands;

/// <summary>The options that say which scenario's fleet and network a command reads (<c>amisim mdm</c>; the start of <see cref="ScenarioOptions"/>).</summary>
public abstract class FleetOptions : CommandSettings
{
    [CommandOption("--scenario <FILE>")]
    [Description("Scenario file (HOCON, keys in hocon/scenario-reference.conf); default: the embedded default scenario.")]
    public string? Scenario { get; init; }

    [CommandOption("--set <KEY=VALUE>")]
    [Description("Override a key, HOCON syntax (amisim.scenario.*, amisim.kernel.*, amisim.heap-limit or akka.*); repeatable, a later one wins.")]
    public string[] Set { get; init; } = [];

    [CommandOption("--seed <N>")]
    [Description("Seed of the run (overrides amisim.scenario.seed).")]
    public long? Seed { get; init; }

}

/// <summary>The options that say which scenario a command reads: the same for <c>run</c> and <c>check</c>.</summary>
public abstract class ScenarioOptions : FleetOptions
{
    [CommandOption("--package <FILE>")]
    [Description("Roll out this package (.amipkg, from `amisim program build`) instead of the scenario's program (amisim.scenario.program.package); needs --trust.")]
    public string? Package { get; init; }

    [CommandOption("--trust <PUBLIC_KEY>")]
    [Description("The vendor's public key (PEM, vendor.pub from `amisim keys new`) the head-end and the meters trust for --package.")]
    public string? Trust { get; init; }
}
