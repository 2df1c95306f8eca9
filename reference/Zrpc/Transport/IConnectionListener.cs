namespace Zrpc.Transport;

/// <summary>
/// Source of incoming connections for a server (TRANS-1: each connection is a reliable, ordered,
/// full-duplex byte stream). Disposing the listener stops accepting; connections already handed
/// out stay open and belong to whoever accepted them.
/// </summary>
public interface IConnectionListener : IAsyncDisposable
{
    /// <summary>
    /// Waits for the next connection. Returns null when the listener will produce no more
    /// connections (it was disposed, or it is a one-shot listener such as stdio whose single
    /// connection has ended). Throws <see cref="OperationCanceledException"/> when
    /// <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    ValueTask<Stream?> AcceptAsync(CancellationToken cancellationToken);
}
