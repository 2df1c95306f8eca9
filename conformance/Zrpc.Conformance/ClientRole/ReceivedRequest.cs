namespace Zrpc.Conformance.ClientRole;

/// <summary>A frame header as the fake server read it.</summary>
public sealed record FrameSeen(byte Type, byte EndFlag, uint Length);

/// <summary>
/// One request the client sent, as the fake server recorded it: the Header message's exact bytes
/// and framing, the body's framing, length, SHA-256 and first bytes (bounded memory), and when
/// the kit finished its scripted answer (for the timing checks of CLI-6).
/// </summary>
public sealed class ReceivedRequest
{
    public const int BodyBytesKept = 1 << 20;
    public const int FramesKept = 4096;

    public required int Number { get; init; }
    public required string Connection { get; init; }
    public required int ConnectionNumber { get; init; }
    public byte[] HeaderContent { get; set; } = [];
    public List<FrameSeen> HeaderFrames { get; } = [];
    public List<FrameSeen> BodyFrames { get; } = [];
    public long BodyFrameCount { get; set; }
    public long BodyLength { get; set; }
    public string BodySha256 { get; set; } = "";
    public MemoryStream BodyPrefix { get; } = new();

    /// <summary>Why the request is not a well-formed request (the kit then ended the connection), or null.</summary>
    public string? Problem { get; set; }

    /// <summary>The requirement the problem breaks when the kit can tell (e.g. FRAME-1 for a big-endian length), or null.</summary>
    public string? ProblemRequirement { get; set; }

    /// <summary>Stopwatch timestamp when the kit had sent its whole scripted answer; 0 before.</summary>
    public long AnswerSentAt { get; set; }
}
