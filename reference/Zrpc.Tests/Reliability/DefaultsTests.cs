using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using NUnit.Framework;
using Zrpc.Frames;
using Zrpc.Rpc;
using Zrpc.Tests.Frames;
using Zrpc.Tests.Rpc;
using Zrpc.TestService;
using Zrpc.Transport;

namespace Zrpc.Tests.Reliability;

/// <summary>
/// Hostile peers against the defaults a user gets: silent connections, clients that never read,
/// big JSON bodies from many clients, bodies made of empty frames. Each test sets only what it
/// must shorten to run quickly; everything else is <see cref="RpcServerOptions"/>' default.
/// </summary>
[Category("Reliability")]
public sealed class DefaultsTests
{
    static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    sealed class Running(RpcServer server, TcpConnectionListener listener, Task serving, CancellationTokenSource stop, List<string> log) : IAsyncDisposable
    {
        public RpcServer Server => server;

        public string[] Log
        {
            get { lock (log) return log.ToArray(); }
        }

        public async Task<NetworkStream> ConnectAsync(int receiveBuffer = 0)
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            if (receiveBuffer > 0) socket.ReceiveBufferSize = receiveBuffer;
            await socket.ConnectAsync(listener.LocalEndPoint);
            return new NetworkStream(socket, ownsSocket: true);
        }

        public async Task<RpcClient> ClientAsync() => new(await ConnectAsync(), new RpcClientOptions());

        public async Task<bool> LogShowsAsync(string fragment)
        {
            var deadline = DateTime.UtcNow + Patience;
            while (DateTime.UtcNow < deadline)
            {
                if (Log.Any(l => l.Contains(fragment))) return true;
                await Task.Delay(50);
            }
            return false;
        }

