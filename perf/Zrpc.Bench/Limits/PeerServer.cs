using Zrpc.Rpc;
using Zrpc.TestService;
using Zrpc.Transport;

namespace Zrpc.Bench.Limits;

/// <summary>
/// <c>peer-serve --listen ADDRESS --service null|conformance</c>: the library's server in a child
/// process, so that the limit table's two-process rows have client and server in separate
/// processes, as users deploy them. Runs until killed (tcp, unix) or until its one connection ends (stdio).
/// </summary>
public static class PeerServer
{
    public static async Task<int> RunAsync(BenchOptions options)
    {
        var server = new RpcServer(new RpcServerOptions { ReadTimeout = Timeout.InfiniteTimeSpan });
        if (options.Service == "null") NullService.Register(server);
        else ConformanceService.Register(server);
        await using var listener = Listeners.Listen(TransportAddress.Parse(options.Listen));
        await server.ServeAsync(listener, CancellationToken.None);
        return 0;
    }
}
