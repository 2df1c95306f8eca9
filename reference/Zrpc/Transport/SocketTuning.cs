using System.Net.Sockets;

namespace Zrpc.Transport;

/// <summary>Socket settings shared by TCP and Unix connections.</summary>
internal static class SocketTuning
{
    /// <summary>
    /// One full frame (4 MiB payload, FRAME-5) fits in the kernel buffers, so a bulk Octets body
    /// flows without the sender stalling on every frame. The kernel clamps the value to its own maximum.
    /// </summary>
    public const int BufferSize = 4 * 1024 * 1024;

    public static void Apply(Socket socket)
    {
        if (socket.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)
        {
            // Frames are already written whole (FRAME-12); Nagle would only delay the small header
            // messages of each request and response.
            socket.NoDelay = true;
        }
        try
        {
            socket.SendBufferSize = BufferSize;
            socket.ReceiveBufferSize = BufferSize;
        }
        catch (SocketException)
        {
            // Some platforms refuse large values; the defaults still work, only slower.
        }
    }
}
