using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Zrpc.Transport;

/// <summary>
/// One end of a pipe (or a socket) given as a file descriptor, read or written through the
/// runtime's socket engine: epoll serves pipes as well as sockets, so reads wait without a thread,
/// honour cancellation (which the console's stdin streams do not), and complete through the
/// socket's own reusable awaitables. The BCL's <c>PipeStream</c> takes the same route on Unix but
/// allocates a state machine for every read that has to wait (docs/performance.md, design notes);
/// this stream allocates nothing per read or write.
/// Only for descriptors that epoll accepts: check <see cref="IsPollable"/> first.
/// </summary>
public sealed class PipeEndStream : DescriptorStream
{
    private readonly SafeHandle _handle;
    private readonly bool _ownsHandle;
    private readonly Socket _socket;
    private readonly bool _canRead;
    private int _lastRead;
    private int _disposed;

    /// <param name="handle">An open pipe or socket descriptor.</param>
    /// <param name="access"><see cref="FileAccess.Read"/> or <see cref="FileAccess.Write"/>: a pipe end is one or the other.</param>
    /// <param name="ownsHandle">Whether disposing this stream closes <paramref name="handle"/> (the peer then sees end of stream).</param>
    public PipeEndStream(SafeHandle handle, FileAccess access, bool ownsHandle)
    {
        ArgumentNullException.ThrowIfNull(handle);
        if (handle.IsInvalid || handle.IsClosed) throw new ArgumentException("the handle is not open", nameof(handle));
        if (access is not (FileAccess.Read or FileAccess.Write)) throw new ArgumentException("a pipe end is either read or written", nameof(access));
        _handle = handle;
        _ownsHandle = ownsHandle;
        _canRead = access == FileAccess.Read;
        // The socket does not own the descriptor: closing stays with the SafeHandle that does, so
        // a descriptor shared with its creator (a pipe stream, the console) is closed exactly once.
        // The reference taken here keeps that close from happening while this stream still uses the
        // number, which the kernel could otherwise hand to another file in the meantime.
        bool added = false;
        handle.DangerousAddRef(ref added);
        try
        {
            _socket = new Socket(new SafeSocketHandle(handle.DangerousGetHandle(), ownsHandle: false));
        }
        catch
        {
            handle.DangerousRelease();
            throw;
        }
    }

    /// <summary>
    /// Whether <paramref name="fileDescriptor"/> is a pipe or a socket, the kinds this stream can
    /// serve. False on systems without <c>/proc/self/fd</c>, and for files and terminals, which
    /// epoll refuses: callers then keep an ordinary stream.
    /// </summary>
    public static bool IsPollable(int fileDescriptor)
    {
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            var target = new FileInfo($"/proc/self/fd/{fileDescriptor}").LinkTarget;
            return target is not null && (target.StartsWith("pipe:", StringComparison.Ordinal) || target.StartsWith("socket:", StringComparison.Ordinal));
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    public override bool CanRead => _canRead && Volatile.Read(ref _disposed) == 0;
    public override bool CanWrite => !_canRead && Volatile.Read(ref _disposed) == 0;

    public override int Read(Span<byte> buffer)
    {
        EnsureReadable();
        try
        {
            return _socket.Receive(buffer, SocketFlags.None);
        }
        catch (SocketException e)
        {
            throw Failed("read from", e);
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        EnsureReadable();
        if (!TakeContinuesMessage() && _lastRead < ArrivalSpin.ShortReadBytes && !cancellationToken.IsCancellationRequested && buffer.Length > 0)
        {
            // A reply within microseconds is read without parking the thread (see ArrivalSpin).
            ArrivalSpin.WaitForBytes(_socket, ArrivalSpin.Default);
        }

        return ReceiveAsync(buffer, cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        try
        {
            return _lastRead = await _socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            throw Failed("read from", e);
        }
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        EnsureWritable();
        try
        {
            while (!buffer.IsEmpty)
            {
                buffer = buffer[_socket.Send(buffer, SocketFlags.None)..];
            }
        }
        catch (SocketException e)
        {
            throw Failed("write to", e);
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        EnsureWritable();
        return SendAsync(buffer, cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SendAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        try
        {
            // A pipe takes what fits; a frame larger than the pipe goes out in several writes.
            while (!buffer.IsEmpty)
            {
                buffer = buffer[await _socket.SendAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false)..];
            }
        }
        catch (SocketException e)
        {
            throw Failed("write to", e);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _socket.Dispose();
            _handle.DangerousRelease();
            if (_ownsHandle) _handle.Dispose();
        }

        base.Dispose(disposing);
    }

    private void EnsureReadable()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (!_canRead) throw new NotSupportedException("this pipe end is for writing");
    }

    private void EnsureWritable()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (_canRead) throw new NotSupportedException("this pipe end is for reading");
    }

    private static IOException Failed(string what, SocketException e) =>
        new($"cannot {what} the pipe: {e.Message}", e);
}
