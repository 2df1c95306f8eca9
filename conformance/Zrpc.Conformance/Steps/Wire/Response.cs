namespace Zrpc.Conformance.Steps.Wire;

/// <summary>One frame as the kit received it; payloads are not kept here.</summary>
public sealed record FrameInfo(byte Type, byte EndFlag, uint Length)
{
    public override string ToString() => $"{WireConstants.TypeName(Type)} end=0x{EndFlag:X2} length={Length}";
}

/// <summary>A complete response as read from the implementation.</summary>
public sealed class Response
{
    public required byte[] HeaderBytes { get; init; }
    public required IReadOnlyList<FrameInfo> HeaderFrames { get; init; }
    public required ReceivedHeader Header { get; init; }
    public IReadOnlyList<FrameInfo> BodyFrames { get; init; } = [];
    public bool BodyFramesTruncated { get; init; }
    public BodyCollector? Body { get; init; }

    public ulong Status => Header.Status;
}
