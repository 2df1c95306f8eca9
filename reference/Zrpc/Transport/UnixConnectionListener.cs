using System.Net.Sockets;

namespace Zrpc.Transport;

/// <summary>
/// Accepts connections on a Unix stream socket (TRANS-1). A socket file left behind by a server that
/// died (connecting to it is refused) is removed before binding; a socket that still has a live
/// server behind it, and any file that is not a socket, is never touched.
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
            BindWithoutAutoUnlink(_socket, path);
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
        switch (FileKinds.Of(path, followLinks: false))
        {
            case FileKind.Missing:
                return;
            case FileKind.Socket:
                break;
            case FileKind.Directory:
                throw new IOException($"cannot listen on unix://{path}: it is a directory");
            case var other:
                // Only a socket file can be a stale socket; anything else belongs to someone else.
                throw new IOException($"cannot listen on unix://{path}: a {Describe(other)} exists there, and only a stale socket file is ever removed");
        }

        // A socket that refuses connections has no server behind it any more.
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
        catch (SocketException e)
        {
            throw new IOException($"cannot listen on unix://{path}: a socket file exists there and probing it failed ({e.Message}); it is left alone");
        }
        throw new IOException($"cannot listen on unix://{path}: another server is accepting connections there");
    }

    /// <summary>
    /// .NET unlinks the path a socket was bound to when the socket is disposed, whatever is there
    /// by then. Binding under a private name and moving the socket file to <paramref name="path"/>
    /// leaves that unlink nothing to hit; <see cref="DisposeAsync"/> removes the file only while it
    /// is still a socket.
    /// </summary>
    private static void BindWithoutAutoUnlink(Socket socket, string path)
    {
        string directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path)) ?? ".";
        string bindAt = System.IO.Path.Combine(directory, $".zrpc-{Random.Shared.Next():x8}");
        if (System.Text.Encoding.UTF8.GetByteCount(bindAt) >= 104)
        {
            socket.Bind(new UnixDomainSocketEndPoint(path)); // no room for a private name
            return;
        }

        socket.Bind(new UnixDomainSocketEndPoint(bindAt));
        try
        {
            File.Move(bindAt, path, overwrite: false); // fails rather than replace what appeared meanwhile
        }
        catch
        {
            File.Delete(bindAt);
            throw;
        }
    }

    private static string Describe(FileKind kind) => kind switch
    {
        FileKind.Regular => "regular file",
        FileKind.SymbolicLink => "symbolic link",
        FileKind.CharacterDevice => "character device",
        FileKind.BlockDevice => "block device",
        FileKind.Fifo => "named pipe (FIFO)",
        _ => "file that is not a socket",
    };

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
                // Whatever replaced our socket file meanwhile is not ours to delete.
                if (FileKinds.Of(Path, followLinks: false) == FileKind.Socket) File.Delete(Path);
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
