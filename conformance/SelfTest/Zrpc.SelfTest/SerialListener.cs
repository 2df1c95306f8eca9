using Zrpc.SelfTest.Wire;
using Zrpc.Transport;

namespace Zrpc.SelfTest;

/// <summary>
/// Accepts the next connection only after the previous one has ended: a server that serves one
/// connection at a time (against TRANS-3).
/// </summary>
internal sealed class SerialListener(IConnectionListener inner) : IConnectionListener
{
    private readonly SemaphoreSlim _one = new(1, 1);

    public async ValueTask<Stream?> AcceptAsync(CancellationToken cancellationToken)
    {
        await _one.WaitAsync(cancellationToken).ConfigureAwait(false);
        Stream? connection;
        try
        {
            connection = await inner.AcceptAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            _one.Release();
            throw;
        }

        if (connection is null)
        {
            _one.Release();
            return null;
        }

        return new DelegatingStream(connection, () => _one.Release());
    }

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
