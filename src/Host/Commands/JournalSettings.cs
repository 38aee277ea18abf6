using System.ComponentModel;
using Spectre.Console.Cli;

namespace AmiSim.Host.Commands;

/// <summary>Which head-end journal a command reads: the options of <c>status</c> and <c>console</c>.</summary>
public abstract class JournalSettings : CommandSettings
{
    [CommandOption("--db <PATH>")]
    [Description("The head-end's SQLite database, or the run folder holding it (headend.db).")]
    public string Db { get; init; } = "";

    [CommandOption("--campaign <ID>")]
    [Description("Campaign id.")]
    [DefaultValue("C1")]
    public string Campaign { get; init; } = "C1";
}