        public async ValueTask DisposeAsync()
        {
            await stop.CancelAsync();
            await serving.WaitAsync(Patience);
            await listener.DisposeAsync();
        }
    }

    static Running Start(RpcServerOptions options)
    {
        var log = new List<string>();
        options.Log = line => { lock (log) log.Add(line); };
        var server = new RpcServer(options);
        ConformanceService.Register(server);
        var listener = new TcpConnectionListener(new IPEndPoint(IPAddress.Loopback, 0));
        var stop = new CancellationTokenSource();
        return new Running(server, listener, server.ServeAsync(listener, stop.Token), stop, log);
    }

    static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement;

    static async Task<bool> ClosedByServerAsync(Stream stream)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            using var limit = new CancellationTokenSource(Patience);
            while (await stream.ReadAsync(buffer, limit.Token) > 0)
            {
            }
            return true;
        }
        catch (IOException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    [Test]
    public void The_defaults_bound_idle_and_silent_connections_stuck_writes_and_JSON_memory()
    {
        var options = new RpcServerOptions();
        Assert.That(options.IdleTimeout, Is.EqualTo(TimeSpan.FromMinutes(10)), "CONN-6: at least 10 minutes where one is used");
        Assert.That(options.FirstRequestTimeout, Is.EqualTo(TimeSpan.FromSeconds(10)));
        Assert.That(options.SendTimeout, Is.EqualTo(TimeSpan.FromSeconds(30)));
        Assert.That(options.MaxJsonBodiesTotal, Is.EqualTo(256L << 20));
        Assert.That(new FrameReader(Stream.Null).MaxEmptyFramesInARow, Is.EqualTo(1024));
    }

    [TestCase(ConnectionThreading.Async), TestCase(ConnectionThreading.Auto), Category("CONN-6")]
    public async Task Silent_connections_filling_the_limit_cannot_lock_a_new_client_out(ConnectionThreading threading)
    {
        const int limit = 16;
        await using var running = Start(new RpcServerOptions { MaxConnections = limit, ConnectionThreading = threading });
        var silent = new List<NetworkStream>();
        for (int i = 0; i < limit; i++) silent.Add(await running.ConnectAsync());
        Assert.That(await running.LogShowsAsync($"connection {limit}: open"), Is.True);
        await Task.Delay(RpcServer.MinIdleToMakeRoom + TimeSpan.FromMilliseconds(300));

        await using var client = await running.ClientAsync();
        var answer = await client.CallAsync<JsonElement, JsonElement>("Echo", Json("\"in\""), new CancellationTokenSource(Patience).Token);

        Assert.That(answer.GetString(), Is.EqualTo("in"));
        Assert.That(running.Log, Has.Some.Contains("idle longest, for a new one"));
        Assert.That(await ClosedByServerAsync(silent[0]), Is.True, "the connection silent longest made room");
        foreach (var s in silent) await s.DisposeAsync();
    }

    [TestCase(ConnectionThreading.Async), TestCase(ConnectionThreading.Auto), Category("CONN-7")]
    public async Task A_new_connection_that_never_speaks_is_closed_after_the_first_request_timeout(ConnectionThreading threading)
    {
        await using var running = Start(new RpcServerOptions { FirstRequestTimeout = TimeSpan.FromMilliseconds(500), ConnectionThreading = threading });
        await using var silent = await running.ConnectAsync();
        var clock = Stopwatch.StartNew();

        Assert.That(await ClosedByServerAsync(silent), Is.True, "closed, not left open");
        Assert.That(clock.Elapsed, Is.LessThan(Patience));
        Assert.That(running.Log, Has.Some.Contains("no request within 0.5 s of connecting (CONN-7)"));

        // After its first request a connection may idle longer than that (CONN-6 applies).
        await using var client = await running.ClientAsync();
        Assert.That((await client.CallAsync<JsonElement, JsonElement>("Echo", Json("1"), default)).GetInt32(), Is.EqualTo(1));
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        Assert.That((await client.CallAsync<JsonElement, JsonElement>("Echo", Json("2"), default)).GetInt32(), Is.EqualTo(2));
    }

    [TestCase(ConnectionThreading.Async), TestCase(ConnectionThreading.Auto), Category("CONN-8")]
    public async Task A_client_that_never_reads_a_large_Source_is_cut_off_by_the_send_timeout(ConnectionThreading threading)
    {
        await using var running = Start(new RpcServerOptions { SendTimeout = TimeSpan.FromSeconds(1), ConnectionThreading = threading });
        await using var reader = await running.ConnectAsync(receiveBuffer: 4096);
        await reader.WriteAsync(RawRequests.JsonRequest("Source", "{\"Length\":1073741824}", accept: 3));

        Assert.That(await running.LogShowsAsync("longer than the send timeout (CONN-8)"), Is.True, string.Join("\n", running.Log));
        // A well-behaved client is served alongside and afterwards.
        await using var client = await running.ClientAsync();
        Assert.That((await client.CallAsync<JsonElement, JsonElement>("Echo", Json("3"), default)).GetInt32(), Is.EqualTo(3));
    }

    [Test, Category("SRV-12")]
    public async Task JSON_bodies_together_stay_within_the_server_wide_budget()
    {
        await using var running = Start(new RpcServerOptions { MaxJsonBodiesTotal = 3 << 19 }); // 1.5 MiB
        // One client holds most of the budget with a body that has not ended yet.
        await using var holder = await running.ConnectAsync();
        var text = Encoding.ASCII.GetBytes("\"" + new string('a', 700_000));
        await holder.WriteAsync(Wire.Concat(RawRequests.Header("Echo", 2, 2), Wire.Frame(FrameType.Data, false, text)));
        var deadline = DateTime.UtcNow + Patience;
        while (running.Server.JsonBytesInUse < 700_000 && DateTime.UtcNow < deadline) await Task.Delay(20);
        Assert.That(running.Server.JsonBytesInUse, Is.GreaterThanOrEqualTo(700_000));

        // Another one's body no longer fits: RequestError, and its connection goes on.
        await using var other = await running.ClientAsync();
        var refused = await Assert.ThrowsAsync<RpcStatusException>(() =>
            other.CallAsync<JsonElement, JsonElement>("Echo", Json("\"" + new string('b', 600_000) + "\""), default));
        Assert.That(refused!.Message, Does.Contain("memory for JSON bodies"));
        Assert.That((await other.CallAsync<JsonElement, JsonElement>("Echo", Json("4"), default)).GetInt32(), Is.EqualTo(4));

        // The holder finishes; its memory goes back to the budget.
        await holder.WriteAsync(Wire.Frame(FrameType.Data, true, "\""u8));
        var responses = new Zrpc.Messages.MessageReader(new FrameReader(holder));
        var answer = await RawRequests.ReadResponseAsync(responses, new CancellationTokenSource(Patience).Token);
        Assert.That(answer!.Header.Error, Is.EqualTo((ulong)Status.Ok));
        Assert.That(running.Server.JsonBytesInUse, Is.Zero);
    }

    [Test, Category("MSG-7")]
    public async Task A_Sink_body_of_endless_empty_frames_ends_the_connection()
    {
        await using var running = Start(new RpcServerOptions());
        await using var attacker = await running.ConnectAsync();
        await attacker.WriteAsync(RawRequests.Header("Sink", 3, 2));
        var empty = Wire.Concat(Enumerable.Repeat(Wire.Frame(FrameType.Data, false, []), 4096).ToArray());
        var sending = Task.Run(async () =>
        {
            try
            {
                for (int i = 0; i < 100_000; i++) await attacker.WriteAsync(empty); // far more than the bound
            }
            catch (IOException)
            {
                // The server ended the connection, as it must.
            }
        });

        Assert.That(await running.LogShowsAsync("(MSG-7)"), Is.True, string.Join("\n", running.Log));
        await sending.WaitAsync(Patience);
    }
}
