namespace Zrpc.Rpc;

/// <summary>
/// A raw response: the header as received and its body. <see cref="Body"/> is empty for a
/// non-OK status (RPC-3); otherwise it must be read to its end or disposed before the next call.
/// </summary>
public sealed record RpcResponse(RpcHeader Header, Stream Body) : IAsyncDisposable
{
    public bool IsOk => Header.Error == (ulong)Status.Ok;

    public ValueTask DisposeAsync() => Body.DisposeAsync();
}
