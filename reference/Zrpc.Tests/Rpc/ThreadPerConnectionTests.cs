using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using NUnit.Framework;
using Zrpc.Rpc;
using Zrpc.TestService;
using Zrpc.Transport;

namespace Zrpc.Tests.Rpc;

/// <summary>
/// <see cref="RpcServerOptions.ThreadPerConnection"/>: the same service over blocking socket calls,
/// with the same limits (CONN-5), the same isolation of connections (TRANS-2) and the same graceful stop.
/// </summary>
[TestFixture]
[Category("TRANS-3")]
public sealed class ThreadPerConnectionTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private const string WhereAmI = "WhereAmI";

    private static ServingServer Start(TimeSpan readTimeout)
    {
        var log = new List<string>();
        var server = new RpcServer(new RpcServerOptions
        {
            ThreadPerConnection = true,
            ReadTimeout = readTimeout,
            Log = line => { lock (log) log.Add(line); },
        });
        ConformanceService.Register(server);
        server.Register<JsonElement, string>(WhereAmI, (_, _) => Task.FromResult(Thread.CurrentThread.Name ?? ""));
        var listener = new TcpConnectionListener(new IPEndPoint(IPAddress.Loopback, 0));
        var stop = new CancellationTokenSource();
        return new ServingServer { Server = server, Listener = listener, Serving = server.ServeAsync(listener, stop.Token), Stop = stop, Log = log };
    }

    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();

    [Test]
    public async Task Serves_every_endpoint_to_a_blocking_client_on_the_connection_s_own_thread()
    {
        await using var running = Start(TimeSpan.FromSeconds(30));
        await using var client = new RpcClient(await Connector.ConnectBlockingAsync(running.Listener.Address, default));

        // Blocking calls complete on the calling thread: a thread of the test's own keeps them off the pool.
        await Task.Factory.StartNew(async () =>
        {
            Assert.That(await client.CallAsync<JsonElement, string>(WhereAmI, Json("null"), default), Is.EqualTo("zrpc connection"),
                "the handler runs on the thread the server gave this connection");
            Assert.That((await client.CallAsync<JsonElement, JsonElement>(ConformanceService.Echo, Json("""{"a":[1,2]}"""), default)).GetRawText(),
                Is.EqualTo("""{"a":[1,2]}"""));

            var failure = Assert.ThrowsAsync<RpcStatusException>(async () =>
                await client.CallAsync<ConformanceService.FailRequest, JsonElement>(ConformanceService.Fail, new() { Message = "on purpose" }, default));
            Assert.That((await failure)!.ErrorMessage, Is.EqualTo("on purpose"));

            const int length = (9 << 20) + 3; // three frames, the last one short
            await using (var source = await client.CallAsync<ConformanceService.SourceRequest, Stream>(ConformanceService.Source, new() { Length = length }, default))
            {
                var received = new MemoryStream();
                await source.CopyToAsync(received);
                var bytes = received.ToArray();
                Assert.That(bytes, Has.Length.EqualTo(length));
                Assert.That(Enumerable.Range(0, length).Where(i => bytes[i] != (byte)(i % 251)).Take(1), Is.Empty, "byte i is i mod 251 (CTS-4)");
            }

            var body = RandomNumberGenerator.GetBytes(5 << 20);
            var sink = await client.CallAsync<Stream, ConformanceService.SinkResponse>(ConformanceService.Sink, new MemoryStream(body), default);
            Assert.That(sink.Length, Is.EqualTo((ulong)body.Length));
            Assert.That(sink.SHA256, Is.EqualTo(Convert.ToHexStringLower(SHA256.HashData(body))));
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
    }

    [Test]
    [Category("CONN-5")]
    [Category("TRANS-2")]
    public async Task A_stalled_frame_is_ended_by_the_read_timeout_while_another_connection_is_served()
    {
        await using var running = Start(TimeSpan.FromMilliseconds(500));
        await using var stalled = await Connector.ConnectAsync(running.Listener.Address, default);
        // A Header frame announcing 100 bytes, then 3 of them, then silence.
        await stalled.WriteAsync(new byte[] { 1, 0, 100, 0, 0, 0, (byte)'{', (byte)'"', (byte)'E' });

        await using var other = new RpcClient(await Connector.ConnectAsync(running.Listener.Address, default));
        Assert.That((await other.CallAsync<JsonElement, JsonElement>(ConformanceService.Echo, Json("7"), default)).GetInt32(), Is.EqualTo(7));

        // The server ends the stalled connection: end of stream, possibly after an RST frame.
        var buffer = new byte[64];
        int n, total = 0;
        while ((n = await stalled.ReadAsync(buffer).AsTask().WaitAsync(Patience)) > 0) total += n;
        Assert.That(total, Is.LessThanOrEqualTo(6), "at most an RST frame before the close (CONN-1)");
        Assert.That(running.LogLines(), Has.Some.Contains("CONN-5"));
        Assert.That((await other.CallAsync<JsonElement, JsonElement>(ConformanceService.Echo, Json("8"), default)).GetInt32(), Is.EqualTo(8));
    }

    [Test]
    public async Task Stopping_closes_an_idle_connection_whose_thread_waits_in_a_blocking_read()
    {
        var running = Start(TimeSpan.FromSeconds(30));
        await using var idle = await Connector.ConnectAsync(running.Listener.Address, default);
        await using (var client = new RpcClient(await Connector.ConnectAsync(running.Listener.Address, default)))
        {
            Assert.That((await client.CallAsync<JsonElement, JsonElement>(ConformanceService.Echo, Json("1"), default)).GetInt32(), Is.EqualTo(1));
        }

        await running.Stop.CancelAsync();
        await running.Serving.WaitAsync(Patience);
        Assert.That(await idle.ReadAsync(new byte[8]).AsTask().WaitAsync(Patience), Is.EqualTo(0), "the idle connection sees end of stream");
        await running.Listener.DisposeAsync();
    }
}
