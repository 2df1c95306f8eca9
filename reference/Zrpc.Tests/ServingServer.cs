using Zrpc.Rpc;
using Zrpc.Transport;

namespace Zrpc.Tests;

/// <summary>
/// A server serving a loopback listener for one test, with the lines it logged; disposing it stops
/// the server and waits for its serving task, so a test that leaves a connection hanging fails
/// there instead of leaking the server into the next test.
/// </summary>
internal class ServingServer : IAsyncDisposable
{
    private static readonly TimeSpan StopPatience = TimeSpan.FromSeconds(20);

    public required RpcServer Server { get; init; }
    public required TcpConnectionListener Listener { get; init; }
    public required Task Serving { get; init; }
    public required CancellationTokenSource Stop { get; init; }
    public required List<string> Log { get; init; }

    public string[] LogLines()
    {
        lock (Log) return Log.ToArray();
    }

    public async ValueTask DisposeAsync()
    {
        await Stop.CancelAsync();
        await Serving.WaitAsync(StopPatience);
        await Listener.DisposeAsync();
    }
}
