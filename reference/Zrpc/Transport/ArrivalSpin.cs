using System.Diagnostics;
using System.Net.Sockets;

namespace Zrpc.Transport;

/// <summary>
/// A short spin before a read that would have to wait, for connections that have a thread of
/// their own (<see cref="BlockingSocketStream"/>) and for pipes (<see cref="PipeEndStream"/>, one
/// connection per process). A peer answering a short call replies within microseconds, and a
/// thread that parks in the kernel for that long pays a wake-up that costs more than the wait,
/// most of all on a VM whose idle vCPUs halt (docs/performance.md, "Short calls"). Asynchronous socket reads do not spin: with several
/// connections on the thread pool, the spinning takes the cores from the work that would end the
/// waits, and the pool already spins for work of its own.
/// </summary>
internal static class ArrivalSpin
{
    /// <summary>How long a read watches for bytes before it waits in the kernel: longer than a reply takes, shorter than a wake-up is worth.</summary>
    public static readonly TimeSpan Default = TimeSpan.FromMicroseconds(20);

    /// <summary>
    /// Only a read that follows a short one spins: short reads are calls and their replies, where
    /// the next bytes come within microseconds; a bulk body arrives in reads of up to a megabyte, and
    /// there a spinning reader only takes the core the writer needs (docs/performance.md). A frame reader's own short reads inside a body
    /// (six header bytes, the last bytes of a payload) are exempt through <see cref="IReadHints.NextReadContinuesMessage"/>.
    /// </summary>
    public const int ShortReadBytes = 16 * 1024;

    /// <summary>
    /// Threads that may spin at once in this process, one per core: with more connections waiting
    /// than that, spinning only takes the CPU from the work that would end the wait, so the
    /// others wait in the kernel at once.
    /// </summary>
    private static readonly int MaxSpinners = Environment.ProcessorCount;

    private static int _spinners;

    /// <summary>Spins until <paramref name="socket"/> has bytes to read or <paramref name="window"/> has passed; true when bytes arrived.</summary>
    public static bool WaitForBytes(Socket socket, TimeSpan window)
    {
        if (window <= TimeSpan.Zero) return false;
        if (Interlocked.Increment(ref _spinners) > MaxSpinners)
        {
            Interlocked.Decrement(ref _spinners);
            return false;
        }

        try
        {
            if (HasBytes(socket)) return true;
            long end = Stopwatch.GetTimestamp() + (long)(window.TotalSeconds * Stopwatch.Frequency);
            var spinner = default(SpinWait);
            while (Stopwatch.GetTimestamp() < end)
            {
                // Never sleep: a sleep costs the very wake-up the spin is there to avoid.
                spinner.SpinOnce(sleep1Threshold: -1);
                if (HasBytes(socket)) return true;
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // The read that follows reports what is wrong with the socket.
        }
        finally
        {
            Interlocked.Decrement(ref _spinners);
        }

        return false;
    }

    /// <summary>
    /// Whether a read would not block, asked with a zero-timeout poll: the kernel answers that from
    /// the queue's state without the lock that FIONREAD (<see cref="Socket.Available"/>) takes, the
    /// pipe's mutex or the socket's lock, which the writer on the other core holds while it copies.
    /// End of stream and errors count as readable: the read that follows reports them.
    /// </summary>
    private static bool HasBytes(Socket socket) => socket.Poll(0, SelectMode.SelectRead);
}
