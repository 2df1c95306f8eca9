using System.Threading.Tasks.Sources;

namespace Zrpc.Frames;

/// <summary>
/// The awaitable a waiting read of a <see cref="FrameReader"/> hands out, one per reader and
/// reused for every wait: a reader serves one read at a time. Reset as its result is taken, ready
/// for the next read.
/// </summary>
/// <remarks>
/// Why not async methods: pooled async state machines are cached per thread, a box going back to
/// the cache of the thread that completed it while the next wait of the same method starts on
/// whichever thread it starts. The header read, the payload read and the read-ahead refill each
/// wait only some of the time, so their boxes would keep landing on threads that do not need them
/// next, and fresh ones would be allocated whenever the writer is the slower end. This one
/// awaitable is reused whichever thread completes it.
/// </remarks>
internal sealed class ReadWaiter : IValueTaskSource<int>, IValueTaskSource<FrameHeader?>
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
