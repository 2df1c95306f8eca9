using System.Net;
using System.Net.Sockets;

namespace Zrpc.Transport;

/// <summary>Opens a client connection to a <see cref="TransportAddress"/>.</summary>
public static class Connector
{
    /// <summary>
    /// Connects: tcp and unix return a socket stream; exec starts the program and returns a
    /// <see cref="ProcessStream"/> over its stdin/stdout (its stderr in
    /// <see cref="ProcessStream.StandardErrorText"/>). stdio cannot be connected to.
    /// Failures to reach the peer are <see cref="IOException"/> or <see cref="SocketException"/>.
    /// </summary>
    public static Task<Stream> ConnectAsync(TransportAddress address, CancellationToken cancellationToken) =>
        ConnectAsync(address, standardErrorOfChild: null, cancellationToken);

    /// <param name="standardErrorOfChild">For exec: also receives the child's stderr text as it arrives.</param>
    public static async Task<Stream> ConnectAsync(TransportAddress address, Action<string>? standardErrorOfChild, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(address);
        cancellationToken.ThrowIfCancellationRequested();
        switch (address.Kind)
        {
            case TransportKind.Tcp or TransportKind.Unix:
                {
                    var (socket, endPoint) = CreateSocket(address);
                    return await ConnectSocketAsync(socket, endPoint, cancellationToken).ConfigureAwait(false);
                }
            case TransportKind.Exec:
                return ProcessStream.Start(address.Command, address.Arguments, standardErrorOfChild);
            default:
                throw new ArgumentException($"cannot connect to '{address}': use tcp://, unix:// or exec:", nameof(address));
        }
    }

    /// <summary>
    /// Connects to a tcp or unix address and returns a <see cref="BlockingSocketStream"/>: every
    /// read and write of the connection then blocks its caller, which suits a client with a
    /// thread of its own making calls one after the other (the lowest latency per call).
    /// </summary>
    public static async Task<Stream> ConnectBlockingAsync(TransportAddress address, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(address);
        cancellationToken.ThrowIfCancellationRequested();
        if (address.Kind is not (TransportKind.Tcp or TransportKind.Unix))
        {
            throw new ArgumentException($"cannot connect to '{address}' with blocking socket calls: use tcp:// or unix://", nameof(address));
        }

        var (socket, endPoint) = CreateSocket(address);
        try
        {
            SocketTuning.Apply(socket);
            // A synchronous connect on a pool thread: an asynchronous one would register the socket
            // with epoll, after which the runtime only emulates blocking calls.
            using (cancellationToken.UnsafeRegister(static s => ((Socket)s!).Dispose(), socket))
            {
                await Task.Run(() => socket.Connect(endPoint), CancellationToken.None).ConfigureAwait(false);
            }

            cancellationToken.ThrowIfCancellationRequested();
            return new BlockingSocketStream(socket);
        }
        catch (Exception e) when (cancellationToken.IsCancellationRequested && e is not OperationCanceledException)
        {
            socket.Dispose();
            throw new OperationCanceledException("the connect was cancelled", e, cancellationToken);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static (Socket Socket, EndPoint EndPoint) CreateSocket(TransportAddress address)
    {
        if (address.Kind == TransportKind.Unix)
        {
            return (new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified), new UnixDomainSocketEndPoint(address.Path));
        }

        EndPoint endPoint = IPAddress.TryParse(address.Host, out var ip)
            ? new IPEndPoint(ip, address.Port)
            : new DnsEndPoint(address.Host, address.Port);
        // A dual-mode socket reaches both IPv4 and IPv6 peers of a resolved name.
        var socket = endPoint is IPEndPoint ipEndPoint
            ? new Socket(ipEndPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp)
            : new Socket(SocketType.Stream, ProtocolType.Tcp);
        return (socket, endPoint);
    }

    private static async Task<Stream> ConnectSocketAsync(Socket socket, EndPoint endPoint, CancellationToken cancellationToken)
    {
        try
        {
            SocketTuning.Apply(socket);
            await socket.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
