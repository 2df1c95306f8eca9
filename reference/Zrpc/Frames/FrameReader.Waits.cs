namespace Zrpc.Frames;

// The waiting half of the reader: one read at a time is started on the stream, bounded by the
// timer the connection's ReadTimeouts ask for, and completed through the one ReadWaiter.
public sealed partial class FrameReader
{
    /// <summary>
    /// Starts one read from the stream. True when it completed at once (its result is taken with
    /// <see cref="EndRead"/>); false when it waits, and <see cref="OnReadCompleted"/> goes on with
    /// <paramref name="operation"/> once it is done.
    /// </summary>
    private bool BeginRead(Memory<byte> buffer, bool betweenFrames, ReadOperation operation)
    {
        if (_hints is not null && (operation == ReadOperation.Payload || _decoder.InsideMessage))
        {
            // Inside a message the next bytes come at the writer's pace, not as a reply.
            _hints.NextReadContinuesMessage();
        }

        _innerAwaiter = StartRead(buffer, betweenFrames).ConfigureAwait(false).GetAwaiter();
        if (_innerAwaiter.IsCompleted)
        {
            return true;
        }

        _operation = operation;
        _waiter ??= new ReadWaiter();
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
                waiter.CompleteHeader(_decoder.Current);
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

    private enum ReadOperation
    {
        Header,
        Payload,
    }

    /// <summary>The timeout a read in progress was started with, so that its expiry is reported as that bound.</summary>
    private readonly record struct ArmedTimeout(TimeSpan Limit, ReadBound Bound, CancellationTokenRegistration Link, CancellationToken Token);

    private ValueTask<int> StartRead(Memory<byte> buffer, bool betweenFrames)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var cancellationToken = _operationToken;
        var limit = Timeouts.LimitFor(betweenFrames, out var bound);
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
                return _stream.ReadAsync(buffer, timeout.Token);
            }

            // WaitAsync as well as the token: the stream may ignore cancellation, and the timeout
            // must still end the connection.
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
            throw Timeouts.Expired(a.Bound, a.Limit);
        }
        finally
        {
            armed?.Link.Dispose();
            _innerAwaiter = default;
        }
    }
}
