namespace Zrpc.TestService;

/// <summary>
/// A read-only stream of <c>length</c> bytes where byte i is i mod 251 (CTS-4), produced on
/// demand so that any length costs no memory.
/// </summary>
internal sealed class PatternStream : GeneratedReadStream
{
    public const int Modulus = 251;

    private const int RunLength = 64 * 1024;

    // The pattern from phase 0, long enough that a run of RunLength bytes starts at any phase.
    private static readonly byte[] PatternTable = BuildTable();

    private readonly ulong _length;
    private ulong _position;

    public PatternStream(ulong length)
    {
        _length = length;
    }

    /// <summary>The expected byte at offset <paramref name="index"/>.</summary>
    public static byte ByteAt(ulong index) => (byte)(index % Modulus);

    public override long Length => _length > long.MaxValue ? throw new NotSupportedException() : (long)_length;
    public override long Position { get => (long)_position; set => throw new NotSupportedException(); }

    public override int Read(Span<byte> buffer)
    {
        ulong left = _length - _position;
        int n = (int)Math.Min((ulong)buffer.Length, left);
        int phase = (int)(_position % Modulus);
        // Whole runs copied from a table instead of a byte loop with a modulo: the byte loop streams
        // at under a third of what the transport carries (docs/performance.md).
        for (int done = 0; done < n;)
        {
            int run = Math.Min(n - done, RunLength);
            PatternTable.AsSpan(phase, run).CopyTo(buffer.Slice(done, run));
            done += run;
            phase = (phase + run) % Modulus;
        }

        _position += (ulong)n;
        return n;
    }

    private static byte[] BuildTable()
    {
        var table = new byte[RunLength + Modulus];
        for (int i = 0; i < table.Length; i++)
        {
            table[i] = (byte)(i % Modulus);
        }

        return table;
    }
}
