namespace Zrpc;

/// <summary>
/// A violation of the protocol by the peer (or a broken byte stream). Every protocol error ends
/// the connection (CONN-1); <see cref="Requirement"/> names the requirement it enforces, and the
/// message ends with that id in parentheses, written here and nowhere else.
/// </summary>
public class ProtocolException : Exception
{
    public ProtocolException(RequirementId requirement, string detail, Exception? inner = null)
        : base($"{detail} ({requirement})", inner)
    {
        Requirement = requirement;
        Detail = detail;
    }

    /// <summary>What was wrong, without the id (for a tool that writes the id itself).</summary>
    public string Detail { get; }

    /// <summary>The violated requirement, e.g. FRAME-6.</summary>
    public RequirementId Requirement { get; }

    /// <summary>The violated requirement's id as text.</summary>
    public string RequirementId => Requirement.Value;
}

/// <summary>The peer sent an RST frame: the connection is over and any call in progress fails (CONN-2).</summary>
public sealed class ConnectionResetException : ProtocolException
{
    public ConnectionResetException()
        : base(Spec.RequirementId.Conn2, "the peer reset the connection (RST frame received)")
    {
    }

    /// <param name="detail">Where the reset came; the id is appended.</param>
    public ConnectionResetException(string detail)
        : base(Spec.RequirementId.Conn2, detail)
    {
    }
}

/// <summary>
/// A limit of this implementation was reached, one the protocol does not set (such as the
/// client's bound on a JSON body it decodes in memory). The peer broke no requirement.
/// </summary>
public sealed class LocalLimitException(string message) : Exception(message);
