using System.Text.Json;

namespace Zrpc.Rpc;

/// <summary>
/// Calls an <see cref="RpcServer"/>'s handlers in process, without frames (the seed's "local"
/// RPC). Checks and outcomes match the wire: the same RequestError wording for SRV-1..SRV-4,
/// status Error for handler failures (SRV-5), ServerError when the result cannot be encoded
/// (SRV-6), and JSON values round-trip through serialization so that a handler sees exactly what
/// it would see from the network.
/// </summary>
public sealed class LocalRpcClient : IRpcClient
{
    private readonly RpcServer _server;

    public LocalRpcClient(RpcServer server)
    {
        _server = server ?? throw new ArgumentNullException(nameof(server));
    }

    public async Task<TResponse> CallAsync<TRequest, TResponse>(string endpoint, TRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        DataType body = RpcJson.DataTypeOf(typeof(TRequest));
        DataType accept = RpcJson.DataTypeOf(typeof(TResponse));
        if (!_server.TryGetEndpoint(endpoint, out var target))
        {
            throw new RpcStatusException(Status.RequestError, Endpoint.Unregistered(endpoint));
        }

        if (body != target.RequestType)
        {
            throw new RpcStatusException(Status.RequestError, target.WrongDataType((byte)body));
        }

        if (accept != target.ResponseType)
        {
            throw new RpcStatusException(Status.RequestError, target.WrongAccept((byte)accept));
        }

        object? input;
        if (body == DataType.Octets)
        {
            input = (object?)request ?? Stream.Null;
        }
        else
        {
            byte[] json = RpcJson.Serialize(request, typeof(TRequest));
            try
            {
                input = RpcJson.Deserialize(json, target.RequestClrType);
            }
            catch (JsonException ex)
            {
                throw new RpcStatusException(Status.RequestError, $"cannot decode marshaled JSON: {ex.Message}");
            }
        }

        object? output;
        try
        {
            output = await target.InvokeAsync(input, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (!(ex is OperationCanceledException && ct.IsCancellationRequested))
        {
            throw new RpcStatusException(Status.Error, RpcHeader.Failure(Status.Error, ex.Message).ErrorMessage);
        }

        if (accept == DataType.Octets)
        {
            return output is Stream stream
                ? (TResponse)(object)stream
                : throw new RpcStatusException(Status.ServerError, "handler returned no response stream");
        }

        byte[] encoded;
        try
        {
            encoded = RpcJson.Serialize(output, target.ResponseClrType);
        }
        catch (Exception ex)
        {
            throw new RpcStatusException(Status.ServerError, $"cannot marshal response: {ex.Message}");
        }

        try
        {
            return (TResponse)RpcJson.Deserialize(encoded, typeof(TResponse))!;
        }
        catch (JsonException ex)
        {
            throw new ProtocolException(RequirementId.Rpc7, $"cannot decode the MarshaledJSON response body of {endpoint}: {ex.Message}", ex);
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
