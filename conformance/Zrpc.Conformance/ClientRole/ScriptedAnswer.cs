using Zrpc.Conformance.Steps.Wire;

namespace Zrpc.Conformance.ClientRole;

/// <summary>One thing the fake server does after it has read a request (in scenario order).</summary>
public abstract record AnswerAction
{
    /// <summary>True when the connection is over after this action.</summary>
    public virtual bool EndsConnection => false;
}

/// <summary>Exactly these bytes, well-formed or not.</summary>
public sealed record SendBytes(byte[] Bytes) : AnswerAction;

/// <summary>A Data message of <c>Length</c> bytes where byte i is i mod 251, canonically framed (MSG-4).</summary>
public sealed record SendPatternBody(long Length) : AnswerAction;

/// <summary>Sends what is pending, then waits this long before the next action (timing inside a frame).</summary>
public sealed record Pause(TimeSpan Duration) : AnswerAction;

/// <summary>Closes the connection in order (FIN): end of stream for the client.</summary>
public sealed record CloseConnection : AnswerAction
{
    public override bool EndsConnection => true;
}

/// <summary>Aborts the TCP connection (RST segment): the client's reads fail with a reset.</summary>
public sealed record AbortConnection : AnswerAction
{
    public override bool EndsConnection => true;
}

/// <summary>Sends nothing more and keeps the connection open until the client closes it.</summary>
public sealed record Stall : AnswerAction
{
    public override bool EndsConnection => true;
}

/// <summary>What the fake server answers to one request: actions in order.</summary>
public sealed class ScriptedAnswer
{
    public List<AnswerAction> Actions { get; } = [];

    public bool EndsConnection => Actions.Any(a => a.EndsConnection);

    /// <summary>A canonical response (HDR-2, MSG-4): header, then the JSON body text plus LF when status is OK.</summary>
    public static byte[] CanonicalJsonResponse(string json) =>
        [.. FrameBytes.CanonicalMessage(WireConstants.Header, ResponseHeader(WireConstants.StatusOk, WireConstants.DataTypeJson, "")),
         .. FrameBytes.CanonicalMessage(WireConstants.Data, System.Text.Encoding.UTF8.GetBytes(json + "\n"))];

    /// <summary>The canonical header of a response (RPC-4/RPC-5: empty Endpoint, Accept 0).</summary>
    public static byte[] ResponseHeader(ulong status, int dataType, string message) =>
        System.Text.Encoding.UTF8.GetBytes(
            $"{{\"Endpoint\":\"\",\"DataType\":{dataType},\"Accept\":0,\"Error\":{status},\"ErrorMessage\":{HeaderJson.Quote(message)}}}\n");
}
