using System.Net;
using System.Net.Sockets;

namespace Zrpc.Transport;

/// <summary>Accepts TCP connections (TRANS-1).</summary>
public sealed class TcpConnectionListener : IConnectionListener
{
    private readonly Socket _socket;
    private int _disposed;

    public TcpConnectionListener(IPEndPoint endPoint, int backlog = 512)
    {
        _socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (endPoint.AddressFamily == AddressFamily.InterNetworkV6 && endPoint.Address.Equals(IPAddress.IPv6Any))
                _socket.DualMode = true;
            // A restarted server can bind while old connections linger in TIME_WAIT.
            _socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            _socket.Bind(endPoint);
            _socket.Listen(backlog);
        }
        catch
        {
            _socket.Dispose();
            throw;
        }
        LocalEndPoint = (IPEndPoint)_socket.LocalEndPoint!;
    }

    /// <summary>The bound end point; its port is the real one when port 0 was asked for.</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>The address clients can connect to (the bound one, with the real port).</summary>
    public TransportAddress Address => TransportAddress.Tcp(LocalEndPoint.Address.ToString(), LocalEndPoint.Port);

    public async ValueTask<Stream?> AcceptAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _disposed) != 0) return null;
        Socket connection;
        try
        {
            connection = await _socket.AcceptAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (Volatile.Read(ref _disposed) != 0 && e is ObjectDisposedException or SocketException)
        {
            return null;
        }
        SocketTuning.Apply(connection);
        return new NetworkStream(connection, ownsSocket: true);
    }

    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0) _socket.Dispose();
        return ValueTask.CompletedTask;
    }

    public override string ToString() => Address.ToString();
}
