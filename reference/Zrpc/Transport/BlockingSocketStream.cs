using System.Net.Sockets;

namespace Zrpc.Transport;

/// <summary>
/// A TCP or Unix socket connection whose reads and writes block the calling thread in the kernel,
/// asynchronous methods included: they complete before they return. A thread waiting in
/// <c>recv</c> is woken by the kernel itself when bytes arrive, where an asynchronous read goes
/// through the runtime's epoll thread and a hop to the thread pool; on a small machine those two
/// wake-ups per message are most of the cost of a short call. Meant for a connection
/// that has a thread of its own: see <see cref="Rpc.RpcServerOptions.ConnectionThreading"/> and
/// <see cref="Connector.ConnectBlockingAsync"/>.
/// Cancellation still works: a token that fires while a read waits shuts down the receiving side,
/// which wakes the read, and the read then throws <see cref="OperationCanceledException"/>; the
/// sending side stays usable, so an RST frame can still go out before the close (CONN-1).
/// </summary>
public sealed class BlockingSocketStream : DescriptorStream
{
    private readonly Socket _socket;
    private readonly bool _ownsSocket;
    private readonly TimeSpan _spin;
    private int _lastRead;
    private int _disposed;

    /// <param name="socket">
    /// A connected stream socket never used for an asynchronous operation: once the runtime has
    /// registered a socket with epoll it makes it non-blocking for good, and blocking calls on it
    /// are emulated with the very wake-ups this stream avoids.
    /// </param>
    /// <param name="ownsSocket">Whether disposing this stream closes the socket.</param>
    /// <param name="spinBeforeWaiting">
    /// How long a read that finds no bytes watches for them before it blocks (default 20 us; zero:
    /// never): a reply that comes within it is read without the thread being put to sleep and woken.
    /// </param>
    public BlockingSocketStream(Socket socket, bool ownsSocket = true, TimeSpan? spinBeforeWaiting = null)
    {
        ArgumentNullException.ThrowIfNull(socket);
        if (socket.SocketType != SocketType.Stream) throw new ArgumentException("a stream socket is needed", nameof(socket));
        _socket = socket;
        _ownsSocket = ownsSocket;
        _spin = spinBeforeWaiting ?? ArrivalSpin.Default;
        _socket.Blocking = true;
    }

    public Socket Socket => _socket;

    public override bool CanRead => Volatile.Read(ref _disposed) == 0;
    public override bool CanWrite => Volatile.Read(ref _disposed) == 0;

    public override int Read(Span<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (!TakeContinuesMessage() && _lastRead < ArrivalSpin.ShortReadBytes)
        {
            ArrivalSpin.WaitForBytes(_socket, _spin);
        }

        try
        {
            return _lastRead = _socket.Receive(buffer, SocketFlags.None);
        }
        catch (SocketException e)
        {
            throw new IOException($"cannot read from the connection: {e.Message}", e);
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested) return ValueTask.FromCanceled<int>(cancellationToken);
        try
        {
            int n;
            using (cancellationToken.UnsafeRegister(static s => ShutdownQuietly((Socket)s!, SocketShutdown.Receive), _socket))
            {
                n = Read(buffer.Span);
            }

            // A read woken by the shutdown above returns 0, which must not pass for the peer's end of stream.
            return cancellationToken.IsCancellationRequested ? ValueTask.FromCanceled<int>(cancellationToken) : new ValueTask<int>(n);
        }
        catch (Exception e) when (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromException<int>(new OperationCanceledException("the read was cancelled", e, cancellationToken));
        }
        catch (Exception e)
        {
            return ValueTask.FromException<int>(e);
        }
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        try
        {
            while (!buffer.IsEmpty)
            {
                buffer = buffer[_socket.Send(buffer, SocketFlags.None)..];
            }
        }
        catch (SocketException e)
        {
            throw new IOException($"cannot write to the connection: {e.Message}", e);
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested) return ValueTask.FromCanceled(cancellationToken);
        try
        {
            // A peer that stops reading blocks the send once the kernel buffers are full; the token
            // then ends the connection's sending side, which fails the send.
            using (cancellationToken.UnsafeRegister(static s => ShutdownQuietly((Socket)s!, SocketShutdown.Send), _socket))
            {
                Write(buffer.Span);
            }

            return ValueTask.CompletedTask;
        }
        catch (Exception e) when (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromException(new OperationCanceledException("the write was cancelled", e, cancellationToken));
        }
        catch (Exception e)
        {
            return ValueTask.FromException(e);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0 && _ownsSocket)
        {
            // Closing a descriptor does not wake a thread blocked in recv on it; a shutdown does.
            ShutdownQuietly(_socket, SocketShutdown.Both);
            _socket.Dispose();
        }

        base.Dispose(disposing);
    }

    private static void ShutdownQuietly(Socket socket, SocketShutdown how)
    {
        try
        {
            socket.Shutdown(how);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already closed or never connected: nothing left to wake.
        }
    }
}
