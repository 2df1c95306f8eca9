using System.IO.Pipes;
using System.Net;
using System.Net.Sockets;
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
    /// <summary>Size asked for each pipe (raw copy and protocol alike): 1 MiB, the default pipe-max-size.</summary>
    public const int PipeBytes = 1 << 20;

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
                    // Two one-way pipes make the full-duplex connection, like a child process's stdin/stdout,
                    // each end served by the reference's PipeEndStream.
                    var toServer = new AnonymousPipeServerStream(PipeDirection.Out);
                    var toClient = new AnonymousPipeServerStream(PipeDirection.Out);
                    PipeSize.TryEnlarge(toServer.SafePipeHandle, PipeBytes);
                    PipeSize.TryEnlarge(toClient.SafePipeHandle, PipeBytes);
                    var client = new DuplexStream(
                        new PipeEndStream(toClient.ClientSafePipeHandle, FileAccess.Read, ownsHandle: true),
                        new PipeEndStream(toServer.SafePipeHandle, FileAccess.Write, ownsHandle: true));
                    var server = new DuplexStream(
                        new PipeEndStream(toServer.ClientSafePipeHandle, FileAccess.Read, ownsHandle: true),
                        new PipeEndStream(toClient.SafePipeHandle, FileAccess.Write, ownsHandle: true));
                    return new ConnectionPair(client, server, new PipeOwners(toServer, toClient));
                }
            default:
                throw new ArgumentException($"unknown transport '{transport}'");
        }
    }
}

/// <summary>
/// Both ends of one socket connection as <see cref="BlockingSocketStream"/>s: the client connected
/// with <see cref="Connector.ConnectBlockingAsync"/>, the server end accepted by the reference listener.
/// </summary>
public static class BlockingPairs
{
    public static async Task<ConnectionPair> OpenAsync(string transport, CancellationToken ct)
    {
        var (listener, address) = Listen(transport);
        var accept = listener.AcceptAsync(ct).AsTask();
        var client = await Connector.ConnectBlockingAsync(address, ct);
        var server = (NetworkStream)(await accept ?? throw new IOException("listener closed"));
        return new ConnectionPair(client, new BlockingSocketStream(server.Socket), listener);
    }

    /// <summary>A reference listener on loopback or on a fresh Unix socket path, and the address to reach it.</summary>
    public static (IConnectionListener Listener, TransportAddress Address) Listen(string transport)
    {
        switch (transport)
        {
            case "tcp":
                {
                    var tcp = new TcpConnectionListener(new IPEndPoint(IPAddress.Loopback, 0));
                    return (tcp, tcp.Address);
                }
            case "unix":
                {
                    var unix = new UnixConnectionListener(Path.Combine(Path.GetTempPath(), $"zrpc-bench-{Environment.ProcessId}-{Guid.NewGuid():N}.sock"));
                    return (unix, unix.Address);
                }
            default:
                throw new ArgumentException($"blocking socket calls need tcp or unix, not '{transport}'");
        }
    }
}

/// <summary>Keeps the pipe streams that created the descriptors alive until the pair is torn down.</summary>
internal sealed class PipeOwners(params Stream[] owners) : IAsyncDisposable
{
    public async ValueTask DisposeAsync()
    {
        foreach (var owner in owners) await owner.DisposeAsync();
    }
}
