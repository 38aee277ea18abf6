using System.Runtime.InteropServices;

namespace AmiSim.Host.Cli;

/// <summary>
/// A command's cancellation on Ctrl+C or SIGTERM: the first signal cancels <see cref="Token"/> (the
/// command stops where it can and says so), a second one is left to its default, which ends the
/// process at once.
/// </summary>
public sealed class SignalCancellation : IDisposable
{
    private readonly CancellationTokenSource _source;
    private readonly PosixSignalRegistration _interrupt;
    private readonly PosixSignalRegistration _terminate;

    public SignalCancellation(CancellationToken outer)
    {
        _source = CancellationTokenSource.CreateLinkedTokenSource(outer);
        _interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        _terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
    }

    /// <summary>Canceled by the first signal, or by the token the command was given.</summary>
    public CancellationToken Token => _source.Token;

    private void Stop(PosixSignalContext signal)
    {
        if (_source.IsCancellationRequested) return; // the second one: the default, which ends the process
        signal.Cancel = true;
        _source.Cancel();
    }

    public void Dispose()
    {
        _interrupt.Dispose();
        _terminate.Dispose();
        _source.Dispose();
    }
}
