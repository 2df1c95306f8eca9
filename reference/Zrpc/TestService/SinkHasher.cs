using System.Buffers;
using System.Security.Cryptography;
using System.Threading.Tasks.Sources;

namespace Zrpc.TestService;

/// <summary>
/// Counts and SHA-256-hashes a stream for Sink (CTS-5), hashing one chunk on a thread-pool thread
/// while the next chunk is read. Both the hash and the receive take a large part of a core per
/// byte, so doing both in turn on one thread would add their times; overlapped, the slower of the
/// two sets the pace where a second core is free. Memory stays at two chunks whatever the body's length (CTS-6), and nothing is allocated
/// per chunk: the hasher is its own thread-pool work item and its own awaitable.
/// </summary>
/// <remarks>
/// A reader that is not on a thread-pool thread (a connection served on a thread of its own over
/// blocking reads) waits for the hash by blocking: awaiting would carry the rest of the connection
/// onto the thread pool.
/// </remarks>
internal sealed class SinkHasher : IThreadPoolWorkItem, IValueTaskSource, IDisposable
{
    /// <summary>
    /// Bytes read before a chunk is handed to the hash: a hand-off (a thread's wake-up) per
    /// 0.17 ms or so of SHA-256. Larger chunks save few hand-offs but the shared array pool keeps
    /// what many concurrent Sink calls rented, so a busy server's memory would stay higher.
    /// </summary>
    public const int DefaultChunkSize = 256 * 1024;

    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly Action? _beforeChunk;
    private readonly ManualResetEventSlim _doneEvent = new(false);
    private ManualResetValueTaskSourceCore<bool> _done;
    private bool _blockingWait;
    private Exception? _failure;
    private byte[]? _chunk;
    private int _chunkLength;
    private bool _busy;

    /// <param name="beforeChunk">Runs on the hashing thread before each chunk; tests use it to hold the hash back.</param>
    internal SinkHasher(Action? beforeChunk = null)
    {
        _beforeChunk = beforeChunk;
        _done.RunContinuationsAsynchronously = false;
    }

    /// <summary>True while a chunk is being hashed.</summary>
    internal bool Busy => Volatile.Read(ref _busy);

    /// <summary>Chunks hashed so far.</summary>
    internal int ChunksHashed { get; private set; }

    /// <summary>
    /// Reads <paramref name="body"/> to its end and returns its length and SHA-256. A failing read
    /// or a cancellation is thrown as it came, but only once no chunk is being hashed any more, so
    /// the buffers go back to the pool unused.
    /// </summary>
    public static async Task<(ulong Length, byte[] Sha256)> HashAsync(Stream body, CancellationToken cancellationToken)
    {
        using var hasher = new SinkHasher();
        return await hasher.RunAsync(body, DefaultChunkSize, cancellationToken).ConfigureAwait(false);
    }

    internal async Task<(ulong Length, byte[] Sha256)> RunAsync(Stream body, int chunkSize, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkSize, 1);
        byte[] first = ArrayPool<byte>.Shared.Rent(chunkSize);
        byte[] second = ArrayPool<byte>.Shared.Rent(chunkSize);
        byte[] reading = first;
        ulong length = 0;
        bool hashing = false;
        try
        {
            while (true)
            {
                // Filled up to the chunk size, or less only at the end. No nested async method: its
                // pooled box would be cached by whichever thread completed it, and missed per chunk.
                int filled = 0;
                while (filled < chunkSize)
                {
                    int n = await body.ReadAsync(reading.AsMemory(filled, chunkSize - filled), cancellationToken).ConfigureAwait(false);
                    if (n == 0)
                    {
                        break;
                    }

                    filled += n;
                }

                if (hashing)
                {
                    hashing = false;
                    await WaitForChunk().ConfigureAwait(false);
                    ThrowIfHashFailed();
                }

                if (filled == 0)
                {
                    break;
                }

                length += (ulong)filled;
                Start(reading, filled);
                hashing = true;
                reading = reading == first ? second : first;
            }

            return (length, _hash.GetHashAndReset());
        }
        finally
        {
            if (hashing)
            {
                // The read failed while the other buffer was being hashed: wait for it before the
                // buffer is returned. Its own failure, if any, is secondary to the read's.
                await WaitForChunk().ConfigureAwait(false);
            }

            ArrayPool<byte>.Shared.Return(first);
            ArrayPool<byte>.Shared.Return(second);
        }
    }

    public void Dispose()
    {
        _hash.Dispose();
        _doneEvent.Dispose();
    }

    void IThreadPoolWorkItem.Execute()
    {
        try
        {
            _beforeChunk?.Invoke();
            _hash.AppendData(_chunk!, 0, _chunkLength);
            ChunksHashed++;
        }
        catch (Exception e)
        {
            _failure = e;
        }

        _chunk = null;
        Volatile.Write(ref _busy, false);
        // Exactly one of the two signals, the one the reader chose in Start: the reader may start
        // the next chunk as soon as it is signalled, so nothing here may follow the signal.
        if (_blockingWait)
        {
            _doneEvent.Set();
        }
        else
        {
            _done.SetResult(true);
        }
    }

    void IValueTaskSource.GetResult(short token) => _done.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _done.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => _done.OnCompleted(continuation, state, token, flags);

    private void Start(byte[] chunk, int length)
    {
        _blockingWait = !Thread.CurrentThread.IsThreadPoolThread;
        _done.Reset();
        _doneEvent.Reset();
        _failure = null;
        _chunk = chunk;
        _chunkLength = length;
        Volatile.Write(ref _busy, true);
        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }

    /// <summary>Completes once the chunk being hashed is done; <see cref="ThrowIfHashFailed"/> then tells how.</summary>
    private ValueTask WaitForChunk()
    {
        if (!_blockingWait)
        {
            return new ValueTask(this, _done.Version);
        }

        _doneEvent.Wait();
        return ValueTask.CompletedTask;
    }

    private void ThrowIfHashFailed()
    {
        if (_failure is { } failure)
        {
            _failure = null;
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        }
    }
}
