using System.IO.Pipes;
using System.Net;
using Zrpc.Transport;

namespace Zrpc.Bench;

/// <summary>Both ends of one connection, made in this process with the reference transports.</summary>
public sealed class ConnectionPair(Stream client, Stream server, IAsyncDisposable? owner) : IAsyncDisposable
{
    public Stream Client { get; } = client;

    public Stream Server { get; } = server;

    public async ValueTask DisposeAsync()
    {
        await Quiet(Client.DisposeAsync);
        await Quiet(Server.DisposeAsync);
        if (owner is not null) await Quiet(owner.DisposeAsync);
    }

    private static async ValueTask Quiet(Func<ValueTask> dispose)
    {
        try { await dispose(); } catch { /* a pair torn down after a failure */ }
    }
}

/// <summary>Opens connected pairs over TCP loopback, a Unix socket or two anonymous pipes.</summary>
public static class TransportPairs
{
    public static async Task<ConnectionPair> OpenAsync(string transport, CancellationToken ct)
    {
        switch (transport)
        {
            case "tcp":
            {
                var listener = new TcpConnectionListener(new IPEndPoint(IPAddress.Loopback, 0));
                var accept = listener.AcceptAsync(ct).AsTask();
                var client = await Connector.ConnectAsync(listener.Address, ct);
                var server = await accept ?? throw new IOException("listener closed");
                return new ConnectionPair(client, server, listener);
            }
            case "unix":
            {
                string path = Path.Combine(Path.GetTempPath(), $"zrpc-bench-{Environment.ProcessId}-{Guid.NewGuid():N}.sock");
                var listener = new UnixConnectionListener(path);
                var accept = listener.AcceptAsync(ct).AsTask();
                var client = await Connector.ConnectAsync(listener.Address, ct);
                var server = await accept ?? throw new IOException("listener closed");
                return new ConnectionPair(client, server, listener);
            }
            case "pipe":
            {
                // Two one-way pipes make the full-duplex connection, like a child process's stdin/stdout.
                var toServer = new AnonymousPipeServerStream(PipeDirection.Out);
                var serverIn = new AnonymousPipeClientStream(PipeDirection.In, toServer.ClientSafePipeHandle);
                var toClient = new AnonymousPipeServerStream(PipeDirection.Out);
                var clientIn = new AnonymousPipeClientStream(PipeDirection.In, toClient.ClientSafePipeHandle);
                return new ConnectionPair(new DuplexStream(clientIn, toServer), new DuplexStream(serverIn, toClient), null);
            }
            default:
                throw new ArgumentException($"unknown transport '{transport}'");
        }
    }
}
