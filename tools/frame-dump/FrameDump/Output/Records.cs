using FrameDump.Protocol;

namespace FrameDump.Output;

/// <summary>Which way bytes travel on a connection.</summary>
public enum Direction
{
    ClientToServer,
    ServerToClient,
}

/// <summary>
/// One line of frame-dump's output. The JSON field names are part of the tool's interface
/// (documented in README.md): rename nothing, only add.
/// </summary>
public abstract class DumpRecord
{
    public int Connection { get; init; }

    public DateTime Time { get; init; }

    /// <summary>The endpoint of the call the record belongs to, when known (for --endpoint).</summary>
    public string? Endpoint { get; set; }

    /// <summary>
    /// The profile whose reading this record belongs to, when a connection's profile could not be
    /// told from its content and both readings are shown; null otherwise.
    /// </summary>
    public string? Reading { get; set; }

    /// <summary>True for records that --errors-only keeps.</summary>
    public virtual bool IsError => false;
}

public sealed class ConnectionRecord : DumpRecord
{
    public required string Client { get; init; }

    public required string Server { get; init; }

    public bool HandshakeSeen { get; init; }
}

public sealed class FrameRecord : DumpRecord
{
    public Direction Direction { get; init; }

    public long Offset { get; init; }

    public byte RawType { get; init; }

    public byte RawEndFlag { get; init; }

    public uint Length { get; init; }

    public FrameCompletion Completion { get; set; }

    public long LostBytes { get; set; }

    /// <summary>Payload bytes present in the capture (the announced <see cref="Length"/> may never have arrived).</summary>
    public long CapturedPayload { get; set; }

    /// <summary>The first payload bytes (only kept for hex dumps).</summary>
    public byte[]? PayloadHead { get; set; }
}

public sealed class MessageRecord : DumpRecord
{
    public Direction Direction { get; init; }

    public long Offset { get; init; }

    public byte RawType { get; init; }

    public DateTime EndTime { get; set; }

    public int Frames { get; set; }

    public long Length { get; set; }

    public long LostBytes { get; set; }

    public bool Complete { get; set; }

    /// <summary>Why the message is incomplete, when it is.</summary>
    public string? Incomplete { get; set; }

    /// <summary>"request", "response" or null when the message could not be placed in a call.</summary>
    public string? Role { get; set; }

    public int? Call { get; set; }

    /// <summary>Raw content of a Header message (at most 4096 bytes are kept).</summary>
    public byte[]? HeaderContent { get; set; }

    public Zrpc.Rpc.RpcHeader? RpcHeader { get; set; }

    /// <summary>The first bytes of a Data message's content.</summary>
    public byte[]? BodyHead { get; set; }

    public string? Sha256 { get; set; }

    /// <summary>DataType that the header announced for this body.</summary>
    public byte? BodyType { get; set; }

    /// <summary>The profile the DataType numbers of this message are read in.</summary>
    public Zrpc.Rpc.Profile Profile { get; set; }

    /// <summary>Pretty-printed JSON body when it is complete, within the limit, and valid.</summary>
    public string? BodyJson { get; set; }
}

public sealed class CallRecord : DumpRecord
{
    public int Call { get; init; }

    /// <summary>When the request's first frame was captured (the record's Time is when the call ended).</summary>
    public DateTime RequestTime { get; init; }

    public DateTime? ResponseTime { get; set; }

    public double? LatencyMs { get; set; }

    public double? ResponseStartMs { get; set; }

    public ulong? Status { get; set; }

    public string? ErrorMessage { get; set; }

    public long RequestBytes { get; set; }

    public long ResponseBytes { get; set; }

    /// <summary>A control request of profile fa4d209 (DataType 2, no body), such as Close.</summary>
    public bool Control { get; init; }

    /// <summary>"complete", "no-response", "incomplete", "damaged", "reset-by-server", "reset-by-client" or "evicted".</summary>
    public required string Outcome { get; set; }

    public override bool IsError => Outcome != "complete" || Status != 1;
}

public sealed class ViolationRecord : DumpRecord
{
    public Direction Direction { get; init; }

    public long Offset { get; init; }

