namespace Zrpc.Rpc;

/// <summary>Body types carried in the header's DataType and Accept fields (HDR-9).</summary>
public enum DataType : byte
{
    Unset = 0,
    None = 1,
    MarshaledJson = 2,
    Octets = 3,
}
