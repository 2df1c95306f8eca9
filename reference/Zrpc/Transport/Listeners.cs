using System.Net;
using System.Net.Sockets;

namespace Zrpc.Transport;

/// <summary>Opens the listener that matches a <see cref="TransportAddress"/>.</summary>
public static class Listeners
{
    /// <summary>
    /// Starts listening on <paramref name="address"/>: tcp (port 0 picks a free port; see
    /// <see cref="TcpConnectionListener.LocalEndPoint"/>), unix, or stdio (exactly one connection).
    /// exec addresses cannot be listened on.
    /// </summary>
    public static IConnectionListener Listen(TransportAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return address.Kind switch
        {
            TransportKind.Tcp => new TcpConnectionListener(ResolveForListening(address)),
            TransportKind.Unix => new UnixConnectionListener(address.Path),
            TransportKind.Stdio => new StdioConnectionListener(),
            _ => throw new ArgumentException($"cannot listen on '{address}': only tcp://, unix:// and stdio accept connections", nameof(address)),
        };
    }

    private static IPEndPoint ResolveForListening(TransportAddress address)
    {
        if (IPAddress.TryParse(address.Host, out var ip)) return new IPEndPoint(ip, address.Port);
        if (address.Host == "*") return new IPEndPoint(IPAddress.IPv6Any, address.Port);
        var candidates = Dns.GetHostAddresses(address.Host);
        var chosen = candidates.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork)
                     ?? candidates.FirstOrDefault()
                     ?? throw new IOException($"cannot listen on '{address}': host '{address.Host}' has no address");
        return new IPEndPoint(chosen, address.Port);
    }
}
