namespace Zrpc;

/// <summary>
/// A violation of the protocol by the peer (or a broken byte stream). Every protocol error ends
/// the connection (CONN-1); <see cref="RequirementId"/> names the catalogue requirement it enforces.
/// </summary>
public class ProtocolException : Exception
{
    public ProtocolException(string requirementId, string message)
        : base(message)
    {
        RequirementId = requirementId;
    }

    public ProtocolException(string requirementId, string message, Exception? inner)
        : base(message, inner)
    {
        RequirementId = requirementId;
    }

    /// <summary>Catalogue id of the violated requirement, e.g. "FRAME-6".</summary>
    public string RequirementId { get; }
}

/// <summary>The peer sent an RST frame: the connection is over and any call in progress fails (CONN-2).</summary>
public sealed class ConnectionResetException : ProtocolException
{
    public ConnectionResetException()
        : base("CONN-2", "the peer reset the connection (RST frame received, CONN-2)")
    {
    }

    public ConnectionResetException(string message)
        : base("CONN-2", message)
    {
    }
}
