using System.Buffers;

namespace Zrpc.IO;

/// <summary>
/// Copies a stream to another with the write of one chunk in flight while the next is read. A file
/// write on Unix is run on the thread pool, so a plain read-write loop waits for that hop once per
/// chunk with nothing to do; here it overlaps the next read. Two pooled chunks, whatever the length.
/// </summary>
internal static class OverlappedCopy
{
    public const int DefaultChunkSize = 1024 * 1024;

    /// <summary>
    /// Copies <paramref name="from"/> to its end into <paramref name="to"/> and returns the bytes
    /// copied. A failure of either side is thrown, once no write is in flight any more.
    /// </summary>
    public static async Task<long> CopyAsync(Stream from, Stream to, CancellationToken cancellationToken, int chunkSize = DefaultChunkSize)
    {
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(to);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkSize, 1);
        byte[] first = ArrayPool<byte>.Shared.Rent(chunkSize);
        byte[] second = ArrayPool<byte>.Shared.Rent(chunkSize);
        byte[] reading = first;
        ValueTask writing = ValueTask.CompletedTask;
        bool inFlight = false;
        long total = 0;
        try
        {
            int n;
            while ((n = await from.ReadAsync(reading.AsMemory(0, chunkSize), cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (inFlight)
                {
                    inFlight = false;
                    await writing.ConfigureAwait(false);
                }

                writing = to.WriteAsync(reading.AsMemory(0, n), cancellationToken);
                inFlight = true;
                total += n;
                reading = reading == first ? second : first;
            }

            if (inFlight)
            {
                inFlight = false;
                await writing.ConfigureAwait(false);
            }

            return total;
        }
        finally
        {
            if (inFlight)
            {
                // The read failed with a write in flight: the write's buffer may go back to the pool
                // only once the write is over. Its own outcome is secondary to the read's failure.
                try
                {
                    await writing.ConfigureAwait(false);
                }
                catch (Exception)
                {
                }
            }

            ArrayPool<byte>.Shared.Return(first);
            ArrayPool<byte>.Shared.Return(second);
        }
    }
}
