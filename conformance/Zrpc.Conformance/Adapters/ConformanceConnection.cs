using Zrpc.Transport;

namespace Zrpc.Conformance.Adapters;

/// <summary>
/// One connection to the implementation under test, as a step binding sees it. Every byte that
/// goes through <see cref="Stream"/> is recorded in the scenario's traffic log.
/// </summary>
public sealed class ConformanceConnection : IAsyncDisposable
{
    private readonly Stream _raw;
    private readonly TrafficLog _log;
    private int _disposed;

    internal ConformanceConnection(string label, Stream raw, TrafficLog log)
    {
        Label = label;
        _raw = raw;
        _log = log;
        Stream = new RecordingStream(raw, log, label);
    }

    /// <summary>The name the scenario gave this connection, e.g. "main" or "second".</summary>
    public string Label { get; }

    /// <summary>Duplex byte stream to the implementation; reads and writes are recorded.</summary>
    public Stream Stream { get; }

    /// <summary>What an exec: target wrote to its standard error (bounded tail), null for sockets.</summary>
    public string? StandardErrorText => _raw is ProcessStream process ? process.StandardErrorText : null;

    /// <summary>Exit code of an exec: target's process once it has ended; null otherwise.</summary>
    public int? ExitCode => _raw is ProcessStream { HasExited: true } process ? process.ExitCode : null;

    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>An exec: target's process had already ended when the kit closed this connection.</summary>
    public bool ExitedBeforeClose { get; private set; }

    /// <summary>Whether this connection is an exec: target's process (whose exit and stderr tell about crashes).</summary>
    public bool IsProcess => _raw is ProcessStream;

    /// <summary>
    /// Half-closes the connection: the implementation sees end of stream while the kit can still
    /// read its answer (TCP/unix: shutdown of the sending direction; pipes: the write side is closed).
    /// </summary>
    public async Task CloseOutputAsync()
    {
        _log.RecordEvent(Label, TrafficDirection.Sent, "end of stream (the kit closed its sending side)");
        switch (_raw)
        {
            case System.Net.Sockets.NetworkStream network:
                network.Socket.Shutdown(System.Net.Sockets.SocketShutdown.Send);
                break;
            case DuplexStream duplex:
                await duplex.WriteSide.DisposeAsync().ConfigureAwait(false);
                break;
            case ProcessStream process:
                process.CloseStandardInput();
                break;
            default:
                throw new NotSupportedException(
                    $"the {_raw.GetType().Name} of connection '{Label}' cannot close only its sending side");
        }
    }

    /// <summary>Closes the kit's side of the connection (for a process: closes its stdin and waits for it).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        ExitedBeforeClose = _raw is ProcessStream { HasExited: true };
        _log.RecordEvent(Label, null, "closed by the kit");
        try
        {
            await Stream.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or InvalidOperationException)
        {
            // Closing a connection the peer has already reset is not an error of the scenario.
        }
    }
}
