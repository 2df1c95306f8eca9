using System.Runtime.CompilerServices;
using Zrpc.Frames;

namespace Zrpc.Rpc;

/// <summary>
/// What <see cref="RpcServer"/> knows of one open connection beyond its own task: when it went
/// idle, whether a write to the peer is stuck, and how to close it from outside (to make room at
/// the connection limit, or when the send timeout expires).
/// </summary>
internal sealed class ServerConnection(long id, Stream raw, FrameReader reader)
{
    public long Id { get; } = id;

    public FrameReader Reader { get; } = reader;

    /// <summary>Stopwatch timestamp since which the connection is idle between requests; 0 while a request is served.</summary>
    public long IdleSince = System.Diagnostics.Stopwatch.GetTimestamp();

    /// <summary>Stopwatch timestamp at which the write in progress started; 0 when no write is in progress.</summary>
    public long WriteSince;

    private int _closedBecause;

    /// <summary>Why the server closed it from outside, or null.</summary>
    public string? ClosedBecause => Volatile.Read(ref _closedBecause) switch
    {
        1 => "closed to make room for a new connection at the connection limit (it was the longest idle)",
        2 => "the peer took nothing of a response for longer than the send timeout (CONN-8)",
        _ => null,
    };

    /// <summary>True when nothing of a request is under way: it may be closed like an idle connection (CONN-6).</summary>
    public bool Evictable => Volatile.Read(ref IdleSince) != 0 && Reader.AtMessageBoundary && Volatile.Read(ref _closedBecause) == 0;

    public bool CloseToMakeRoom() => Close(1);

    public bool CloseForSendTimeout() => Close(2);

    private bool Close(int reason)
    {
        if (Interlocked.CompareExchange(ref _closedBecause, reason, 0) != 0) return false;
        try
        {
            raw.Dispose(); // the connection's pending read or write fails, and its task ends
        }
        catch
        {
            // Already closed.
        }
        return true;
    }
}

/// <summary>The write side of a connection, recording when a write is in progress for the send timeout (CONN-8).</summary>
internal sealed class SendWatchStream(Stream inner, ServerConnection connection) : Stream
{
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Volatile.Write(ref connection.WriteSince, System.Diagnostics.Stopwatch.GetTimestamp());
        ValueTask write;
        try
        {
            write = inner.WriteAsync(buffer, cancellationToken);
        }
        catch
        {
            Volatile.Write(ref connection.WriteSince, 0);
            throw;
        }

        if (write.IsCompletedSuccessfully)
        {
            Volatile.Write(ref connection.WriteSince, 0);
            return write;
        }

        return AwaitWrite(write);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask AwaitWrite(ValueTask write)
    {
        try
        {
            await write.ConfigureAwait(false);
        }
        finally
        {
            Volatile.Write(ref connection.WriteSince, 0);
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        Volatile.Write(ref connection.WriteSince, System.Diagnostics.Stopwatch.GetTimestamp());
        try
        {
            inner.Write(buffer);
        }
        finally
        {
            Volatile.Write(ref connection.WriteSince, 0);
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Flush() => inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
