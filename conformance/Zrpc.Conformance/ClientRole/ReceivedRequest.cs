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

    /// <summary>Profile fa4d209: a control request (DataType 2, FARPC-1), which has no Data message.</summary>
    public bool IsControl { get; set; }

    /// <summary>The endpoint of a control request.</summary>
    public string ControlEndpoint { get; set; } = "";

    /// <summary>After the kit's answer to a Close request: the first bytes the client sent (bounded), in order.</summary>
    public MemoryStream AfterAnswer { get; } = new();

    /// <summary>After the kit's answer to a Close request: how the client's side ended (null: the kit stopped watching first).</summary>
    public string? AfterAnswerEnd { get; set; }

    /// <summary>Stopwatch timestamp when the client's side ended after the Close request; 0 when it did not.</summary>
    public long EndedAt { get; set; }

    /// <summary>Stopwatch timestamp when the whole request had arrived.</summary>
    public long ReceivedAt { get; set; }

    /// <summary>Stopwatch timestamp when the kit had sent its whole scripted answer; 0 before.</summary>
    public long AnswerSentAt { get; set; }
}
