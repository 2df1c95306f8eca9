using System.Runtime.CompilerServices;
using Zrpc.Transport;

namespace Zrpc.Frames;

/// <summary>
/// Reads frames from a connection: a validated header first, then its payload in caller-sized
/// pieces. Owns the I/O: the optional read-ahead buffer, the one awaitable its waiting reads
/// complete through, and the timer that bounds them. What the bytes mean is the
/// <see cref="FrameDecoder"/>'s to decide; how long a read may wait is <see cref="Timeouts"/>'.
/// Nothing is buffered beyond the six header bytes and the fixed read-ahead buffer, so a frame's
/// length never causes an allocation (FRAME-6).
/// </summary>
public sealed partial class FrameReader : IDisposable
{
    /// <summary>Read-ahead size used by the RPC client and server, which own their connections.</summary>
    public const int ConnectionReadAhead = 16 * 1024;

    private readonly Stream _stream;
    private readonly FrameDecoder _decoder = new();
    private readonly IReadHints? _hints;
    private readonly bool _honoursCancellation;
    private readonly byte[]? _ahead;
    private int _aheadStart;
    private int _aheadEnd;
    private bool _bulkContinues;
    private bool _broken;
    private bool _disposed;
    private CancellationTokenSource? _timeoutSource;
    private CancellationToken _operationToken;
    private bool _headerExact;
    private Memory<byte> _payloadTarget;
    private bool _payloadThroughAhead;
    private ReadOperation _operation;
    private ConfiguredValueTaskAwaitable<int>.ConfiguredValueTaskAwaiter _innerAwaiter;
    private ArmedTimeout? _armed;
    private ReadWaiter? _waiter;
    private Action? _onReadCompleted;

    /// <param name="stream">The connection.</param>
    /// <param name="readAheadBytes">
    /// Size of a read-ahead buffer (0: none). With it, one read can bring in a frame header, a
    /// small payload and the next frames, instead of one read per header and per payload.
    /// Only for a reader that owns the stream: bytes past the current frame are taken from it.
    /// </param>
    /// <param name="timeouts">The connection's read bounds; a fresh unbounded set when null.</param>
    public FrameReader(Stream stream, int readAheadBytes, ReadTimeouts? timeouts = null)
    {
        _stream = stream ?? throw new ArgumentNullException(nameof(stream));
        ArgumentOutOfRangeException.ThrowIfNegative(readAheadBytes);
        if (readAheadBytes > 0)
        {
            _ahead = new byte[Math.Max(readAheadBytes, FrameLimits.HeaderSize)];
        }

        Timeouts = timeouts ?? new ReadTimeouts();
        _hints = stream as IReadHints;
        _honoursCancellation = ReadHints.HonoursCancellation(stream);
    }

    public FrameReader(Stream stream)
        : this(stream, 0)
    {
    }

    /// <summary>The bounds on this connection's reads, set by the layers that know where the connection is.</summary>
    public ReadTimeouts Timeouts { get; }

    /// <summary>Shorthand for <see cref="ReadTimeouts.ReadTimeout"/> of <see cref="Timeouts"/>.</summary>
    public TimeSpan ReadTimeout
    {
        get => Timeouts.ReadTimeout;
        set => Timeouts.ReadTimeout = value;
    }

    /// <inheritdoc cref="FrameDecoder.MaxEmptyFramesInARow"/>
    public int MaxEmptyFramesInARow
    {
        get => _decoder.MaxEmptyFramesInARow;
        set => _decoder.MaxEmptyFramesInARow = value;
    }

    /// <summary>
    /// True while nothing of a next frame has arrived and no message is open: the peer is between
    /// messages. Read without synchronisation by another thread, as a hint only.
    /// </summary>
    public bool AtMessageBoundary => _decoder.AtMessageBoundary && _aheadEnd == _aheadStart;

    /// <summary>Payload bytes of the current frame that have not been read yet.</summary>
    public long PayloadRemaining => _decoder.PayloadRemaining;

    /// <summary>The last header returned by <see cref="ReadHeaderAsync"/>.</summary>
    public FrameHeader? Current => _decoder.Current;

    /// <summary>Bytes already read from the stream but not yet handed out (read-ahead only).</summary>
    public int BufferedCount => AheadCount;

    private int AheadCount => _aheadEnd - _aheadStart;

    /// <summary>
    /// Disarms the read timer; for the owner of the connection, once it has ended. The timer of
    /// the last bounded read stays in the runtime's timer queue until it fires, up to
    /// <see cref="ReadTimeout"/> later: a server taking many short connections would carry one armed
    /// timer for every connection of the last 30 s. A read started afterwards fails.
    /// </summary>
    public void Dispose()
    {
        _disposed = true;
        _timeoutSource?.Dispose();
    }

    /// <summary>
    /// Reads and validates the next frame header. Returns null on a clean end of stream at a
    /// frame boundary; an RST frame is returned (its payload is never read, FRAME-8).
    /// </summary>
    public ValueTask<FrameHeader?> ReadHeaderAsync(CancellationToken cancellationToken)
    {
        if (_broken)
        {
            return ValueTask.FromException<FrameHeader?>(BrokenError());
        }

        try
        {
            _decoder.StartHeader();
        }
        catch (InvalidOperationException e)
        {
            return ValueTask.FromException<FrameHeader?>(e);
        }

        _operationToken = cancellationToken;
        try
        {
            return AdvanceHeader()
                ? new ValueTask<FrameHeader?>(_decoder.Current)
                : new ValueTask<FrameHeader?>(_waiter!, _waiter!.HeaderVersion);
        }
        catch (Exception e)
        {
            Break();
            return ValueTask.FromException<FrameHeader?>(e);
        }
    }

