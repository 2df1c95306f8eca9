using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using NUnit.Framework;
using Zrpc.Rpc;
using Zrpc.TestService;
using Zrpc.Transport;

namespace Zrpc.Tests.Reliability;

/// <summary>The server's limits: each must hold, and must not disturb well-behaved clients.</summary>
[Category("Reliability")]
public sealed class HardeningTests
{
    static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    sealed class Running : ServingServer
    {
        public async Task<RpcClient> ClientAsync() => new(await ConnectAsync(), new RpcClientOptions());

        public async Task<NetworkStream> ConnectAsync()
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(Listener.LocalEndPoint);
            return new NetworkStream(socket, ownsSocket: true);
        }
    }

    static Running Start(RpcServerOptions options, Action<RpcServer>? register = null)
    {
        var log = new List<string>();
        options.Log = line => { lock (log) log.Add(line); };
        var server = new RpcServer(options);
        ConformanceService.Register(server);
        register?.Invoke(server);
        var listener = new TcpConnectionListener(new IPEndPoint(IPAddress.Loopback, 0));
        var stop = new CancellationTokenSource();
        var running = new Running { Log = log, Server = server, Listener = listener, Serving = server.ServeAsync(listener, stop.Token), Stop = stop };
        return running;
    }

    static async Task<int> ReadUntilEndAsync(Stream stream)
    {
        var buffer = new byte[256];
        int total = 0, n;
        try
        {
            while ((n = await stream.ReadAsync(buffer).AsTask().WaitAsync(Patience)) > 0) total += n;
        }
        catch (IOException)
        {
        }
        return total;
    }

    static JsonElement Json(string text) => JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 1000 }).RootElement;

    [Test]
    public async Task Connections_beyond_the_limit_are_closed_on_accept_and_the_others_are_served()
    {
        await using var running = Start(new RpcServerOptions { MaxConnections = 2 });
        await using var first = await running.ClientAsync();
        await using var second = await running.ClientAsync();
        Assert.That((await first.CallAsync<JsonElement, JsonElement>("Echo", Json("1"), default)).GetInt32(), Is.EqualTo(1));
        Assert.That((await second.CallAsync<JsonElement, JsonElement>("Echo", Json("2"), default)).GetInt32(), Is.EqualTo(2));

        await using var third = await running.ConnectAsync();
        Assert.That(await ReadUntilEndAsync(third), Is.EqualTo(0), "the third connection is closed without a byte");
        Assert.That((await first.CallAsync<JsonElement, JsonElement>("Echo", Json("3"), default)).GetInt32(), Is.EqualTo(3));
        lock (running.Log) Assert.That(running.Log, Has.Some.Contains("connection limit of 2"));
    }

    [Test, Category("CONN-6")]
    public async Task An_idle_connection_is_closed_quietly_after_the_idle_timeout()
    {
        await using var running = Start(new RpcServerOptions { IdleTimeout = TimeSpan.FromMilliseconds(300) });
        await using var stream = await running.ConnectAsync();
        var clock = Stopwatch.StartNew();
        Assert.That(await ReadUntilEndAsync(stream), Is.EqualTo(0), "closed quietly: no RST frame, no bytes at all");
        Assert.That(clock.Elapsed, Is.LessThan(Patience));

        // A client that keeps calling is not idle, and the timeout does not cut a call short.
        await using var busy = await running.ClientAsync();
        for (var i = 0; i < 5; i++)
        {
            Assert.That((await busy.CallAsync<JsonElement, JsonElement>("Echo", Json($"{i}"), default)).GetInt32(), Is.EqualTo(i));
            await Task.Delay(100);
        }
    }

    [Test, Category("SRV-12")]
    public async Task A_JSON_body_nested_deeper_than_the_limit_is_a_RequestError_and_the_connection_goes_on()
    {
        await using var running = Start(new RpcServerOptions { MaxJsonDepth = 64 });
        await using var client = await running.ClientAsync();
        var deep = Json(new string('[', 100) + new string(']', 100));
        var ex = await Assert.ThrowsAsync<RpcStatusException>(async () => await client.CallAsync<JsonElement, JsonElement>("Echo", deep, default));
        Assert.That(ex!.Status, Is.EqualTo(Status.RequestError));
        Assert.That(ex.ErrorMessage, Does.Contain("nested deeper"));
        var shallow = Json(new string('[', 60) + new string(']', 60));
        Assert.That((await client.CallAsync<JsonElement, JsonElement>("Echo", shallow, default)).GetRawText(), Is.EqualTo(shallow.GetRawText()));
    }

    [Test]
    public async Task Shutdown_closes_idle_connections_at_once_and_lets_a_call_in_flight_finish()
    {
        var release = new TaskCompletionSource();
        var running = Start(new RpcServerOptions { ShutdownGrace = TimeSpan.FromSeconds(10) },
            server => server.Register<JsonElement, JsonElement>("Slow", async (request, ct) => { await release.Task; return request; }));
        await using var idle = await running.ConnectAsync();
        await using var busy = await running.ClientAsync();
        var call = busy.CallAsync<JsonElement, JsonElement>("Slow", Json("\"done\""), default);
        await Task.Delay(200);

        await running.Stop.CancelAsync();
        Assert.That(await ReadUntilEndAsync(idle), Is.EqualTo(0), "the idle connection is closed when the stop begins");
        Assert.That(running.Serving.IsCompleted, Is.False, "the call in flight keeps the server up");
        release.SetResult();
        Assert.That((await call.WaitAsync(Patience)).GetString(), Is.EqualTo("done"));
        await running.Serving.WaitAsync(Patience);
        await running.Listener.DisposeAsync();
    }

    [Test, Category("CONN-1")]
    public async Task Shutdown_ends_a_call_that_outlasts_the_grace_with_RST()
    {
        var running = Start(new RpcServerOptions { ShutdownGrace = TimeSpan.FromMilliseconds(200) },
            server => server.Register<JsonElement, JsonElement>("Forever", async (request, ct) => { await Task.Delay(Timeout.Infinite, ct); return request; }));
        await using var busy = await running.ClientAsync();
        var call = busy.CallAsync<JsonElement, JsonElement>("Forever", Json("1"), default);
        await Task.Delay(200);
        await running.Stop.CancelAsync();
        var ex = await Assert.CatchAsync(async () => await call.WaitAsync(Patience));
        Assert.That(ex, Is.InstanceOf<ConnectionResetException>().Or.InstanceOf<ProtocolException>().Or.InstanceOf<IOException>(), $"{ex}");
        await running.Serving.WaitAsync(Patience);
        await running.Listener.DisposeAsync();
    }
}
