using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;

namespace Zrpc.Tests.Rpc;

/// <summary>An in-memory full-duplex connection made of two pipes; each end records what it wrote.</summary>
public sealed class PipeEnd(PipeReader reader, PipeWriter writer) : Stream
{
    private readonly Stream _in = reader.AsStream();
    private readonly MemoryStream _written = new();
    private int _disposed;

    public bool Record { get; set; }

    public byte[] Written { get { lock (_written) return _written.ToArray(); } }

    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    public static (PipeEnd Client, PipeEnd Server) CreatePair()
    {
        // A caching pool: the shared array pool drops most of the ~1000 segments a 4 MiB frame
        // needs at once, which would make the pipe itself (not the code under test) allocate.
        var options = new PipeOptions(pool: CachingMemoryPool.Instance, minimumSegmentSize: CachingMemoryPool.SegmentSize, pauseWriterThreshold: 8 * 1024 * 1024, resumeWriterThreshold: 4 * 1024 * 1024);
        var toServer = new Pipe(options);
        var toClient = new Pipe(options);
        return (new PipeEnd(toClient.Reader, toServer.Writer), new PipeEnd(toServer.Reader, toClient.Writer));
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => _in.ReadAsync(buffer, cancellationToken);
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => _in.ReadAsync(buffer, offset, count, cancellationToken);
    public override int Read(byte[] buffer, int offset, int count) => _in.Read(buffer, offset, count);

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (Record)
        {
            lock (_written) _written.Write(buffer.Span);
        }

        var result = await writer.WriteAsync(buffer, cancellationToken);
        if (result.IsCompleted)
        {
            throw new IOException("the peer closed the connection");
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
    public override void Flush() { }
    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            // Like closing a socket: our own pending read fails, the peer sees end of stream.
            reader.CancelPendingRead();
            writer.Complete();
            reader.Complete();
        }

        base.Dispose(disposing);
    }

    public override ValueTask DisposeAsync()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }

    /// <summary>Reads until the peer closes; returns everything read.</summary>
    public async Task<byte[]> ReadToEndAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var ms = new MemoryStream();
        await _in.CopyToAsync(ms, cts.Token);
        return ms.ToArray();
    }
}

/// <summary>A memory pool that keeps every returned segment for reuse (test infrastructure only).</summary>
public sealed class CachingMemoryPool : MemoryPool<byte>
{
    public const int SegmentSize = 64 * 1024;

    public static readonly CachingMemoryPool Instance = new();

    private readonly ConcurrentBag<Owner> _free = new();

    public override int MaxBufferSize => SegmentSize;

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        if (minBufferSize > SegmentSize)
        {
            return new Owner(this, new byte[minBufferSize], pooled: false);
        }

        return _free.TryTake(out var owner) ? owner : new Owner(this, new byte[SegmentSize], pooled: true);
    }

    protected override void Dispose(bool disposing) { }

    private sealed class Owner(CachingMemoryPool pool, byte[] array, bool pooled) : IMemoryOwner<byte>
    {
        public Memory<byte> Memory => array;

        public void Dispose()
        {
            if (pooled)
            {
                pool._free.Add(this);
            }
        }
    }
}
