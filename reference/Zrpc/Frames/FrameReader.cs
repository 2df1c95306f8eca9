using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Threading.Tasks.Sources;

namespace Zrpc.Frames;

/// <summary>
/// Reads frames from a byte stream: a validated header first, then its payload in caller-sized
/// pieces. Nothing is buffered beyond the six header bytes and an optional fixed read-ahead
/// buffer, so a frame's length never causes an allocation (FRAME-6).
/// </summary>
public sealed class FrameReader : IDisposable
{
    /// <summary>Read-ahead size used by the RPC client and server, which own their connections.</summary>
    public const int ConnectionReadAhead = 16 * 1024;

    private readonly Stream _stream;
    private readonly byte[] _headerBuffer = new byte[FrameLimits.HeaderSize];
    private bool _broken;
    private readonly bool _honoursCancellation;
    private readonly Transport.IArrivalSpinning? _spinning;
    private bool _messageOpen;
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
    private CancellationToken _operationToken;
    private int _headerFilled;
    private bool _headerExact;
    private Memory<byte> _payloadTarget;
    private bool _payloadThroughAhead;
    private ReadOperation _operation;
    private ConfiguredValueTaskAwaitable<int>.ConfiguredValueTaskAwaiter _innerAwaiter;
    private ArmedTimeout? _armed;
    private Waiter? _waiter;
    private Action? _onReadCompleted;
    private bool _disposed;

    /// <param name="stream">The connection.</param>
    /// <param name="readAheadBytes">
    /// Size of a read-ahead buffer (0: none). With it, one read can bring in a frame header, a
    /// small payload and the next frames, instead of one read per header and per payload.
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
        _spinning = (stream as Transport.DuplexStream)?.ReadSide as Transport.IArrivalSpinning ?? stream as Transport.IArrivalSpinning;
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

    /// <summary>
    /// Zero-length frames that may follow one another inside a message before the reader treats
    /// it as a protocol error (MSG-7); 0 turns the bound off. An endless run of empty frames makes
    /// no progress yet never waits, so neither a read timeout nor the rate floor would end it.
    /// </summary>
    public int MaxEmptyFramesInARow { get; set; } = FrameLimits.MaxEmptyFramesInARow;

    private int _emptyRun;

    /// <summary>
    /// True while nothing of a next frame has arrived and no message is open: the peer is between
    /// messages. Read without synchronisation by another thread, as a hint only.
    /// </summary>
    public bool AtMessageBoundary => !_messageOpen && _headerFilled == 0 && _aheadEnd == _aheadStart && PayloadRemaining == 0;

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

    /// <summary>
    /// Disarms the read timer; for the owner of the connection, once it has ended. The timer of
    /// the last bounded read stays in the runtime's timer queue until it fires, up to
    /// <see cref="ReadTimeout"/> later: a server taking many short connections would carry one armed
    /// timer for every connection of the last 30 s. A read
    /// started afterwards fails.
    /// </summary>
    public void Dispose()
    {
        _disposed = true;
        _timeoutSource?.Dispose();
    }

    /// <summary>Payload bytes of the current frame that have not been read yet.</summary>
    public long PayloadRemaining { get; private set; }

    /// <summary>The last header returned by <see cref="ReadHeaderAsync"/>.</summary>
    public FrameHeader? Current { get; private set; }

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

        if (PayloadRemaining != 0)
        {
            return ValueTask.FromException<FrameHeader?>(new InvalidOperationException($"the previous frame still has {PayloadRemaining} unread payload bytes"));
        }

