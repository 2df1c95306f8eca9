using System.Diagnostics;

namespace Zrpc.Frames;

/// <summary>
/// Every bound on how long a connection's reads may wait, in one place: the read timeout inside a
/// frame or message (CONN-5), the idle time allowed between messages (CONN-6), a deadline for a
/// whole message and a floor under the rate at which a body arrives. The message and RPC layers
/// say where the connection is (between messages, inside one, receiving a body); the
/// <see cref="FrameReader"/> asks, before each read that has to wait, how long it may wait and,
/// when the wait expires, which error that is.
/// </summary>
public sealed class ReadTimeouts
{
    private long _frameStartedAt;
    private long _deadline;
    private TimeSpan _deadlineSpan;
    private double _rateFloor;
    private long _rateStart;
    private long _rateGrace;
    private long _rateBytes;

    /// <summary>
    /// How long one read may wait while a frame or message is incomplete (CONN-5).
    /// <see cref="Timeout.InfiniteTimeSpan"/> disables it.
    /// </summary>
    public TimeSpan ReadTimeout { get; set; } = Timeout.InfiniteTimeSpan;

    /// <summary>
    /// How long the peer may stay idle between messages before the read fails with
    /// <see cref="IdleTimeoutException"/> (CONN-6, a MAY); <see cref="Timeout.InfiniteTimeSpan"/>,
    /// the default, lets it idle for ever.
    /// </summary>
    public TimeSpan IdleTimeout { get; set; } = Timeout.InfiniteTimeSpan;

    /// <summary>
    /// When set, the wait for the first byte of the next header is bounded by
    /// <see cref="IdleTimeout"/>, not <see cref="ReadTimeout"/>: the peer is between messages (CONN-6).
    /// </summary>
    public bool IdleAllowed { get; set; } = true;

    /// <summary>
    /// Bounds every read until <see cref="ClearDeadline"/> by <paramref name="within"/> counted from
    /// the first byte of the current frame, as well as by <see cref="ReadTimeout"/>: a peer that
    /// sends a byte just before each read timeout would otherwise hold a small message open for
    /// ever (CONN-5; a slow sender at one byte per second).
    /// </summary>
    public void StartDeadline(TimeSpan within)
    {
        if (within == Timeout.InfiniteTimeSpan)
        {
            return;
        }

        _deadlineSpan = within;
        _deadline = _frameStartedAt + (long)(within.TotalSeconds * Stopwatch.Frequency);
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
        _rateStart = Stopwatch.GetTimestamp();
        _rateGrace = (long)(grace.TotalSeconds * Stopwatch.Frequency);
        _rateBytes = 0;
    }

    public void StopRateFloor() => _rateFloor = 0;

    /// <summary>The first byte of a frame header arrived.</summary>
    internal void FrameStarted() => _frameStartedAt = Stopwatch.GetTimestamp();

    /// <summary>Payload bytes handed to the reader's caller, counted against the rate floor.</summary>
    internal void PayloadRead(int n) => _rateBytes += n;

    /// <summary>
    /// How long the read about to start may wait (<see cref="Timeout.InfiniteTimeSpan"/>: for ever)
    /// and which bound that is. <paramref name="betweenFrames"/>: nothing of the next frame has
    /// arrived yet. Throws when the message's deadline has already passed.
    /// </summary>
    internal TimeSpan LimitFor(bool betweenFrames, out ReadBound bound)
    {
        if (betweenFrames && IdleAllowed)
        {
            bound = ReadBound.Idle;
            return IdleTimeout;
        }

        var limit = ReadTimeout;
        bound = ReadBound.ReadTimeout;
        if (_deadline != 0)
        {
            long left = _deadline - Stopwatch.GetTimestamp();
            if (left <= 0)
            {
                throw DeadlineExpired();
            }

            var untilDeadline = TimeSpan.FromSeconds(left / (double)Stopwatch.Frequency);
            if (limit == Timeout.InfiniteTimeSpan || untilDeadline < limit)
            {
                (limit, bound) = (untilDeadline, ReadBound.MessageDeadline);
            }
        }

        if (_rateFloor > 0)
        {
            // The moment by which the bytes received so far stop meeting the floor; a read that
            // is still waiting then fails. At least 1 ms, so that bytes already there are read.
            long due = _rateStart + _rateGrace + (long)(_rateBytes / _rateFloor * Stopwatch.Frequency);
            var untilDue = TimeSpan.FromSeconds(Math.Max(due - Stopwatch.GetTimestamp(), Stopwatch.Frequency / 1000) / (double)Stopwatch.Frequency);
            if (limit == Timeout.InfiniteTimeSpan || untilDue < limit)
            {
                (limit, bound) = (untilDue, ReadBound.RateFloor);
            }
        }

        return limit;
    }

    /// <summary>The error for a read that waited <paramref name="limit"/>, the bound it was started with.</summary>
    internal Exception Expired(ReadBound bound, TimeSpan limit) => bound switch
    {
        ReadBound.Idle => new IdleTimeoutException(limit),
        ReadBound.MessageDeadline => DeadlineExpired(),
        ReadBound.RateFloor => new ProtocolException(RequirementId.Conn5, $"the message arrived at under {_rateFloor:0.###} bytes/s ({_rateBytes} bytes in {Elapsed(_rateStart):0.#} s)"),
        _ => new ProtocolException(RequirementId.Conn5, $"read timeout of {ReadTimeout.TotalSeconds:0.###} s expired inside an incomplete frame or message"),
    };

    private ProtocolException DeadlineExpired() =>
        new(RequirementId.Conn5, $"the message was not complete {_deadlineSpan.TotalSeconds:0.###} s after its first byte");

    private static double Elapsed(long since) => (Stopwatch.GetTimestamp() - since) / (double)Stopwatch.Frequency;
}

/// <summary>Which bound limited a read, so that its expiry is reported as what it was.</summary>
internal enum ReadBound
{
    Idle,
    ReadTimeout,
    MessageDeadline,
    RateFloor,
}
