using System.Buffers;
using System.Runtime.CompilerServices;
using Zrpc.Frames;

namespace Zrpc.Messages;

/// <summary>
/// A write-only stream that becomes one Data message with canonical framing (MSG-4). Bytes are
/// collected in one pooled buffer that keeps <see cref="FrameLimits.HeaderSize"/> bytes free in
/// front of the payload, so each frame leaves in a single write without another copy (FRAME-12).
/// The buffer starts small (JSON bodies) and grows to one frame at most: memory stays bounded
/// whatever the body size (MSG-6).
/// </summary>
public sealed class DataMessageWriteStream : Stream
{
    private const int InitialPayloadCapacity = 4096;
    private const int FullFrame = FrameLimits.MaxPayload;
    private const int MinFrameSpace = 64 * 1024;

    private readonly FrameWriter _frames;
    private byte[]? _buffer;
    private int _payloadLength;
    private bool _completed;
    private bool _aborted;
    private long _written;

    internal DataMessageWriteStream(FrameWriter frames)
    {
        _frames = frames;
    }

    /// <summary>Content bytes accepted so far.</summary>
    public long BytesWritten => _written;

    /// <summary>True once the end frame has been written.</summary>
    public bool Completed => _completed;

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => !_completed && !_aborted;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _written; set => throw new NotSupportedException(); }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ThrowIfClosed();
        while (buffer.Length > 0)
        {
            // A full frame is sent as soon as more content follows it: its flag is clear whatever comes next.
            if (_payloadLength == FullFrame)
            {
                await SendFrameAsync(end: false, cancellationToken).ConfigureAwait(false);
            }

            int take = Math.Min(buffer.Length, FullFrame - _payloadLength);
            EnsureCapacity(_payloadLength + take);
            buffer.Span[..take].CopyTo(_buffer.AsSpan(FrameLimits.HeaderSize + _payloadLength));
            _payloadLength += take;
            _written += take;
            buffer = buffer[take..];
        }
    }

    /// <summary>
    /// Free space of the current frame, for a producer that reads straight into it (a stream
    /// copied into the message): this saves the copy from the producer's buffer into the frame.
    /// A full frame is sent first (end flag clear, MSG-4). Call <see cref="Advance"/> with the
    /// number of bytes put there.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<Memory<byte>> GetFrameSpaceAsync(CancellationToken cancellationToken)
    {
        ThrowIfClosed();
        if (_payloadLength == FullFrame)
        {
            await SendFrameAsync(end: false, cancellationToken).ConfigureAwait(false);
        }

        // Grows like WriteAsync does, so a short body never takes a whole frame's buffer.
        int capacity = _buffer is null ? 0 : Math.Min(FullFrame, _buffer.Length - FrameLimits.HeaderSize);
        if (capacity - _payloadLength < MinFrameSpace && capacity < FullFrame)
        {
            EnsureCapacity(Math.Min(FullFrame, Math.Max(capacity * 4, _payloadLength + MinFrameSpace)));
            capacity = Math.Min(FullFrame, _buffer!.Length - FrameLimits.HeaderSize);
        }

        return _buffer.AsMemory(FrameLimits.HeaderSize + _payloadLength, capacity - _payloadLength);
    }

    /// <summary>Accepts <paramref name="count"/> bytes written into the space of <see cref="GetFrameSpaceAsync"/>.</summary>
    public void Advance(int count)
    {
        ThrowIfClosed();
        if (count < 0 || count > FullFrame - _payloadLength || _buffer is null || FrameLimits.HeaderSize + _payloadLength + count > _buffer.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, "more bytes than the frame space handed out");
        }

        _payloadLength += count;
        _written += count;
    }

    /// <summary>
    /// Copies <paramref name="source"/> to its end into the message, reading straight into the
    /// frame buffer. Does not complete the message.
    /// </summary>
    public async Task CopyFromAsync(Stream source, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        while (true)
        {
            var space = await GetFrameSpaceAsync(cancellationToken).ConfigureAwait(false);
            int n = await source.ReadAsync(space, cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                return;
            }

            Advance(n);
        }
    }

    /// <summary>
    /// Sends what is left as the end-flagged frame (empty when the content is a multiple of 4 MiB,
    /// MSG-4), flushes the transport and releases the buffer.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask CompleteAsync(CancellationToken cancellationToken)
    {
        ThrowIfClosed();
        if (_payloadLength == FullFrame)
        {
            await SendFrameAsync(end: false, cancellationToken).ConfigureAwait(false);
        }

        await SendFrameAsync(end: true, cancellationToken).ConfigureAwait(false);
        _completed = true;
        ReleaseBuffer();
        await _frames.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Gives up the message without an end frame (the body cannot be completed, SRV-11): the
    /// caller must then end the connection. Harmless after completion.
    /// </summary>
    public void Abort()
    {
        if (!_completed)
        {
            _aborted = true;
        }

        ReleaseBuffer();
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count)
        => WriteAsync(buffer.AsMemory(offset, count), CancellationToken.None).AsTask().GetAwaiter().GetResult();

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        byte[] temp = ArrayPool<byte>.Shared.Rent(buffer.Length);
        try
        {
            buffer.CopyTo(temp);
            Write(temp, 0, buffer.Length);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(temp);
        }
    }

    /// <summary>Does not emit a partial frame (that would break canonical framing, MSG-4).</summary>
    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override async ValueTask DisposeAsync()
    {
        if (!_completed && !_aborted)
        {
            await CompleteAsync(CancellationToken.None).ConfigureAwait(false);
        }

        ReleaseBuffer();
        await base.DisposeAsync().ConfigureAwait(false);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_completed && !_aborted)
        {
            CompleteAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult();
        }

        ReleaseBuffer();
        base.Dispose(disposing);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SendFrameAsync(bool end, CancellationToken cancellationToken)
    {
        EnsureCapacity(_payloadLength);
        await _frames.WriteFrameInPlaceAsync(FrameType.Data, end, _buffer.AsMemory(0, FrameLimits.HeaderSize + _payloadLength), cancellationToken).ConfigureAwait(false);
        _payloadLength = 0;
    }

    [System.Diagnostics.CodeAnalysis.MemberNotNull(nameof(_buffer))]
    private void EnsureCapacity(int payloadCapacity)
    {
        int needed = FrameLimits.HeaderSize + payloadCapacity;
        if (_buffer is not null && _buffer.Length >= needed)
        {
            return;
        }

        int size = FrameLimits.HeaderSize + InitialPayloadCapacity;
        while (size < needed)
        {
            size = Math.Min(FrameLimits.HeaderSize + FullFrame, (size - FrameLimits.HeaderSize) * 4 + FrameLimits.HeaderSize);
        }

        byte[] grown = FrameBufferPool.Rent(size);
        if (_buffer is not null)
        {
            _buffer.AsSpan(0, FrameLimits.HeaderSize + _payloadLength).CopyTo(grown);
            FrameBufferPool.Return(_buffer);
        }

        _buffer = grown;
    }

    private void ReleaseBuffer()
    {
        if (_buffer is not null)
        {
            FrameBufferPool.Return(_buffer);
            _buffer = null;
        }
    }

    private void ThrowIfClosed()
    {
        if (_completed)
        {
            throw new InvalidOperationException("the Data message is already complete");
        }

        if (_aborted)
        {
            throw new InvalidOperationException("the Data message was aborted; the connection must be ended (SRV-11)");
        }
    }
}
