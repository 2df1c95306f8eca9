using System.Net;
using System.Text.Json;
using NUnit.Framework;
using Zrpc.Rpc;
using Zrpc.TestService;
using Zrpc.Transport;

namespace Zrpc.Tests.Rpc;

/// <summary>
/// <see cref="RpcServerOptions.ConnectionThreading"/>: which connections <see cref="RpcServer.ServeAsync"/>
/// serves on a thread of their own, seen from a handler that reports the thread it runs on and
/// from <see cref="RpcServer.ConnectionsOnOwnThreads"/>; and that such connections keep the idle
/// timeout and the graceful stop of the others.
/// </summary>
[TestFixture]
[Category("TRANS-3")]
public sealed class ConnectionThreadingTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private const string WhereAmI = "WhereAmI";
    private const string WhereAfterAwait = "WhereAfterAwait";
    private const string Hang = "Hang";

    private sealed class Running : ServingServer
    {
        public required TaskCompletionSource HangStarted { get; init; }

        public async Task<RpcClient> ConnectAsync() => new(await Connector.ConnectAsync(Listener.Address, default));

        /// <summary>Waits until the count of connections on threads of their own is <paramref name="expected"/>.</summary>
        public async Task OnOwnThreadsBecomesAsync(int expected)
        {
            var deadline = DateTime.UtcNow + Patience;
            while (Server.ConnectionsOnOwnThreads != expected && DateTime.UtcNow < deadline) await Task.Delay(10);
            Assert.That(Server.ConnectionsOnOwnThreads, Is.EqualTo(expected));
        }
    }

    private static Running Start(Action<RpcServerOptions> configure)
    {
        var log = new List<string>();
        var options = new RpcServerOptions { ConnectionThreading = ConnectionThreading.Auto, Log = line => { lock (log) log.Add(line); } };
        configure(options);
        var server = new RpcServer(options);
        ConformanceService.Register(server);
        server.Register<JsonElement, string>(WhereAmI, (_, _) => Task.FromResult(Thread.CurrentThread.Name ?? ""));
        server.Register<JsonElement, string>(WhereAfterAwait, async (_, ct) =>
        {
            await Task.Delay(1, ct);
            return Thread.CurrentThread.Name ?? "";
        });
        var hangStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        server.Register<JsonElement, string>(Hang, async (_, ct) =>
        {
            hangStarted.TrySetResult();
            await Task.Delay(Timeout.Infinite, ct);
            return "";
        });
        var listener = new TcpConnectionListener(new IPEndPoint(IPAddress.Loopback, 0));
        var stop = new CancellationTokenSource();
        return new Running { Server = server, Listener = listener, Serving = server.ServeAsync(listener, stop.Token), Stop = stop, Log = log, HangStarted = hangStarted };
    }

    private static readonly JsonElement Null = JsonDocument.Parse("null").RootElement.Clone();

    private static Task<string> WhereAsync(RpcClient client, string endpoint = WhereAmI) => client.CallAsync<JsonElement, string>(endpoint, Null, default);

    [Test]
    public void Auto_is_the_default_and_bounds_threads_to_a_few_per_core()
    {
        var options = new RpcServerOptions();
        Assert.That(options.ConnectionThreading, Is.EqualTo(ConnectionThreading.Auto));
        Assert.That(options.ThreadedConnections, Is.EqualTo(RpcServerOptions.DefaultThreadedConnections));
        Assert.That(RpcServerOptions.DefaultThreadedConnections, Is.InRange(4, 64));
        Assert.That(options.ThreadPerConnection, Is.False);

        options.ThreadPerConnection = true;
        Assert.That(options.ConnectionThreading, Is.EqualTo(ConnectionThreading.ThreadPerConnection));
        options.ThreadPerConnection = false;
        Assert.That(options.ConnectionThreading, Is.EqualTo(ConnectionThreading.Auto), "false is the default");
    }

    [Test]
    public void Out_of_range_values_are_refused_naming_the_option()
    {
        var options = new RpcServerOptions();
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => options.ThreadedConnections = 0)!.ParamName, Is.EqualTo("ThreadedConnections"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => options.ConnectionThreading = (ConnectionThreading)7)!.ParamName, Is.EqualTo("ConnectionThreading"));
    }

    [Test]
    public async Task Auto_gives_threads_to_the_first_N_connections_and_serves_the_next_asynchronously()
    {
        await using var running = Start(o => o.ThreadedConnections = 2);
        await using var first = await running.ConnectAsync();
        await using var second = await running.ConnectAsync();
        Assert.That(await WhereAsync(first), Is.EqualTo(RpcServer.ThreadName));
        Assert.That(await WhereAsync(second), Is.EqualTo(RpcServer.ThreadName));
        Assert.That(running.Server.ConnectionsOnOwnThreads, Is.EqualTo(2));

        await using var third = await running.ConnectAsync();
        Assert.That(await WhereAsync(third), Is.Not.EqualTo(RpcServer.ThreadName), "past the limit: the thread pool");
        Assert.That((await third.CallAsync<JsonElement, JsonElement>(ConformanceService.Echo, JsonDocument.Parse("[3]").RootElement, default)).GetRawText(),
            Is.EqualTo("[3]"), "and still served");
        Assert.That(running.Server.ConnectionsOnOwnThreads, Is.EqualTo(2));
        Assert.That(running.LogLines().Count(l => l.EndsWith("open (thread of its own)", StringComparison.Ordinal)), Is.EqualTo(2));

        // A threaded connection that closes gives its thread to the next connection.
        await first.DisposeAsync();
        await running.OnOwnThreadsBecomesAsync(1);
        await using var fourth = await running.ConnectAsync();
        Assert.That(await WhereAsync(fourth), Is.EqualTo(RpcServer.ThreadName));
        Assert.That(await WhereAsync(third), Is.Not.EqualTo(RpcServer.ThreadName), "an asynchronous connection stays so");
    }

    [Test]
    public async Task Async_gives_no_connection_a_thread_and_ThreadPerConnection_gives_every_one()
    {
        await using (var running = Start(o => o.ConnectionThreading = ConnectionThreading.Async))
        {
            await using var client = await running.ConnectAsync();
            Assert.That(await WhereAsync(client), Is.Not.EqualTo(RpcServer.ThreadName));
            Assert.That(running.Server.ConnectionsOnOwnThreads, Is.Zero);
        }

        await using (var running = Start(o => { o.ConnectionThreading = ConnectionThreading.ThreadPerConnection; o.ThreadedConnections = 1; }))
        {
            var clients = new List<RpcClient>();
            for (int i = 0; i < 3; i++) clients.Add(await running.ConnectAsync());
            foreach (var client in clients) Assert.That(await WhereAsync(client), Is.EqualTo(RpcServer.ThreadName), "ThreadedConnections bounds Auto only");
            Assert.That(running.Server.ConnectionsOnOwnThreads, Is.EqualTo(3));
            foreach (var client in clients) await client.DisposeAsync();
            await running.OnOwnThreadsBecomesAsync(0);
        }
    }

    [Test]
    public async Task A_handler_that_awaits_leaves_the_next_request_on_the_connection_s_own_thread()
    {
        await using var running = Start(o => o.ThreadedConnections = 1);
        await using var client = await running.ConnectAsync();
        Assert.That(await WhereAsync(client, WhereAfterAwait), Is.Not.EqualTo(RpcServer.ThreadName), "the handler resumed on the pool");
        Assert.That(await WhereAsync(client), Is.EqualTo(RpcServer.ThreadName),
            "the connection's next read is made on its own thread, not on the pool thread the handler resumed on");
    }

    [Test]
    [Category("CONN-6")]
    public async Task An_idle_connection_on_its_own_thread_is_closed_by_the_idle_timeout()
    {
        await using var running = Start(o => o.IdleTimeout = TimeSpan.FromMilliseconds(300));
        await using var client = await running.ConnectAsync();
        Assert.That(await WhereAsync(client), Is.EqualTo(RpcServer.ThreadName));

        await running.OnOwnThreadsBecomesAsync(0);
        Assert.That(running.LogLines(), Has.Some.Contains("idle between requests for longer than 0.3 s (CONN-6)"));
    }

    [Test]
    public async Task Stopping_ends_threaded_connections_idle_and_busy()
    {
        var running = Start(o => o.ShutdownGrace = TimeSpan.FromMilliseconds(200));
        await using var idle = await running.ConnectAsync();
        await using var busy = await running.ConnectAsync();
        Assert.That(await WhereAsync(idle), Is.EqualTo(RpcServer.ThreadName));
        Assert.That(await WhereAsync(busy), Is.EqualTo(RpcServer.ThreadName));
        var hanging = busy.CallAsync<JsonElement, string>(Hang, Null, default);
        await running.HangStarted.Task.WaitAsync(Patience);

        await running.Stop.CancelAsync();
        await running.Serving.WaitAsync(Patience);
        Assert.That(running.Server.ConnectionsOnOwnThreads, Is.Zero);
        Assert.That(async () => await hanging.WaitAsync(Patience), Throws.Exception, "the call cut off by the stop fails at the client");
        Assert.That(running.LogLines(), Has.Some.Contains("RST"), "the busy connection was ended with RST after the grace (CONN-1)");
        await running.Listener.DisposeAsync();
    }
}
