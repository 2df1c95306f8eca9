using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using NUnit.Framework;
using Zrpc.Rpc;
using Zrpc.TestService;
using Zrpc.Transport;

namespace Zrpc.Tests.Reliability;

/// <summary>
/// A server that has decoded many large MarshaledJSON bodies at once must not keep that memory
/// once they are gone: big decode buffers are not pooled, and after a peak the server collects
/// the heap itself. Without that, the process would hold its peak until some later allocation
/// happened to trigger a full collection, which on an idle server is never.
/// </summary>
[Category("Reliability"), NonParallelizable]
public sealed class MemoryGiveBackTests
{
    const int Clients = 8;
    // A string of 32 MiB is a JSON body just over 32 MiB, decoded into a 64 MiB buffer: one such
    // body alone is a peak the server must give back, however the calls happen to overlap. The
    // clients share one copy of the body, made before the baseline, and get a small answer, so
    // that nothing large they allocate can stay on the heap after the server is done.
    const int PayloadChars = 32 << 20;
    // Room for what stays pooled by design (buffers up to 1 MiB, per connection and per core).
    const long Slack = 128L << 20;
    const long LeastPeakAboveBaseline = 256L << 20;
    static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    // Longer than the server's sweep interval (1 s): the decoded value outlives the decode buffer
    // across a sweep, as a slow handler's would.
    static readonly TimeSpan HandlerHolds = TimeSpan.FromMilliseconds(1500);

    [Test]
    public async Task Heap_returns_near_baseline_after_a_peak_of_large_json_bodies()
    {
        var payload = new byte[PayloadChars + 3];
        payload.AsSpan().Fill((byte)'z');
        payload[0] = payload[^2] = (byte)'"';
        payload[^1] = (byte)'\n';

        // Room in the JSON budget for all the bodies at once: the budget is not under test here.
        var server = new RpcServer(new RpcServerOptions { MaxJsonBodiesTotal = Clients * (64L << 20) });
        ConformanceService.Register(server);
        server.Register<JsonElement, int>("Hold", async (value, ct) =>
        {
            await Task.Delay(HandlerHolds, ct);
            return value.GetString()!.Length;
        });
        using var stop = new CancellationTokenSource();
        await using var listener = new TcpConnectionListener(new IPEndPoint(IPAddress.Loopback, 0));
        var serving = server.ServeAsync(listener, stop.Token);
        try
        {
            var endPoint = listener.LocalEndPoint;

            // One small call first, so that code loaded and pools filled on first use count in the baseline.
            Assert.That(await HoldAsync(endPoint, "\"warm\"\n"u8.ToArray()), Is.Null, "warm-up call");
            var baseline = ProcessFigures.SettledHeap();

            long peak = 0;
            using var sampling = new CancellationTokenSource();
            var sampler = Task.Run(async () =>
            {
                while (!sampling.IsCancellationRequested)
                {
                    peak = Math.Max(peak, GC.GetTotalMemory(false));
                    await Task.Delay(5);
                }
            });

            var clock = Stopwatch.StartNew();
            var failures = await Task.WhenAll(Enumerable.Range(0, Clients).Select(_ => Task.Run(() => HoldAsync(endPoint, payload))));
            var callsTook = clock.Elapsed;
            await sampling.CancelAsync();
            await sampler;
            Assert.That(failures.Where(f => f is not null), Is.Empty, "every large call must be decoded and answered");
            Assert.That(server.JsonBytesInUse, Is.Zero, "no JSON body may stay reserved after its call");

            // No collection is asked for here: only what the server does may bring the heap down.
            clock.Restart();
            var bound = baseline + Slack;
            var heap = GC.GetTotalMemory(false);
            while (heap >= bound && clock.Elapsed < Patience)
            {
                await Task.Delay(50);
                heap = GC.GetTotalMemory(false);
            }
            var waited = clock.Elapsed;

            TestContext.Out.WriteLine($"{Clients} clients x JSON string of {PayloadChars >> 20} MiB in {callsTook.TotalSeconds:0.0} s");
            TestContext.Out.WriteLine($"heap: baseline {baseline >> 20} MiB, peak {peak >> 20} MiB, after {waited.TotalSeconds:0.0} s {heap >> 20} MiB (bound {bound >> 20} MiB)");

            Assert.That(peak - baseline, Is.GreaterThanOrEqualTo(LeastPeakAboveBaseline), "the calls must have raised the heap far above the baseline, or the test proves nothing");
            Assert.That(heap, Is.LessThan(bound), $"within {Patience.TotalSeconds:0} s of the last large call the heap must fall back to within {Slack >> 20} MiB of the baseline");
        }
        finally
        {
            await stop.CancelAsync();
            await serving.WaitAsync(TimeSpan.FromSeconds(20));
        }
    }

    static async Task<string?> HoldAsync(IPEndPoint endPoint, byte[] payload)
    {
        try
        {
            using var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await socket.ConnectAsync(endPoint);
            await using var client = new RpcClient(new NetworkStream(socket, ownsSocket: false), new RpcClientOptions());
            var response = await client.CallRawAsync("Hold", DataType.MarshaledJson, DataType.MarshaledJson, payload, default);
            if (!response.IsOk) return $"status {response.Header.Error}: {response.Header.ErrorMessage}";
            var length = JsonSerializer.Deserialize<int>(((MemoryStream)response.Body).ToArray());
            return length == payload.Length - 3 ? null : $"the server decoded a string of {length} characters, not {payload.Length - 3}";
        }
        catch (Exception e)
        {
            return $"{e.GetType().Name}: {e.Message}";
        }
    }
}