        Current = null;
        _headerFilled = 0;
        _operationToken = cancellationToken;
        try
        {
            return AdvanceHeader()
                ? new ValueTask<FrameHeader?>(Current)
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

        if (PayloadRemaining == 0 || buffer.Length == 0)
        {
            return new ValueTask<int>(0);
        }

        if (buffer.Length > PayloadRemaining)
        {
            buffer = buffer[..(int)PayloadRemaining];
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

            return BeginRead(throughAhead ? _ahead : buffer, bounded: true, ReadOperation.Payload)
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

    // ---- Reads that wait ----
    //
    // A read that has to wait for the peer completes through one awaitable this reader keeps
    // (Waiter), not through async methods of its own. Pooled async state machines are cached per
    // thread: a box goes back to the cache of the thread that completed it, and is next needed on
    // whichever thread the next wait of the same method starts. The header read, the payload read
    // and the read-ahead refill each wait only some of the time, so their boxes would keep landing
    // on threads that do not need them next, and fresh ones would be allocated whenever the writer
    // is the slower end. The one awaitable here is reused whichever thread completes it.

    /// <summary>Runs the header loop until the header is complete (true) or a read has to wait (false).</summary>
    private bool AdvanceHeader()
    {
        while (_headerFilled < FrameLimits.HeaderSize)
        {
            if (AheadCount > 0)
            {
                if (_headerFilled == 0)
                {
                    FrameStartedAt = System.Diagnostics.Stopwatch.GetTimestamp();
                }

                _headerFilled += TakeAhead(_headerBuffer.AsSpan(_headerFilled));
                continue;
            }

            bool bounded = _headerFilled > 0 || !IdleAllowed;
            _headerExact = _ahead is null || _bulkContinues;
            if (!_headerExact)
            {
                _aheadStart = 0;
                _aheadEnd = 0;
            }

            if (!BeginRead(_headerExact ? _headerBuffer.AsMemory(_headerFilled) : _ahead, bounded, ReadOperation.Header))
            {
                return false;
            }

            if (!TakeHeaderRead(EndRead()))
            {
                return true;
            }
        }

        AcceptHeader();
        return true;
    }

    /// <summary>Counts one read of the header loop; false on a clean end of stream before the header.</summary>
    private bool TakeHeaderRead(int n)
    {
        if (n == 0)
        {
            if (_headerFilled == 0)
            {
                return false;
            }

            throw new ProtocolException("FRAME-11", $"end of stream after {_headerFilled} of {FrameLimits.HeaderSize} frame header bytes (FRAME-11)");
        }

        if (!_headerExact)
        {
            _aheadEnd = n;
            return true;
        }

        if (_headerFilled == 0)
        {
            FrameStartedAt = System.Diagnostics.Stopwatch.GetTimestamp();
        }

        _headerFilled += n;
        return true;
    }

    private void AcceptHeader()
    {
        var header = FrameHeader.Parse(_headerBuffer);
        header.Validate();
        if (header.Length == 0 && !header.End && header.Type != FrameType.Rst)
        {
            if (++_emptyRun > MaxEmptyFramesInARow && MaxEmptyFramesInARow > 0)
            {
                throw new ProtocolException("MSG-7", $"more than {MaxEmptyFramesInARow} zero-length frames in a row inside a message (MSG-7)");
            }
        }
        else
        {
            _emptyRun = 0;
        }

        Current = header;
        PayloadRemaining = header.Type == FrameType.Rst ? 0 : header.Length;
        // Inside a bulk body the next header is read on its own, six bytes, and the payload after
        // it straight into the caller's buffer. Refilling the read-ahead buffer there instead would
        // take a 16 KiB bite out of a full pipe or socket buffer at every frame, wake the writer
        // for that little room, and copy the 16 KiB once more (docs/performance.md, pipes).
        _bulkContinues = _ahead is not null && header.Type == FrameType.Data && !header.End && header.Length > _ahead.Length;
        _messageOpen = header.Type != FrameType.Rst && !header.End;
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
            throw new ProtocolException("FRAME-11", $"end of stream with {PayloadRemaining} payload bytes of {Current} missing (FRAME-11)");
        }

        return CountPayload(n);
    }

    private int CountPayload(int n)
    {
        PayloadRemaining -= n;
        _rateBytes += n;
        return n;
    }

    /// <summary>
    /// Starts one read from the stream. True when it completed at once (its result is taken with
    /// <see cref="EndRead"/>); false when it waits, and <see cref="OnReadCompleted"/> goes on with
    /// <paramref name="operation"/> once it is done.
    /// </summary>
    private bool BeginRead(Memory<byte> buffer, bool bounded, ReadOperation operation)
    {
        if (_spinning is not null && (operation == ReadOperation.Payload || _headerFilled > 0 || _messageOpen))
        {
            // Inside a message the next bytes come at the writer's pace, not as a reply (ArrivalSpin).
            _spinning.NextReadContinuesMessage();
        }

        _innerAwaiter = StartRead(buffer, bounded).ConfigureAwait(false).GetAwaiter();
        if (_innerAwaiter.IsCompleted)
        {
            return true;
        }

        _operation = operation;
        _waiter ??= new Waiter();
        _innerAwaiter.UnsafeOnCompleted(_onReadCompleted ??= OnReadCompleted);
        return false;
    }

    private void OnReadCompleted()
    {
        var waiter = _waiter!;
        if (_operation == ReadOperation.Header)
        {
            bool done;
            try
            {
                done = !TakeHeaderRead(EndRead()) || AdvanceHeader();
            }
            catch (Exception e)
            {
                Break();
                waiter.FailHeader(e);
                return;
            }

            // Not done: the loop is waiting for its next read, which calls back here.
            if (done)
            {
                waiter.CompleteHeader(Current);
            }

            return;
        }

        int n;
        try
        {
            n = FinishPayload(EndRead());
        }
        catch (Exception e)
        {
            Break();
            waiter.FailCount(e);
            return;
        }

        waiter.CompleteCount(n);
    }

    /// <summary>Which bound limited a read, so that its expiry is reported as what it was.</summary>
    private enum ReadBound
    {
        Idle,
        ReadTimeout,
        MessageDeadline,
        RateFloor,
    }

    private enum ReadOperation
    {
        Header,
        Payload,
    }

    /// <summary>The timeout a read in progress was started with, so that its expiry is reported as that bound.</summary>
    private readonly record struct ArmedTimeout(TimeSpan Limit, ReadBound Bound, CancellationTokenRegistration Link, CancellationToken Token);

    private ValueTask<int> StartRead(Memory<byte> buffer, bool bounded)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var cancellationToken = _operationToken;
        var limit = bounded ? ReadTimeout : IdleTimeout;
        var bound = bounded ? ReadBound.ReadTimeout : ReadBound.Idle;
        if (bounded && _deadline != 0)
        {
            long left = _deadline - System.Diagnostics.Stopwatch.GetTimestamp();
            if (left <= 0)
            {
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

        _armed = null;
        try
        {
            if (limit == Timeout.InfiniteTimeSpan)
            {
                return _stream.ReadAsync(buffer, cancellationToken);
            }

            // One timer source per reader, re-armed for every read: a linked source, a Task and a
            // WaitAsync per read cost more than the read itself for small frames.
            var timeout = _timeoutSource is not null && _timeoutSource.TryReset() ? _timeoutSource : (_timeoutSource = new CancellationTokenSource());
            timeout.CancelAfter(limit);
            var link = cancellationToken.CanBeCanceled
                ? cancellationToken.UnsafeRegister(static s => ((CancellationTokenSource)s!).Cancel(), timeout)
                : default;
            _armed = new ArmedTimeout(limit, bound, link, cancellationToken);
            if (_honoursCancellation)
            {
                // Sockets and pipes honour cancellation themselves.
                return _stream.ReadAsync(buffer, timeout.Token);
            }

            // WaitAsync as well as the token: some streams (a process's stdin) ignore cancellation,
            // and the timeout must still end the connection.
            return new ValueTask<int>(_stream.ReadAsync(buffer, timeout.Token).AsTask().WaitAsync(limit, cancellationToken));
        }
        catch (Exception e)
        {
            // A stream that fails at once fails the same way as one that fails later: through EndRead.
            return ValueTask.FromException<int>(e);
        }
    }

    /// <summary>The result of the read <see cref="BeginRead"/> started, its timeout's expiry told as the bound it was.</summary>
    private int EndRead()
    {
        var armed = _armed;
        _armed = null;
        try
        {
            return _innerAwaiter.GetResult();
        }
        catch (Exception e) when (armed is { } a && e is OperationCanceledException or TimeoutException && !a.Token.IsCancellationRequested)
        {
            var limit = a.Limit;
            throw a.Bound switch
            {
                ReadBound.Idle => new IdleTimeoutException(limit),
                ReadBound.MessageDeadline => DeadlineExpired(),
                ReadBound.RateFloor => new ProtocolException("CONN-5", $"the message arrived at under {_rateFloor:0.###} bytes/s ({_rateBytes} bytes in {Elapsed(_rateStart):0.#} s) (CONN-5)"),
                _ => new ProtocolException("CONN-5", $"read timeout of {ReadTimeout.TotalSeconds:0.###} s expired inside an incomplete frame or message (CONN-5)"),
            };
        }
        finally
        {
            armed?.Link.Dispose();
            _innerAwaiter = default;
        }
    }

    /// <summary>
    /// The awaitable a waiting read hands out, one per reader and reused for every wait: a reader
    /// serves one read at a time. Reset as its result is taken, ready for the next read.
    /// </summary>
    private sealed class Waiter : IValueTaskSource<int>, IValueTaskSource<FrameHeader?>
    {
        private ManualResetValueTaskSourceCore<int> _count;
        private ManualResetValueTaskSourceCore<FrameHeader?> _header;

        public short CountVersion => _count.Version;

        public short HeaderVersion => _header.Version;

        public void CompleteCount(int n) => _count.SetResult(n);

        public void FailCount(Exception e) => _count.SetException(e);

        public void CompleteHeader(FrameHeader? header) => _header.SetResult(header);

        public void FailHeader(Exception e) => _header.SetException(e);

        int IValueTaskSource<int>.GetResult(short token)
        {
            try
            {
                return _count.GetResult(token);
            }
            finally
            {
                _count.Reset();
            }
        }

        ValueTaskSourceStatus IValueTaskSource<int>.GetStatus(short token) => _count.GetStatus(token);

        void IValueTaskSource<int>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            _count.OnCompleted(continuation, state, token, flags);

        FrameHeader? IValueTaskSource<FrameHeader?>.GetResult(short token)
        {
            try
            {
                return _header.GetResult(token);
            }
            finally
            {
                _header.Reset();
            }
        }

        ValueTaskSourceStatus IValueTaskSource<FrameHeader?>.GetStatus(short token) => _header.GetStatus(token);

        void IValueTaskSource<FrameHeader?>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            _header.OnCompleted(continuation, state, token, flags);
    }

    private static double Elapsed(long since) => (System.Diagnostics.Stopwatch.GetTimestamp() - since) / (double)System.Diagnostics.Stopwatch.Frequency;

    private ProtocolException DeadlineExpired() =>
        new("CONN-5", $"the message was not complete {_deadlineSpan.TotalSeconds:0.###} s after its first byte (CONN-5)");

    /// <summary>After any failed read the stream's position inside a frame is unknown (CONN-1); the caller's buffer is let go too.</summary>
    private void Break()
    {
        _broken = true;
        _payloadTarget = default;
    }

    private static InvalidOperationException BrokenError() =>
        new("the frame stream is broken by an earlier error; the connection must be closed (CONN-1)");
}
