namespace Zrpc.Transport;

/// <summary>
/// Joins a readable stream and a writable stream into one full-duplex stream (TRANS-1), e.g. a pair
/// of pipes. Reads and writes may run concurrently because they go to different streams.
/// </summary>
public sealed class DuplexStream : Stream, IReadHints
{
    private readonly Stream _readFrom;
    private readonly Stream _writeTo;
    private readonly bool _leaveOpen;
    private readonly Func<ValueTask>? _onDisposed;
    private int _disposed;

    /// <param name="readFrom">Where reads come from.</param>
    /// <param name="writeTo">Where writes go.</param>
    /// <param name="leaveOpen">When true, disposing this stream does not dispose the two inner streams.</param>
    /// <param name="onDisposed">Runs once after the inner streams are closed (used by one-shot listeners to learn the connection ended).</param>
    public DuplexStream(Stream readFrom, Stream writeTo, bool leaveOpen = false, Func<ValueTask>? onDisposed = null)
    {
        ArgumentNullException.ThrowIfNull(readFrom);
        ArgumentNullException.ThrowIfNull(writeTo);
        if (!readFrom.CanRead) throw new ArgumentException("the read side must be readable", nameof(readFrom));
        if (!writeTo.CanWrite) throw new ArgumentException("the write side must be writable", nameof(writeTo));
        _readFrom = readFrom;
        _writeTo = writeTo;
        _leaveOpen = leaveOpen;
        _onDisposed = onDisposed;
    }

    public Stream ReadSide => _readFrom;

    // Reads are the read side's, and so are their hints.
    bool IReadHints.ReadsHonourCancellation => ReadHints.HonoursCancellation(_readFrom);

    void IReadHints.NextReadContinuesMessage() => (_readFrom as IReadHints)?.NextReadContinuesMessage();
    public Stream WriteSide => _writeTo;

    public override bool CanRead => Volatile.Read(ref _disposed) == 0;
    public override bool CanWrite => Volatile.Read(ref _disposed) == 0;
    public override bool CanSeek => false;
    public override bool CanTimeout => _readFrom.CanTimeout;

    public override int ReadTimeout
    {
        get => _readFrom.ReadTimeout;
        set => _readFrom.ReadTimeout = value;
    }

    public override int WriteTimeout
    {
        get => _writeTo.WriteTimeout;
        set => _writeTo.WriteTimeout = value;
    }

    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    public override int Read(byte[] buffer, int offset, int count) => _readFrom.Read(buffer, offset, count);
    public override int Read(Span<byte> buffer) => _readFrom.Read(buffer);
    public override int ReadByte() => _readFrom.ReadByte();
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        _readFrom.ReadAsync(buffer, offset, count, cancellationToken);
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        _readFrom.ReadAsync(buffer, cancellationToken);

    public override void Write(byte[] buffer, int offset, int count) => _writeTo.Write(buffer, offset, count);
    public override void Write(ReadOnlySpan<byte> buffer) => _writeTo.Write(buffer);
    public override void WriteByte(byte value) => _writeTo.WriteByte(value);
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        _writeTo.WriteAsync(buffer, offset, count, cancellationToken);
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        _writeTo.WriteAsync(buffer, cancellationToken);

    public override void Flush() => _writeTo.Flush();
    public override Task FlushAsync(CancellationToken cancellationToken) => _writeTo.FlushAsync(cancellationToken);

    protected override void Dispose(bool disposing)
    {
        if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            if (!_leaveOpen)
            {
                // The write side first: the peer sees end of stream even if closing the read side blocks.
                _writeTo.Dispose();
                _readFrom.Dispose();
            }
            _onDisposed?.Invoke().AsTask().GetAwaiter().GetResult();
        }
        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            if (!_leaveOpen)
            {
                await _writeTo.DisposeAsync().ConfigureAwait(false);
                await _readFrom.DisposeAsync().ConfigureAwait(false);
            }
            if (_onDisposed is not null) await _onDisposed().ConfigureAwait(false);
        }
        GC.SuppressFinalize(this);
    }
}
