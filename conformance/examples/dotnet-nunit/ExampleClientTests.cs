using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Zrpc;
using Zrpc.Conformance.NUnit;
using Zrpc.Rpc;
using Zrpc.Transport;

namespace ZrpcConformanceExample;

/// <summary>
/// Every client-role scenario of the kit against "your" client, here the reference RpcClient (the
/// Zrpc package): the kit plays the server, byte by byte, and calls the client through
/// <see cref="IConformanceClient"/>.
/// </summary>
public class ExampleClientTests : ClientConformanceTests
{
    protected override IConformanceClient CreateClient() => new ReferenceClient();

    private sealed class ReferenceClient : IConformanceClient
    {
        public async ValueTask<IConformanceClientConnection> ConnectAsync(string address, TimeSpan callTimeout, CancellationToken cancellationToken)
        {
            var stream = await Connector.ConnectAsync(TransportAddress.Parse(address), cancellationToken);
            // The client's own timeouts are the only bound on a call (CLI-6, CONN-5).
            return new Connection(new RpcClient(stream, new RpcClientOptions { CallTimeout = callTimeout, ReadTimeout = callTimeout }));
        }
    }

    private sealed class Connection(RpcClient client) : IConformanceClientConnection
    {
        public async ValueTask<ClientCallOutcome> CallAsync(ClientCall call, CancellationToken cancellationToken)
        {
            try
            {
                var accept = (DataType)call.Accept;
                await using var response = call.RequestType == BodyType.Octets
                    ? await client.CallRawAsync(call.Endpoint, DataType.Octets, accept, call.OpenOctets(), cancellationToken)
                    : await client.CallRawAsync(call.Endpoint, DataType.MarshaledJson, accept,
                        Encoding.UTF8.GetBytes((call.Json?.ToJsonString() ?? "null") + "\n"), cancellationToken);
                if (!response.IsOk)
                {
                    return ClientCallOutcome.Status(response.Header.Error, response.Header.ErrorMessage);
                }

                if (call.Accept != BodyType.MarshaledJson)
                {
                    return await ClientCallOutcome.BodyAsync(call.Accept, response.Body, cancellationToken);
                }

                try
                {
                    return ClientCallOutcome.Json(await JsonNode.ParseAsync(response.Body, cancellationToken: cancellationToken));
                }
                catch (JsonException e)
                {
                    return ClientCallOutcome.Error($"the MarshaledJSON response body is not one JSON value: {e.Message}", "RPC-7");
                }
            }
            catch (ProtocolException e)
            {
                return ClientCallOutcome.Error(e.Message, e.RequirementId);
            }
            catch (TimeoutException e)
            {
                return ClientCallOutcome.Error(e.Message, "CLI-6");
            }
        }

        public ValueTask DisposeAsync() => client.DisposeAsync();
    }
}
