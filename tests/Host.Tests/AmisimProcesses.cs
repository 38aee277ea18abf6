using System.Diagnostics;

namespace AmiSim.Host.Tests;

/// <summary>amisim commands as processes of their own (this build's amisim.dll), each killed with its children when the test ends.</summary>
internal sealed class AmisimProcesses : IDisposable
{
    private readonly List<Process> _processes = [];

    /// <summary>Starts <c>amisim ARGUMENTS</c> with standard output and error redirected.</summary>
    public Process Start(params string[] arguments)
    {
        var process = Process.Start(new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "amisim.dll"), .. arguments])
        {
            RedirectStandardOutput = true, RedirectStandardError = true,
        })!;
        _processes.Add(process);
        return process;
    }

    public void Dispose()
    {
        foreach (var process in _processes)
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            process.Dispose();
        }
    }
}
