namespace Zrpc.Rpc;

/// <summary>The server answered with a status other than OK (CLI-1).</summary>
public class RpcStatusException : Exception
{
    public RpcStatusException(Status status, string errorMessage)
        : base($"RPC failed with status {(ulong)status} ({status}): {errorMessage}")
    {
        Status = status;
        ErrorMessage = errorMessage;
    }

    public Status Status { get; }

    public string ErrorMessage { get; }
}
