namespace Zrpc.Rpc;

/// <summary>
/// Calls endpoints of a server, one exchange at a time. A <see cref="Stream"/> request is sent as
/// Octets; a <see cref="Stream"/> response is handed to the caller, who must read or dispose it
/// before the next call. Any other type travels as MarshaledJSON.
/// </summary>
public interface IRpcClient : IAsyncDisposable
{
    Task<TResponse> CallAsync<TRequest, TResponse>(string endpoint, TRequest request, CancellationToken ct);
}
