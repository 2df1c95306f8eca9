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
}
