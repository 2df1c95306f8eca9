using System.Collections.Concurrent;
using System.Net.Sockets;
using Zrpc.Conformance.Steps.Wire;
using Zrpc.Rpc;
using Zrpc.TestService;
using Zrpc.Transport;

namespace Zrpc.Conformance.Adapters;

/// <summary>
/// The default target: the reference RpcServer with the Conformance Test Service, started inside
/// the runner on a loopback TCP listener. Real sockets (not in-memory pipes) so that close and
/// reset behave exactly as they would for an external implementation (TRANS-1).
/// </summary>
/// <remarks>
/// With a <see cref="IReferenceServerVariant"/> it runs a variant a host registered instead (the
/// kit's self-test: one of its deliberately broken servers). A variant that crashes the server
/// cannot end the kit's own process: here it closes the listener and every connection at once,
/// which is what the peer of a crashed server sees, and the server stays down.
/// </remarks>
public sealed class ReferenceServerTarget(IReferenceServerVariant? variant = null, Steps.Wire.KitProfile profile = Steps.Wire.KitProfile.P6ab05ee) : IServerTarget
{
    public const string DisplayName = "reference (in-process)";

    private readonly SemaphoreSlim _startLock = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<string> _log = new();
    private readonly ConcurrentQueue<Stream> _accepted = new();
    private TcpConnectionListener? _listener;
    private Task? _serving;
    private int _dead;

    public string Name => (variant is null ? DisplayName : $"reference with {variant.Label} (in-process)") + ProfileSuffix;

    private string ProfileSuffix => profile == Steps.Wire.KitProfile.P6ab05ee ? "" : $", profile {profile.Name()}";

    /// <summary>The profile the server speaks (the run's --profile).</summary>
    public Steps.Wire.KitProfile Profile => profile;

    public string? TargetArgument => variant?.TargetArgument;

    /// <summary>The variant the server runs as; null for the reference itself.</summary>
    public IReferenceServerVariant? Variant => variant;

    /// <summary>The loopback address the server listens on, once started.</summary>
    public TransportAddress? Address => _listener?.Address;

    /// <summary>A variant took the server down (it no longer accepts connections).</summary>
    public bool IsDown => Volatile.Read(ref _dead) != 0;

    /// <summary>The last lines the server logged (bounded), for reports.</summary>
    public IReadOnlyList<string> ServerLog => _log.ToArray();

    public async Task<Stream> ConnectAsync(CancellationToken cancellationToken)
    {
        var address = await EnsureStartedAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await Connector.ConnectAsync(address, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException)
        {
            throw new TargetUnreachableException(Name, e.Message, e);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_listener is not null)
        {
            await _listener.DisposeAsync().ConfigureAwait(false);
        }

        if (_serving is not null)
        {
            try
            {
                await _serving.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Shutting down: connections still open are abandoned with the process.
            }
        }

        _stop.Dispose();
    }

    private async Task<TransportAddress> EnsureStartedAsync(CancellationToken cancellationToken)
    {
        if (_listener is { } started)
        {
            return started.Address;
        }

        await _startLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_listener is null)
            {
                var options = new RpcServerOptions
                {
                    Log = AddLog,
                    // Shorter than the 30 s default (CONN-5) so the read-timeout scenario ends quickly.
                    ReadTimeout = TimeSpan.FromSeconds(10),
                    Profile = profile == KitProfile.Fa4d209 ? Zrpc.Rpc.Profile.Fa4d209 : Zrpc.Rpc.Profile.P6ab05ee,
                };
                variant?.ApplyTo(options, GoDown);
                var server = new RpcServer(options);
                ConformanceService.Register(server);
                var listener = (TcpConnectionListener)Listeners.Listen(TransportAddress.Parse("tcp://127.0.0.1:0"));
                var acceptFrom = variant?.WrapListener(new TrackingListener(listener, _accepted)) ?? listener;
                _serving = Task.Run(() => server.ServeAsync(acceptFrom, _stop.Token), CancellationToken.None);
                _listener = listener;
            }

            return _listener.Address;
        }
        catch (Exception e) when (e is not OperationCanceledException and not TargetUnreachableException)
        {
            throw new TargetUnreachableException(Name, $"the built-in reference server did not start: {e.Message}", e);
        }
        finally
        {
            _startLock.Release();
        }
    }

    /// <summary>What the peers of a server whose process died see: no more listener, every connection closed at once.</summary>
    private void GoDown()
    {
        if (Interlocked.Exchange(ref _dead, 1) != 0)
        {
            return;
        }

        AddLog($"{variant?.Label}: the server goes down");
        _listener?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        while (_accepted.TryDequeue(out var connection))
        {
            try
            {
                // Shutdown first: the server's own stream over the socket may hold it open past Dispose.
                (connection as NetworkStream)?.Socket.Shutdown(System.Net.Sockets.SocketShutdown.Both);
                connection.Dispose();
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or System.Net.Sockets.SocketException)
            {
                // Already closed by its peer.
            }
        }

        _stop.Cancel();
    }

    /// <summary>Remembers every accepted connection, so that <see cref="GoDown"/> can close them.</summary>
    private sealed class TrackingListener(IConnectionListener inner, ConcurrentQueue<Stream> accepted) : IConnectionListener
    {
        public async ValueTask<Stream?> AcceptAsync(CancellationToken cancellationToken)
        {
            var connection = await inner.AcceptAsync(cancellationToken).ConfigureAwait(false);
            if (connection is not null)
            {
                accepted.Enqueue(connection);
            }

            return connection;
        }

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }

    private void AddLog(string line)
    {
        _log.Enqueue(line);
        while (_log.Count > 200 && _log.TryDequeue(out _))
        {
        }
    }
}
