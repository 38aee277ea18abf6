namespace AmiSim.Host.Cli;

/// <summary>The exit codes of every amisim command (README, "Exit codes"; <c>amisim --help</c>).</summary>
public static class ExitCode
{
    /// <summary>The command did what it was asked; for <c>run</c>, the campaign completed.</summary>
    public const int Completed = 0;

    /// <summary>The run failed after it started (the simulation, the journal, the disk): nothing was wrong with the input.</summary>
    public const int RunFailed = 1;

    /// <summary>Bad input, found before anything ran or was written: usage, scenario, package, key, endpoint, file.</summary>
    public const int BadInput = 2;

    /// <summary>The campaign ended stopped, canceled or paused (a threshold or the operator), or with failures above <c>--fail-above</c>; for <c>program flash</c>, the meter refused the program.</summary>
    public const int CampaignNotCompleted = 3;

    /// <summary><c>run</c> was interrupted (Ctrl+C or SIGTERM): no report; the head-end's database holds the last durable flush.</summary>
    public const int Interrupted = 130;
}
