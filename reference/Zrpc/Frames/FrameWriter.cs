using System.Runtime.CompilerServices;
using System.Buffers;

namespace Zrpc.Frames;

/// <summary>
/// Writes frames to a byte stream, each frame's header and payload in one Stream write so the
/// sender does not split a frame into small segments itself (FRAME-12).
/// </summary>
public sealed class FrameWriter
{
    private readonly Stream _stream;

    public FrameWriter(Stream stream)
    {
        _stream = stream ?? throw new ArgumentNullException(nameof(stream));
    }

    /// <summary>Set once an RST has been written: nothing may follow it (CONN-1).</summary>
    public bool ResetSent { get; private set; }

    public Stream Stream => _stream;

    /// <summary>Writes one frame; the payload is copied behind the header into a pooled buffer.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask WriteFrameAsync(FrameType type, bool end, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        var header = FrameHeader.Create(type, end, payload.Length);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(FrameLimits.HeaderSize + payload.Length);
        try
        {
            header.WriteTo(buffer);
            payload.Span.CopyTo(buffer.AsSpan(FrameLimits.HeaderSize));
            await WriteRawAsync(buffer.AsMemory(0, FrameLimits.HeaderSize + payload.Length), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Writes one frame whose payload already sits behind <see cref="FrameLimits.HeaderSize"/>
    /// reserved bytes of <paramref name="frame"/>: the header is filled in place, nothing is copied.
    /// </summary>
    public ValueTask WriteFrameInPlaceAsync(FrameType type, bool end, Memory<byte> frame, CancellationToken cancellationToken)
    {
        if (frame.Length < FrameLimits.HeaderSize)
        {
            throw new ArgumentException("the buffer must start with the reserved header bytes", nameof(frame));
        }

        FrameHeader.Create(type, end, frame.Length - FrameLimits.HeaderSize).WriteTo(frame.Span);
        return WriteRawAsync(frame, cancellationToken);
    }

    /// <summary>
    /// Writes two frames in one Stream write: a request or response header with a small body
    /// leaves as one segment instead of two, which halves the sends per call.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask WriteFramePairAsync(FrameType firstType, bool firstEnd, ReadOnlyMemory<byte> first,
        FrameType secondType, bool secondEnd, ReadOnlyMemory<byte> second, CancellationToken cancellationToken)
    {
        var firstHeader = FrameHeader.Create(firstType, firstEnd, first.Length);
        var secondHeader = FrameHeader.Create(secondType, secondEnd, second.Length);
        int total = 2 * FrameLimits.HeaderSize + first.Length + second.Length;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(total);
        try
        {
            var span = buffer.AsSpan();
            firstHeader.WriteTo(span);
            first.Span.CopyTo(span[FrameLimits.HeaderSize..]);
            int at = FrameLimits.HeaderSize + first.Length;
            secondHeader.WriteTo(span[at..]);
            second.Span.CopyTo(span[(at + FrameLimits.HeaderSize)..]);
            await WriteRawAsync(buffer.AsMemory(0, total), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Writes the RST frame FF 01 00 00 00 00 (FRAME-9).</summary>
    public async ValueTask WriteRstAsync(CancellationToken cancellationToken)
    {
        if (ResetSent)
        {
            return;
        }

        byte[] rst = new byte[FrameLimits.HeaderSize];
        FrameHeader.Rst.WriteTo(rst);
        await WriteRawAsync(rst, cancellationToken).ConfigureAwait(false);
        ResetSent = true;
        await _stream.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    public Task FlushAsync(CancellationToken cancellationToken) => _stream.FlushAsync(cancellationToken);

    private ValueTask WriteRawAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        if (ResetSent)
        {
            throw new InvalidOperationException("an RST was sent on this connection; nothing may follow it (CONN-1)");
        }

        return _stream.WriteAsync(bytes, cancellationToken);
    }
}
