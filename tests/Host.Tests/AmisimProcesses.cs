using System.Diagnostics;

namespace AmiSim.Host.Tests;

/// <summary>amisim commands as processes of their own (this build's amisim.dll), each killed with its children when the test ends.</summary>
internal sealed class AmisimProcesses : IDisposable
{
    private readonly List<Process> _processes = [];

    /// <summary>Starts <c>amisim ARGUMENTS</c> with standard output and error redirected.</summary>
    public Process Start(params string[] arguments) => StartWith(new Dictionary<string, string>(), arguments);

    /// <summary>Starts <c>amisim ARGUMENTS</c> with <paramref name="environment"/> added to this process's.</summary>
    public Process StartWith(IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "amisim.dll"), .. arguments])
        {
            RedirectStandardOutput = true, RedirectStandardError = true,
        };
        foreach (var (name, value) in environment) start.Environment[name] = value;
        var process = Process.Start(start)!;
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
