using System.Net.Sockets;
using System.Text.Json;
using NUnit.Framework;
using Zrpc.Rpc;
using Zrpc.TestService;
using Zrpc.Tests.EndToEnd;
using Zrpc.Transport;

namespace Zrpc.Tests.Reliability;

/// <summary>
/// Faults on the other side of the wire: the client must report them as errors within its
/// timeout and never hand out a truncated body as complete (CLI-4); the server must keep serving
/// others when a client vanishes (TRANS-2).
/// </summary>
[Category("Reliability")]
public sealed class FaultTests
{
    [Test, Category("CLI-4"), Category("CONN-4")]
    public async Task Server_killed_mid_transfer_is_an_error_not_a_short_body()
    {
        await using var server = await ServeProcess.StartAsync("tcp://127.0.0.1:0");
        await using var client = new RpcClient(await Connector.ConnectAsync(server.Address, default), new RpcClientOptions());
        await using var body = await client.CallAsync<ConformanceService.SourceRequest, Stream>("Source", new() { Length = 1L << 30 }, default);
        var buffer = new byte[1 << 16];
        long received = 0;
        var killed = false;
        var failure = await Assert.CatchAsync(async () =>
        {
            int n;
            while ((n = await body.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(20))) > 0)
            {
                received += n;
                if (!killed && received > 8 << 20)
                {
                    server.Process.Kill();
                    killed = true;
                }
            }
        });
        Assert.That(killed, Is.True, $"the transfer failed before the kill, after {received} bytes: {failure}");
        Assert.That(failure, Is.InstanceOf<ProtocolException>().Or.InstanceOf<IOException>(),
            $"after {received} of 1 GiB the body must fail, not end: {failure}");
        Assert.That(received, Is.LessThan(1L << 30));
    }

    [Test, Category("TRANS-2"), Category("CONN-4")]
    public async Task Clients_vanishing_mid_request_and_mid_response_leave_the_server_serving()
    {
        await using var server = await ServeProcess.StartAsync("tcp://127.0.0.1:0");

        // Mid-request: a Sink header and half a body, then the socket is closed.
        var endPoint = System.Net.IPEndPoint.Parse(server.Address.ToString()["tcp://".Length..]);
        using (var socket = new Socket(SocketType.Stream, ProtocolType.Tcp))
        {
            await socket.ConnectAsync(endPoint);
            var header = RpcHeader.Request("Sink", DataType.Octets, DataType.MarshaledJson).ToCanonicalBytes();
            await socket.SendAsync(new byte[] { 0x01, 0x01, (byte)header.Length, 0, 0, 0 }.Concat(header).Concat(new byte[] { 0x02, 0x00, 0x00, 0x10, 0, 0 }).Concat(new byte[100]).ToArray());
        }

        // Mid-response: a large Source, abandoned after the first bytes.
        using (var socket = new Socket(SocketType.Stream, ProtocolType.Tcp))
        {
            await socket.ConnectAsync(endPoint);
            await using var client = new RpcClient(new NetworkStream(socket, ownsSocket: false), new RpcClientOptions());
            var body = await client.CallAsync<ConformanceService.SourceRequest, Stream>("Source", new() { Length = 1L << 30 }, default);
            await body.ReadExactlyAsync(new byte[1000]);
            socket.Close();
        }

        await using var healthy = new RpcClient(await Connector.ConnectAsync(server.Address, default), new RpcClientOptions());
        var echoed = await healthy.CallAsync<JsonElement, JsonElement>("Echo", JsonDocument.Parse("{\"still\":\"here\"}").RootElement, default)
            .WaitAsync(TimeSpan.FromSeconds(20));
        Assert.That(echoed.GetProperty("still").GetString(), Is.EqualTo("here"));
        Assert.That(server.Process.HasExited, Is.False);
    }
}
