namespace Zrpc.Frames;

/// <summary>Size constants of the frame and message layers.</summary>
public static class FrameLimits
{
    /// <summary>Type (1) + end flag (1) + little-endian u32 length (4), FRAME-1.</summary>
    public const int HeaderSize = 6;

    /// <summary>Largest legal frame payload, 4 MiB (FRAME-5/FRAME-6).</summary>
    public const int MaxPayload = 4194304;

    /// <summary>Largest legal Header message content (MSG-5).</summary>
    public const int MaxHeaderMessage = 4096;

    /// <summary>
    /// Default for <see cref="FrameReader.MaxEmptyFramesInARow"/>: zero-length frames a message may
    /// carry one after another (MSG-7). A canonical sender sends none (MSG-4).
    /// </summary>
    public const int MaxEmptyFramesInARow = 1024;
}
