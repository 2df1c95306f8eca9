using System.Buffers;

namespace Zrpc.Messages;

/// <summary>
/// Where frame buffers of outgoing Data messages come from. Small ones from the shared pool; the
/// big ones (a whole 4 MiB frame) from a pool without per-thread slots: the shared pool parks a
/// returned array in the returning thread's slot, and the next message, continued on another
/// pool thread, would allocate a fresh 8 MiB array almost every time; allocation must not grow with bytes or
/// calls.
/// </summary>
internal static class FrameBufferPool
{
    private const int SmallLimit = 64 * 1024;

    // Enough for several connections streaming at once; more simply allocate and are dropped.
    private static readonly ArrayPool<byte> Large = ArrayPool<byte>.Create(8 * 1024 * 1024, Math.Max(4, 2 * Environment.ProcessorCount));

    public static byte[] Rent(int size) => size > SmallLimit ? Large.Rent(size) : ArrayPool<byte>.Shared.Rent(size);

    public static void Return(byte[] buffer)
    {
        if (buffer.Length > SmallLimit)
        {
            Large.Return(buffer);
        }
        else
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
