using System.Diagnostics;
using System.Net.Sockets;

namespace Zrpc.Transport;

/// <summary>
/// A short spin before a socket read that would have to wait. A peer answering a short call
/// replies within microseconds, and a thread that parks in the kernel for that long pays a
/// wake-up that costs more than the wait: on a virtual machine, whose idle vCPU halts, the
/// wake-up alone cost 15-20 us here, more than half of a round trip (issue 6: sequential Echo
/// calls over TCP doubled, 24,000 to 49,000 per second, with a 20 us spin). Runtimes that are
/// fast at this (Go's scheduler, .NET's own thread pool) spin the same way before parking.
/// </summary>
internal static class ArrivalSpin
{
    /// <summary>How long a read watches for bytes before it waits in the kernel: longer than a reply takes, shorter than a wake-up is worth.</summary>
    public static readonly TimeSpan Default = TimeSpan.FromMicroseconds(20);

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
            if (socket.Available > 0) return true;
            long end = Stopwatch.GetTimestamp() + (long)(window.TotalSeconds * Stopwatch.Frequency);
            var spinner = default(SpinWait);
            while (Stopwatch.GetTimestamp() < end)
            {
                // Never sleep: a sleep costs the very wake-up the spin is there to avoid.
                spinner.SpinOnce(sleep1Threshold: -1);
                if (socket.Available > 0) return true;
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
}
