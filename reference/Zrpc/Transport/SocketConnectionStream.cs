using System.Net.Sockets;

namespace Zrpc.Transport;

/// <summary>
/// The stream of an accepted or connected TCP or Unix socket: a <see cref="NetworkStream"/> whose
/// asynchronous reads first watch the socket for a moment (<see cref="ArrivalSpin"/>) when no
/// bytes are there yet. A reply that comes within the spin is read at once, on the same thread,
/// instead of through the epoll thread, a thread-pool hop and a parked vCPU's wake-up.
/// </summary>
public sealed class SocketConnectionStream : NetworkStream
{
    private readonly TimeSpan _spin;

    /// <param name="spinBeforeWaiting">How long a read watches for bytes before it waits asynchronously (default 20 us; zero: never).</param>
    public SocketConnectionStream(Socket socket, TimeSpan? spinBeforeWaiting = null)
        : base(socket, ownsSocket: true)
    {
        _spin = spinBeforeWaiting ?? ArrivalSpin.Default;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (!cancellationToken.IsCancellationRequested && buffer.Length > 0)
        {
            ArrivalSpin.WaitForBytes(Socket, _spin);
        }

        return base.ReadAsync(buffer, cancellationToken);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
}
