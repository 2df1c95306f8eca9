using System.Net.Sockets;

namespace Zrpc.Transport;

/// <summary>
/// Accepts connections on a Unix stream socket (TRANS-1). A socket file left behind by a server that
/// died is removed before binding; a socket that still has a live server behind it is not touched.
/// The socket file is deleted when the listener is disposed.
/// </summary>
public sealed class UnixConnectionListener : IConnectionListener
{
    private readonly Socket _socket;
    private int _disposed;

    public UnixConnectionListener(string path, int backlog = 512)
    {
        Path = path;
        RemoveStaleSocketFile(path);
        _socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            _socket.Bind(new UnixDomainSocketEndPoint(path));
            _socket.Listen(backlog);
        }
        catch
        {
            _socket.Dispose();
            throw;
        }
    }

    public string Path { get; }

    public TransportAddress Address => TransportAddress.Unix(Path);

    private static void RemoveStaleSocketFile(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            if (Directory.Exists(path)) throw new IOException($"cannot listen on unix://{path}: it is a directory");
            return;
        }

        // .NET cannot ask whether a file is a socket; a socket has no content, and a connect that is
        // refused means no server is behind it. A regular file with content is never deleted.
        if (info.Length != 0)
            throw new IOException($"cannot listen on unix://{path}: a regular file with content exists there");
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
        {
            File.Delete(path);
            return;
        }
        throw new IOException($"cannot listen on unix://{path}: another server is accepting connections there");
    }

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
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _socket.Dispose();
            try
            {
                File.Delete(Path);
            }
            catch (IOException)
            {
                // Someone else already removed or replaced it; nothing of ours is left to clean up.
            }
        }
        return ValueTask.CompletedTask;
    }

    public override string ToString() => Address.ToString();
}
