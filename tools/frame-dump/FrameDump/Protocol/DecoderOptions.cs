namespace FrameDump.Protocol;

/// <summary>How much of each body and frame the decoder keeps for display; everything else is only counted and hashed.</summary>
public sealed record DecoderOptions
{
    /// <summary>Bytes of a Data message kept for display (JSON pretty-printing, Octets preview).</summary>
    public int BodyLimit { get; init; } = 2048;

    /// <summary>Bytes of each frame's payload kept for hex dumps (0: none).</summary>
    public int HexLimit { get; init; }

    /// <summary>Whether Data messages get a SHA-256 (the listings show it; a summary does not need it).</summary>
    public bool HashBodies { get; init; } = true;

    /// <summary>SHA-256 contexts shared by every direction of every connection decoded with these options.</summary>
    public HashPool Hashes { get; init; } = new();
}

/// <summary>
/// Reusable SHA-256 contexts: a direction holds one only while a Data message is in progress, so
/// thousands of idle connections do not each keep a native hash context.
/// </summary>
public sealed class HashPool
{
    private const int MaxKept = 64;
    private readonly Stack<System.Security.Cryptography.IncrementalHash> free = new();

    public System.Security.Cryptography.IncrementalHash Rent() =>
        free.TryPop(out var hash) ? hash : System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);

    /// <summary>Takes back a context that was just reset (GetHashAndReset).</summary>
    public void Return(System.Security.Cryptography.IncrementalHash hash)
    {
        if (free.Count < MaxKept)
        {
            free.Push(hash);
        }
        else
        {
            hash.Dispose();
        }
    }
}
