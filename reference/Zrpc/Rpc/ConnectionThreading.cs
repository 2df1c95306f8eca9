namespace Zrpc.Rpc;

/// <summary>How <see cref="RpcServer.ServeAsync"/> waits for the requests of a TCP or Unix connection.</summary>
public enum ConnectionThreading
{
    /// <summary>Every connection is served with asynchronous reads on the thread pool.</summary>
    Async,

    /// <summary>
    /// The first <see cref="RpcServerOptions.ThreadedConnections"/> connections open at once get a
    /// thread of their own, as with <see cref="ThreadPerConnection"/>; the others are served with
    /// asynchronous reads, as with <see cref="Async"/>. A few busy connections get the lower
    /// latency of a blocked thread, and no number of idle or slow peers makes the server create
    /// more threads than that. The default.
    /// </summary>
    Auto,

    /// <summary>
    /// Every connection is served on a thread of its own with blocking socket calls
    /// (<see cref="Transport.BlockingSocketStream"/>): one thread per open connection, up to
    /// <see cref="RpcServerOptions.MaxConnections"/>.
    /// </summary>
    ThreadPerConnection,
}
