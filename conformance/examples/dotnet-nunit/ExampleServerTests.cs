using System.Net.Sockets;
using Zrpc.Conformance.NUnit;
using Zrpc.Rpc;
using Zrpc.TestService;
using Zrpc.Transport;

namespace ZrpcConformanceExample;

/// <summary>
/// Every server-role scenario of the kit against "your" server, here the reference server (the
/// Zrpc package) with the Conformance Test Service, started inside the test process. Replace
/// <see cref="StartServer"/> and <see cref="ConnectAsync"/> with your own server.
/// </summary>
public class ExampleServerTests : ServerConformanceTests
{
    private readonly CancellationTokenSource _stop = new();
    private readonly TcpConnectionListener _listener;
    private readonly Task _serving;

    public ExampleServerTests()
    {
        // The kit connects (and probes) in its own [OneTimeSetUp], which runs before any of a
        // derived fixture's: the server is up from construction on.
        (_listener, _serving) = StartServer(_stop.Token);
    }

    private static (TcpConnectionListener, Task) StartServer(CancellationToken stop)
    {
        // The read-timeout scenario (CONN-5) waits for the server's own timeout: keep it short.
        var server = new RpcServer(new RpcServerOptions { ReadTimeout = TimeSpan.FromSeconds(5) });
        ConformanceService.Register(server);
        var listener = new TcpConnectionListener(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        return (listener, Task.Run(() => server.ServeAsync(listener, stop)));
    }

    /// <summary>A new connection to the server: a real loopback socket, so that close and reset mean what they mean on the wire.</summary>
    protected override async ValueTask<Stream> ConnectAsync(CancellationToken cancellationToken)
    {
        var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync(_listener.LocalEndPoint, cancellationToken);
        return client.GetStream();
    }

    [OneTimeTearDown]
    public async Task StopServer()
    {
        await _stop.CancelAsync();
        await _listener.DisposeAsync();
        try
        {
            await _serving.WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException)
        {
            // Stopping: connections still open end with the process.
        }
    }
}
