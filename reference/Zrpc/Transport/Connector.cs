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
            case TransportKind.Tcp:
            {
                EndPoint endPoint = IPAddress.TryParse(address.Host, out var ip)
                    ? new IPEndPoint(ip, address.Port)
                    : new DnsEndPoint(address.Host, address.Port);
                // A dual-mode socket reaches both IPv4 and IPv6 peers of a resolved name.
                var socket = endPoint is IPEndPoint ipEndPoint
                    ? new Socket(ipEndPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp)
                    : new Socket(SocketType.Stream, ProtocolType.Tcp);
                return await ConnectSocketAsync(socket, endPoint, cancellationToken).ConfigureAwait(false);
            }
            case TransportKind.Unix:
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                return await ConnectSocketAsync(socket, new UnixDomainSocketEndPoint(address.Path), cancellationToken).ConfigureAwait(false);
            }
            case TransportKind.Exec:
                return ProcessStream.Start(address.Command, address.Arguments, standardErrorOfChild);
            default:
                throw new ArgumentException($"cannot connect to '{address}': use tcp://, unix:// or exec:", nameof(address));
        }
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