    public required RequirementId Requirement { get; init; }

    /// <summary>What is wrong, without the id.</summary>
    public required string Detail { get; init; }

    /// <summary>The detail with the requirement it breaks, as every output writes it.</summary>
    public string Message => $"{Detail} ({Requirement})";

    public override bool IsError => true;
}

public sealed class NoticeRecord : DumpRecord
{
    public Direction Direction { get; init; }

    public long Offset { get; init; }

    /// <summary>"gap", "resync", "notice".</summary>
    public required string Kind { get; init; }

    public required string Message { get; init; }

    public long? Missing { get; init; }

    public long? Skipped { get; init; }

    public override bool IsError => true;
}

/// <summary>
/// The capture file itself is damaged (a truncated last record, a corrupt block): what follows
/// it could not be read. Belongs to no connection (number 0).
/// </summary>
public sealed class CaptureErrorRecord : DumpRecord
{
    public required string Message { get; init; }

    public long Packets { get; init; }

    public override bool IsError => true;
}

/// <summary>
/// A TCP connection that was not decoded (belongs to no decoded connection: number 0). Never
/// silent: every connection frame-dump leaves out is listed with the reason and the option that
/// forces it (<c>-p PORT</c>).
/// </summary>
public sealed class SkippedRecord : DumpRecord
{
    public required string Client { get; init; }

    public required string Server { get; init; }

    /// <summary>"not-recognised", "no-payload" or "other-port".</summary>
    public required string Reason { get; init; }

    /// <summary>False when no handshake was captured and the side that sent first is taken for the client.</summary>
    public bool RolesKnown { get; init; }

    /// <summary>The first bytes (at most 16) of the side that decided, for "not-recognised".</summary>
    public byte[] FirstBytes { get; init; } = [];

    /// <summary>"c2s" or "s2c": who sent <see cref="FirstBytes"/>.</summary>
    public Direction FirstBytesDirection { get; init; }

    /// <summary>The port that <c>-p</c> needs to decode this connection.</summary>
    public int Port { get; init; }

    public string Hint => $"-p {Port}";

    public override bool IsError => true;
}

/// <summary>A decoded connection was evicted while still open: what followed it is not decoded as part of it.</summary>
public sealed class EvictedRecord : DumpRecord
{
    public required string Message { get; init; }

    public override bool IsError => true;
}

public sealed class CloseRecord : DumpRecord
{
    public Direction Direction { get; init; }

    public long Offset { get; init; }

    public required string Reason { get; init; }
}

/// <summary>
/// Which profile a connection is decoded in and why: chosen with --profile ("option"), told from
/// the connection's content ("content", with the evidence), or not told ("none": both readings follow).
/// </summary>
public sealed class ProfileRecord : DumpRecord
{
    /// <summary>"6ab05ee" or "fa4d209"; null when the content did not tell and both readings are shown.</summary>
    public string? Profile { get; init; }

    /// <summary>"option", "content" or "none".</summary>
    public required string DecidedBy { get; init; }

    /// <summary>What in the connection shows the profile, or why it cannot be told.</summary>
    public required string Evidence { get; init; }

    /// <summary>The readings shown for the connection, in output order.</summary>
    public IReadOnlyList<string> Readings { get; init; } = [];

    /// <summary>A later finding that points at the other profile than the one decoded (the earlier profile record stands).</summary>
    public bool Contradicted { get; init; }
}

/// <summary>
/// A connection that carries one of the protocols that replaced this one in later zrepl
/// versions: labelled, not decoded.
/// </summary>
public sealed class OtherProtocolRecord : DumpRecord
{
    public Direction Direction { get; init; }

    /// <summary>Short name, e.g. "go-streamrpc" or "zrepl-version-handshake".</summary>
    public required string Protocol { get; init; }

    /// <summary>Human-readable label with the zrepl versions that speak it.</summary>
    public required string Label { get; init; }

    /// <summary>The first bytes (at most 64) that identified it.</summary>
    public byte[] FirstBytes { get; init; } = [];
}

/// <summary>Receives records in output order.</summary>
public interface IRecordSink
{
    void Write(DumpRecord record);

    void Complete();
}
