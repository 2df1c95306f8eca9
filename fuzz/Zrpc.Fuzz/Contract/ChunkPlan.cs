namespace Zrpc.Fuzz.Contract;

/// <summary>
/// Read sizes a caller might use (1 byte, odd sizes, whole frames), cycled in an order derived from
/// the input, so that the same bytes are also decoded through reads that split them differently.
/// Deterministic: a reproducer replays exactly the same reads.
/// </summary>
internal sealed class ChunkPlan
{
    private static readonly int[] Sizes = [1, 2, 7, 64, 1000, 4096, 65536];
    private int _next;

    public ChunkPlan(ReadOnlySpan<byte> input, int salt)
    {
        uint hash = 2166136261;
        foreach (byte b in input)
        {
            hash = (hash ^ b) * 16777619;
        }

        _next = (int)((hash + (uint)salt) % (uint)Sizes.Length);
    }

    public int Next()
    {
        int size = Sizes[_next];
        _next = (_next + 1) % Sizes.Length;
        return size;
    }

    public const int Largest = 65536;
}
