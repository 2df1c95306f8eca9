using System.Runtime.InteropServices;

namespace Zrpc.Cli;

/// <summary>Turns Ctrl-C (SIGINT) and SIGTERM into a cancellation instead of an abrupt exit.</summary>
internal sealed class Termination : IDisposable
{
    private readonly CancellationTokenSource _cts;
    private readonly PosixSignalRegistration[] _registrations;

    public Termination(CancellationToken outer)
    {
        _cts = CancellationTokenSource.CreateLinkedTokenSource(outer);
        _registrations =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal),
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal),
        ];
    }

    public CancellationToken Token => _cts.Token;

    /// <summary>True when a signal (not the outer token) caused the cancellation.</summary>
    public bool Signalled { get; private set; }

    private void OnSignal(PosixSignalContext context)
    {
        // Keep the process alive: the command winds down and returns its own exit code.
        context.Cancel = true;
        Signalled = true;
        _cts.Cancel();
    }

    public void Dispose()
    {
        foreach (var registration in _registrations) registration.Dispose();
        _cts.Dispose();
    }
}
