namespace Zrpc.Rpc;

/// <summary>Response status carried in the header's Error field (HDR-9).</summary>
public enum Status : ulong
{
    Unset = 0,
    Ok = 1,
    /// <summary>The client is at fault.</summary>
    RequestError = 2,
    /// <summary>The server is at fault.</summary>
    ServerError = 3,
    /// <summary>A handler failed; fault unknown.</summary>
    Error = 4,
}
