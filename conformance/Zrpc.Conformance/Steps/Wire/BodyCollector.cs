using System.Security.Cryptography;

namespace Zrpc.Conformance.Steps.Wire;

/// <summary>
/// Takes a body as it streams in: counts it, hashes it, checks the Source pattern (CTS-4) and
/// keeps only a bounded prefix, so a 64 MiB or larger body never sits in the kit's memory.
/// </summary>
public sealed class BodyCollector(int keepLimit) : IDisposable
{
    readonly IncrementalHash _sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    readonly MemoryStream _kept = new();

    public long Length { get; private set; }
    public bool Truncated { get; private set; }
    public long FirstSourcePatternMismatch { get; private set; } = -1;

    public void Append(ReadOnlySpan<byte> chunk)
    {
        if (FirstSourcePatternMismatch < 0)
        {
            for (var i = 0; i < chunk.Length; i++)
            {
                if (chunk[i] != (byte)((Length + i) % 251))
                {
                    FirstSourcePatternMismatch = Length + i;
                    break;
                }
            }
        }
        _sha.AppendData(chunk);
        var room = keepLimit - (int)_kept.Length;
        if (room > 0) _kept.Write(chunk[..Math.Min(room, chunk.Length)]);
        if (chunk.Length > room) Truncated = true;
        Length += chunk.Length;
    }

    public string Sha256Hex() => Convert.ToHexStringLower(_sha.GetCurrentHash());

    public byte[] KeptBytes() => _kept.ToArray();

    public void Dispose()
    {
        _sha.Dispose();
        _kept.Dispose();
    }
}

/// <summary>Generates the kit's request bodies: deterministic, so their hash is known without storing them.</summary>
public static class OctetPattern
{
    /// <summary>Byte i of a Sink body. Deliberately unlike Source's i mod 251, so echoes are not mistaken.</summary>
    public static byte SinkByte(long i) => (byte)((i * 7 + 13) ^ (i >> 8));

    public static void Fill(Span<byte> destination, long offset)
    {
        for (var i = 0; i < destination.Length; i++) destination[i] = SinkByte(offset + i);
    }
}
