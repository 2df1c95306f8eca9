using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace Zrpc.Frames;

/// <summary>
/// Reads frames from a byte stream: a validated header first, then its payload in caller-sized
/// pieces. Nothing is buffered beyond the six header bytes and an optional fixed read-ahead
/// buffer, so a frame's length never causes an allocation (FRAME-6).
/// </summary>
public sealed class FrameReader
{
    /// <summary>Read-ahead size used by the RPC client and server, which own their connections.</summary>
    public const int ConnectionReadAhead = 16 * 1024;

    private readonly Stream _stream;
    private readonly byte[] _headerBuffer = new byte[FrameLimits.HeaderSize];
    private bool _broken;
    private readonly bool _honoursCancellation;
    private CancellationTokenSource? _timeoutSource;
    private readonly byte[]? _ahead;
    private int _aheadStart;
    private int _aheadEnd;
    private bool _bulkContinues;
    private long _deadline;
    private TimeSpan _deadlineSpan;
    private double _rateFloor;
    private long _rateStart;
    private long _rateGrace;
    private long _rateBytes;

    /// <param name="stream">The connection.</param>
    /// <param name="readAheadBytes">
    /// Size of a read-ahead buffer (0: none). With it, one read can bring in a frame header, a
    /// small payload and the next frames, instead of one read per header and per payload (issue 6).
    /// Only for a reader that owns the stream: bytes past the current frame are taken from it.
    /// </param>
    public FrameReader(Stream stream, int readAheadBytes)
        : this(stream)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(readAheadBytes);
        if (readAheadBytes > 0)
        {
            _ahead = new byte[Math.Max(readAheadBytes, FrameLimits.HeaderSize)];
        }
    }

    public FrameReader(Stream stream)
    {
        _stream = stream ?? throw new ArgumentNullException(nameof(stream));
        _honoursCancellation = HonoursCancellation(stream);
    }

    /// <summary>
    /// Streams whose reads end when their token is cancelled; others (a process's stdin) need a
    /// WaitAsync around each read, which allocates per read.
    /// </summary>
    private static bool HonoursCancellation(Stream stream) => stream switch
    {
        NetworkStream or System.IO.Pipes.PipeStream or Transport.PipeEndStream or Transport.BlockingSocketStream => true,
        Transport.DuplexStream duplex => HonoursCancellation(duplex.ReadSide),
        _ => false,
    };

    /// <summary>
    /// How long one read may wait while a frame or message is incomplete (CONN-5).
    /// <see cref="Timeout.InfiniteTimeSpan"/> disables it.
    /// </summary>
    public TimeSpan ReadTimeout { get; set; } = Timeout.InfiniteTimeSpan;

    /// <summary>
    /// When set, the wait for the first byte of the next header is not bounded by
    /// <see cref="ReadTimeout"/>: the peer is between messages and may stay idle (CONN-6).
    /// </summary>
    public bool IdleAllowed { get; set; } = true;

    /// <summary>
    /// How long the peer may stay idle between messages before the read fails with
    /// <see cref="IdleTimeoutException"/> (CONN-6, a MAY); <see cref="Timeout.InfiniteTimeSpan"/>,
    /// the default, lets it idle for ever.
    /// </summary>
    public TimeSpan IdleTimeout { get; set; } = Timeout.InfiniteTimeSpan;

    /// <summary>When the first byte of the last frame header arrived (a <see cref="System.Diagnostics.Stopwatch"/> timestamp).</summary>
    public long FrameStartedAt { get; private set; }

    /// <summary>
    /// Bounds every read until <see cref="ClearDeadline"/> by <paramref name="within"/> counted from
    /// <paramref name="startedAt"/> as well as by <see cref="ReadTimeout"/>: a peer that sends a
    /// byte just before each read timeout would otherwise hold a small message open for ever
    /// (CONN-5; a slow sender at one byte per second).
    /// </summary>
    public void SetDeadline(long startedAt, TimeSpan within)
    {
        if (within == Timeout.InfiniteTimeSpan)
        {
            return;
        }

        _deadlineSpan = within;
        _deadline = startedAt + (long)(within.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
    }

    public void ClearDeadline() => _deadline = 0;

    /// <summary>
    /// From now until <see cref="StopRateFloor"/>, a read that has to wait for the peer fails
    /// with CONN-5 once the payload received since this call averages under
    /// <paramref name="bytesPerSecond"/> after <paramref name="grace"/>: a peer sending one byte
    /// per second inside a large body would otherwise never meet a read timeout. Reads of bytes
    /// already waiting never fail, so a slow consumer is not mistaken for a slow sender.
    /// </summary>
    public void StartRateFloor(double bytesPerSecond, TimeSpan grace)
    {
        if (bytesPerSecond <= 0 || grace == Timeout.InfiniteTimeSpan)
        {
            _rateFloor = 0;
            return;
        }

        _rateFloor = bytesPerSecond;
        _rateStart = System.Diagnostics.Stopwatch.GetTimestamp();
        _rateGrace = (long)(grace.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
        _rateBytes = 0;
    }

    public void StopRateFloor() => _rateFloor = 0;

    /// <summary>Payload bytes of the current frame that have not been read yet.</summary>
    public long PayloadRemaining { get; private set; }

    /// <summary>The last header returned by <see cref="ReadHeaderAsync"/>.</summary>
    public FrameHeader? Current { get; private set; }

    /// <summary>
    /// Reads and validates the next frame header. Returns null on a clean end of stream at a
    /// frame boundary; an RST frame is returned (its payload is never read, FRAME-8).
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<FrameHeader?> ReadHeaderAsync(CancellationToken cancellationToken)
    {
        ThrowIfBroken();
        if (PayloadRemaining != 0)
        {
            throw new InvalidOperationException($"the previous frame still has {PayloadRemaining} unread payload bytes");
        }

        Current = null;
        int filled = 0;
        try
        {
            while (filled < FrameLimits.HeaderSize)
            {
                if (AheadCount > 0)
                {
                    if (filled == 0)
                    {
                        FrameStartedAt = System.Diagnostics.Stopwatch.GetTimestamp();
                    }

                    filled += TakeAhead(_headerBuffer.AsSpan(filled));
                    continue;
                }

                bool bounded = filled > 0 || !IdleAllowed;
                bool exact = _ahead is null || _bulkContinues;
                int n = exact
                    ? await ReadWithTimeoutAsync(_headerBuffer.AsMemory(filled), bounded, cancellationToken).ConfigureAwait(false)
                    : await FillAheadAsync(bounded, cancellationToken).ConfigureAwait(false);
                if (n == 0)
                {
                    if (filled == 0)
                    {
                        return null;
                    }

                    _broken = true;
                    throw new ProtocolException("FRAME-11", $"end of stream after {filled} of {FrameLimits.HeaderSize} frame header bytes (FRAME-11)");
                }

                if (exact)
                {
                    if (filled == 0)
                    {
                        FrameStartedAt = System.Diagnostics.Stopwatch.GetTimestamp();
                    }

                    filled += n;
                }
            }
        }
        catch
        {
            _broken = true;
            throw;
        }

        var header = FrameHeader.Parse(_headerBuffer);
        try
        {
            header.Validate();
        }
        catch
        {
            _broken = true;
            throw;
        }

        Current = header;
        PayloadRemaining = header.Type == FrameType.Rst ? 0 : header.Length;
        // Inside a bulk body the next header is read on its own, six bytes, and the payload after
        // it straight into the caller's buffer. Refilling the read-ahead buffer there instead took
        // a 16 KiB bite out of a full pipe or socket buffer at every frame, which woke the writer
        // for that little room, and copied the 16 KiB once more (issue 6: pipe Source at 0.95 of
        // the raw copy with the bite, 1.01 without, in a loop that does nothing but framing).
        _bulkContinues = _ahead is not null && header.Type == FrameType.Data && !header.End && header.Length > _ahead.Length;
        return header;
    }

    /// <summary>
    /// Reads up to <paramref name="buffer"/>.Length bytes of the current frame's payload; returns 0
    /// only when the payload is complete. End of stream inside the payload is FRAME-11.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<int> ReadPayloadAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        ThrowIfBroken();
        if (PayloadRemaining == 0 || buffer.Length == 0)
        {
            return 0;
        }

        if (buffer.Length > PayloadRemaining)
        {
            buffer = buffer[..(int)PayloadRemaining];
        }

        int n;
        try
        {
            if (_ahead is not null && (AheadCount > 0 || buffer.Length < _ahead.Length))
            {
                // Small reads are served from the read-ahead buffer; big ones go straight to the
                // caller's buffer once it is empty, so bulk payloads are not copied twice.
                if (AheadCount == 0 && await FillAheadAsync(bounded: true, cancellationToken).ConfigureAwait(false) == 0)
                {
                    n = 0;
                }
                else
                {
                    n = TakeAhead(buffer.Span);
                }
            }
            else
            {
                n = await ReadWithTimeoutAsync(buffer, bounded: true, cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            _broken = true;
            throw;
        }

        if (n == 0)
        {
            _broken = true;
            throw new ProtocolException("FRAME-11", $"end of stream with {PayloadRemaining} payload bytes of {Current} missing (FRAME-11)");
        }

        PayloadRemaining -= n;
        _rateBytes += n;
        return n;
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

    private int AheadCount => _aheadEnd - _aheadStart;

    /// <summary>Bytes already read from the stream but not yet handed out (read-ahead only).</summary>
    public int BufferedCount => AheadCount;

    private int TakeAhead(Span<byte> destination)
    {
        int take = Math.Min(destination.Length, AheadCount);
        _ahead.AsSpan(_aheadStart, take).CopyTo(destination);
        _aheadStart += take;
        return take;
    }

    /// <summary>Refills the (empty) read-ahead buffer with one read; returns what that read got.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> FillAheadAsync(bool bounded, CancellationToken cancellationToken)
    {
        _aheadStart = 0;
        _aheadEnd = 0;
        int n = await ReadWithTimeoutAsync(_ahead, bounded, cancellationToken).ConfigureAwait(false);
        _aheadEnd = n;
        return n;
    }

    /// <summary>Which bound limited a read, so that its expiry is reported as what it was.</summary>
    private enum ReadBound
    {
        Idle,
        ReadTimeout,
        MessageDeadline,
        RateFloor,
    }

    private ValueTask<int> ReadWithTimeoutAsync(Memory<byte> buffer, bool bounded, CancellationToken cancellationToken)
    {
        var limit = bounded ? ReadTimeout : IdleTimeout;
        var bound = bounded ? ReadBound.ReadTimeout : ReadBound.Idle;
        if (bounded && _deadline != 0)
        {
            long left = _deadline - System.Diagnostics.Stopwatch.GetTimestamp();
            if (left <= 0)
            {
                _broken = true;
                throw DeadlineExpired();
            }

            var untilDeadline = TimeSpan.FromSeconds(left / (double)System.Diagnostics.Stopwatch.Frequency);
            if (limit == Timeout.InfiniteTimeSpan || untilDeadline < limit)
            {
                (limit, bound) = (untilDeadline, ReadBound.MessageDeadline);
            }
        }

        if (bounded && _rateFloor > 0)
        {
            // The moment by which the bytes received so far stop meeting the floor; a read that
            // is still waiting then fails. At least 1 ms, so that bytes already there are read.
            long due = _rateStart + _rateGrace + (long)(_rateBytes / _rateFloor * System.Diagnostics.Stopwatch.Frequency);
            var untilDue = TimeSpan.FromSeconds(Math.Max(due - System.Diagnostics.Stopwatch.GetTimestamp(), System.Diagnostics.Stopwatch.Frequency / 1000) / (double)System.Diagnostics.Stopwatch.Frequency);
            if (limit == Timeout.InfiniteTimeSpan || untilDue < limit)
            {
                (limit, bound) = (untilDue, ReadBound.RateFloor);
            }
        }

        return limit == Timeout.InfiniteTimeSpan
            ? _stream.ReadAsync(buffer, cancellationToken)
            : ReadWithinAsync(buffer, limit, bound, cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> ReadWithinAsync(Memory<byte> buffer, TimeSpan limit, ReadBound bound, CancellationToken cancellationToken)
    {
        // One timer source per reader, re-armed for every read: a linked source, a Task and a
        // WaitAsync per read used to cost more than the read itself for small frames (issue 6).
        var timeout = _timeoutSource is not null && _timeoutSource.TryReset() ? _timeoutSource : (_timeoutSource = new CancellationTokenSource());
        timeout.CancelAfter(limit);
        var link = cancellationToken.CanBeCanceled
            ? cancellationToken.UnsafeRegister(static s => ((CancellationTokenSource)s!).Cancel(), timeout)
            : default;
        try
        {
            if (_honoursCancellation)
            {
                // Sockets and pipes honour cancellation themselves.
                return await _stream.ReadAsync(buffer, timeout.Token).ConfigureAwait(false);
            }

            // WaitAsync as well as the token: some streams (a process's stdin) ignore cancellation,
            // and the timeout must still end the connection.
            return await _stream.ReadAsync(buffer, timeout.Token).AsTask()
                .WaitAsync(limit, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException && !cancellationToken.IsCancellationRequested)
        {
            throw bound switch
            {
                ReadBound.Idle => new IdleTimeoutException(limit),
                ReadBound.MessageDeadline => DeadlineExpired(),
                ReadBound.RateFloor => new ProtocolException("CONN-5", $"the message arrived at under {_rateFloor:0.###} bytes/s ({_rateBytes} bytes in {Elapsed(_rateStart):0.#} s) (CONN-5)"),
                _ => new ProtocolException("CONN-5", $"read timeout of {ReadTimeout.TotalSeconds:0.###} s expired inside an incomplete frame or message (CONN-5)"),
            };
        }
        finally
        {
            link.Dispose();
        }
    }

    private static double Elapsed(long since) => (System.Diagnostics.Stopwatch.GetTimestamp() - since) / (double)System.Diagnostics.Stopwatch.Frequency;

    private ProtocolException DeadlineExpired() =>
        new("CONN-5", $"the message was not complete {_deadlineSpan.TotalSeconds:0.###} s after its first byte (CONN-5)");

    private void ThrowIfBroken()
    {
        if (_broken)
        {
            throw new InvalidOperationException("the frame stream is broken by an earlier error; the connection must be closed (CONN-1)");
        }
    }
}