    /// <summary>
    /// Reads up to <paramref name="buffer"/>.Length bytes of the current frame's payload; returns 0
    /// only when the payload is complete. End of stream inside the payload is FRAME-11.
    /// </summary>
    public ValueTask<int> ReadPayloadAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        if (_broken)
        {
            return ValueTask.FromException<int>(BrokenError());
        }

        long remaining = _decoder.PayloadRemaining;
        if (remaining == 0 || buffer.Length == 0)
        {
            return new ValueTask<int>(0);
        }

        if (buffer.Length > remaining)
        {
            buffer = buffer[..(int)remaining];
        }

        try
        {
            // Small reads are served from the read-ahead buffer; big ones go straight to the
            // caller's buffer once it is empty, so bulk payloads are not copied twice.
            bool throughAhead = _ahead is not null && (AheadCount > 0 || buffer.Length < _ahead.Length);
            if (throughAhead && AheadCount > 0)
            {
                return new ValueTask<int>(CountPayload(TakeAhead(buffer.Span)));
            }

            _operationToken = cancellationToken;
            _payloadTarget = buffer;
            _payloadThroughAhead = throughAhead;
            if (throughAhead)
            {
                _aheadStart = 0;
                _aheadEnd = 0;
            }

            return BeginRead(throughAhead ? _ahead : buffer, betweenFrames: false, ReadOperation.Payload)
                ? new ValueTask<int>(FinishPayload(EndRead()))
                : new ValueTask<int>(_waiter!, _waiter!.CountVersion);
        }
        catch (Exception e)
        {
            Break();
            return ValueTask.FromException<int>(e);
        }
    }

    /// <summary>Reads exactly buffer.Length payload bytes (must not exceed <see cref="PayloadRemaining"/>).</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask ReadPayloadExactlyAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        if (buffer.Length > PayloadRemaining)
        {
            throw new ArgumentOutOfRangeException(nameof(buffer), "more bytes requested than the frame holds");
        }

        while (buffer.Length > 0)
        {
            int n = await ReadPayloadAsync(buffer, cancellationToken).ConfigureAwait(false);
            buffer = buffer[n..];
        }
    }

    /// <summary>Reads and discards the rest of the current frame's payload.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask SkipPayloadAsync(Memory<byte> scratch, CancellationToken cancellationToken)
    {
        while (PayloadRemaining > 0)
        {
            await ReadPayloadAsync(scratch, cancellationToken).ConfigureAwait(false);
        }
    }

    private int TakeAhead(Span<byte> destination)
    {
        int take = Math.Min(destination.Length, AheadCount);
        _ahead.AsSpan(_aheadStart, take).CopyTo(destination);
        _aheadStart += take;
        return take;
    }

    /// <summary>Runs the header loop until the header is complete (true) or a read has to wait (false).</summary>
    private bool AdvanceHeader()
    {
        while (!_decoder.HeaderComplete)
        {
            if (AheadCount > 0)
            {
                if (_decoder.HeaderFilled == 0)
                {
                    Timeouts.FrameStarted();
                }

                _aheadStart += _decoder.TakeHeaderBytes(_ahead.AsSpan(_aheadStart, AheadCount));
                continue;
            }

            // Inside a bulk body the next header is read on its own, six bytes, and the payload after
            // it straight into the caller's buffer. Refilling the read-ahead buffer there instead would
            // take a 16 KiB bite out of a full pipe or socket buffer at every frame, wake the writer
            // for that little room, and copy the 16 KiB once more (docs/performance.md, design notes).
            _headerExact = _ahead is null || _bulkContinues;
            if (!_headerExact)
            {
                _aheadStart = 0;
                _aheadEnd = 0;
            }

            if (!BeginRead(_headerExact ? _decoder.HeaderRest : _ahead, betweenFrames: _decoder.HeaderFilled == 0, ReadOperation.Header))
            {
                return false;
            }

            if (!TakeHeaderRead(EndRead()))
            {
                return true;
            }
        }

        var header = _decoder.AcceptHeader();
        _bulkContinues = _ahead is not null && header.Type == FrameType.Data && !header.End && header.Length > _ahead.Length;
        return true;
    }

    /// <summary>Counts one read of the header loop; false on a clean end of stream before the header.</summary>
    private bool TakeHeaderRead(int n)
    {
        if (n == 0)
        {
            return _decoder.EndOfStream() is { } error ? throw error : false;
        }

        if (!_headerExact)
        {
            _aheadEnd = n;
            return true;
        }

        if (_decoder.HeaderFilled == 0)
        {
            Timeouts.FrameStarted();
        }

        _decoder.HeaderBytesRead(n);
        return true;
    }

    private int FinishPayload(int n)
    {
        if (_payloadThroughAhead)
        {
            _aheadEnd = n;
            if (n > 0)
            {
                n = TakeAhead(_payloadTarget.Span);
            }
        }

        _payloadTarget = default;
        if (n == 0)
        {
            throw _decoder.EndOfStream()!;
        }

        return CountPayload(n);
    }

    private int CountPayload(int n)
    {
        _decoder.PayloadConsumed(n);
        Timeouts.PayloadRead(n);
        return n;
    }

    /// <summary>After any failed read the stream's position inside a frame is unknown (CONN-1); the caller's buffer is let go too.</summary>
    private void Break()
    {
        _broken = true;
        _payloadTarget = default;
    }

    private static InvalidOperationException BrokenError() =>
        new("the frame stream is broken by an earlier error; the connection must be closed (CONN-1)");
}
