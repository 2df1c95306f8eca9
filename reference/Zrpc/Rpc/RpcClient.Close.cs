namespace Zrpc.Rpc;

public sealed partial class RpcClient
{
    /// <summary>
    /// Ends the connection. Profile 6ab05ee: RST, then close, like the 2017 client (CONN-3).
    /// Profile fa4d209 on a healthy connection with no call in progress: the Close handshake
    /// (FACLI-1): the Close request, its answer within <see cref="RpcClientOptions.CloseTimeout"/>,
    /// then RST and close (FACLI-3). The connection is closed in every case; a failed handshake
    /// throws afterwards (<see cref="RpcStatusException"/> for a non-OK answer,
    /// <see cref="TimeoutException"/>, <see cref="ProtocolException"/>), so that a caller can
    /// report that the server did not confirm the close.
    /// </summary>
    public async Task CloseAsync(CancellationToken ct)
    {
        if (_disposed || _ended)
        {
            return;
        }

        bool handshake = _options.Profile == Profile.Fa4d209 && Interlocked.CompareExchange(ref _inCall, 1, 0) == 0;
        if (!handshake)
        {
            // 6ab05ee, or a call still in progress: no handshake is possible on this stream.
            await EndConnectionAsync(sendRst: true).ConfigureAwait(false);
            return;
        }

        try
        {
            await CloseHandshake.ClientCloseAsync(_reader, _writer, _options.CloseTimeout, ct).ConfigureAwait(false);
        }
        catch
        {
            // FACLI-2, FACLI-4: end the connection without waiting further; RST is optional, and sent.
            await EndConnectionAsync(sendRst: !_frameWriter.ResetSent).ConfigureAwait(false);
            throw;
        }
        finally
        {
            ExitCall();
        }

        await EndConnectionAsync(sendRst: false).ConfigureAwait(false); // the handshake sent RST (FACLI-3)
    }
}
