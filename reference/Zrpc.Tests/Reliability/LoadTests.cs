using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
using NUnit.Framework;
using Zrpc.Rpc;
using Zrpc.TestService;
using Zrpc.Transport;

namespace Zrpc.Tests.Reliability;

/// <summary>
/// The short, CI form of the load test: many concurrent clients making verified calls while
/// hostile clients misbehave alongside. It asserts correctness and recovery, never speed; the
/// figures are printed for the record.
/// </summary>
[Category("Reliability"), Category("TRANS-2"), Category("TRANS-3"), Category("CONN-5")]
public sealed class LoadTests
{
    const int Clients = 200;
    const int CallsPerClient = 4;
    const int OctetsSize = 1 << 20;
    const int ExtraRounds = 2;

    [Test]
    public async Task Two_hundred_clients_with_hostile_neighbours_all_get_verified_answers()
    {
        var log = new List<string>();
        var server = new RpcServer(new RpcServerOptions
        {
            ReadTimeout = TimeSpan.FromSeconds(2),
            Log = line => { lock (log) log.Add(line); },
        });
        ConformanceService.Register(server);
        var listener = new TcpConnectionListener(new IPEndPoint(IPAddress.Loopback, 0), backlog: 1024);
        using var stop = new CancellationTokenSource();
        var serving = server.ServeAsync(listener, stop.Token);
        var endPoint = listener.LocalEndPoint;

        // A first round fills the buffer pools and grows the thread pool. Pools keep what they
        // retain per thread and per core, so one sample after one round can sit megabytes above
        // the last for no fault of ours; a leak shows instead as growth that every round adds to.
        var warmUp = await Task.WhenAll(Enumerable.Range(0, Clients).Select(i => Client(endPoint, i, [])));
        Assert.That(warmUp.Where(f => f is not null), Is.Empty, "warm-up round");
        var memoryBefore = SettledHeap();
        var handlesBefore = OpenHandles();

        // Hostile neighbours: each must be cut off by the server, none may slow the others down.
        var hostile = new List<Task<string>>
        {
            Hostile(endPoint, "slow sender", async s => { foreach (var b in new byte[] { 0x01, 0x01, 0x48, 0x00 }) { await s.WriteAsync(new[] { b }); await Task.Delay(1000); } }),
            Hostile(endPoint, "stops mid-frame", s => s.WriteAsync(new byte[] { 0x01, 0x01, 0x20, 0x00, 0x00, 0x00, (byte)'{' }).AsTask()),
            Hostile(endPoint, "oversize length then nothing", s => s.WriteAsync(new byte[] { 0x02, 0x01, 0x01, 0x00, 0x40, 0x00 }).AsTask()),
        };

        var latencies = new List<double>();
        var clock = Stopwatch.StartNew();
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var failures = await Task.WhenAll(Enumerable.Range(0, Clients).Select(i => Client(endPoint, i, latencies)));
        var elapsed = clock.Elapsed;
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        var hostileOutcomes = await Task.WhenAll(hostile);

        Assert.That(failures.Where(f => f is not null), Is.Empty, "every normal client's calls must succeed and verify");
        Assert.That(hostileOutcomes, Has.All.StartsWith("cut off"), string.Join("; ", hostileOutcomes));

        var memoryAfterRounds = new List<long> { SettledHeap() };
        for (var round = 0; round < ExtraRounds; round++)
        {
            var more = await Task.WhenAll(Enumerable.Range(0, Clients).Select(i => Client(endPoint, i, [])));
            Assert.That(more.Where(f => f is not null), Is.Empty, $"extra round {round + 1}");
            memoryAfterRounds.Add(SettledHeap());
        }
        var memoryAfter = memoryAfterRounds.Min();
        // The server closes its end of a connection when it reads the client's close, a moment
        // after the client has moved on; give it that moment, not more.
        var handlesAfter = OpenHandles();
        for (var wait = 0; wait < 50 && handlesBefore >= 0 && handlesAfter - handlesBefore >= 10; wait++)
        {
            await Task.Delay(100);
            handlesAfter = OpenHandles();
        }

        latencies.Sort();
        TestContext.Out.WriteLine($"{Clients} clients x {CallsPerClient} calls (Echo, Fail, Source 1 MiB, Sink 1 MiB), 3 hostile clients: {elapsed.TotalSeconds:0.00} s, CPU {cpu.TotalSeconds:0.00} s");
        TestContext.Out.WriteLine($"call latency p50 {latencies[latencies.Count / 2]:0.0} ms, p99 {latencies[(int)(latencies.Count * 0.99)]:0.0} ms, max {latencies[^1]:0.0} ms");
        TestContext.Out.WriteLine($"managed heap after the warm-up round {memoryBefore / 1024} KiB, after the measured round and {ExtraRounds} more: {string.Join(", ", memoryAfterRounds.Select(m => $"{m / 1024} KiB"))}; open handles {handlesBefore} -> {handlesAfter}");
        TestContext.Out.WriteLine("hostile: " + string.Join("; ", hostileOutcomes));

        await stop.CancelAsync();
        await serving.WaitAsync(TimeSpan.FromSeconds(10));
        await listener.DisposeAsync();

        // Every round moves 400 MiB of octets over 200 connections: a leak of one buffer per call or
        // of a connection's state would put each later sample tens of megabytes above the last.
        Assert.That(memoryAfter - memoryBefore, Is.LessThan(16L << 20), "memory must not grow with every round of load (lowest sample after the measured rounds against the warm-up)");
        if (handlesBefore >= 0)
            Assert.That(handlesAfter - handlesBefore, Is.LessThan(10), "sockets must not leak");
    }

    static async Task<string?> Client(IPEndPoint endPoint, int index, List<double> latencies)
    {
        try
        {
            using var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await socket.ConnectAsync(endPoint);
            await using var client = new RpcClient(new NetworkStream(socket, ownsSocket: false), new RpcClientOptions());
            for (var call = 0; call < CallsPerClient; call++)
            {
                var started = Stopwatch.GetTimestamp();
                switch ((index + call) % 4)
                {
                    case 0:
                        var echoed = await client.CallAsync<JsonElement, JsonElement>("Echo", JsonDocument.Parse($"{{\"client\":{index},\"call\":{call}}}").RootElement, default);
                        if (echoed.GetProperty("client").GetInt32() != index) return $"client {index}: Echo returned {echoed}";
                        break;
                    case 1:
                        try
                        {
                            await client.CallAsync<ConformanceService.FailRequest, JsonElement>("Fail", new() { Message = $"fail {index}" }, default);
                            return $"client {index}: Fail succeeded";
                        }
                        catch (RpcStatusException e) when (e.Status == Status.Error && e.ErrorMessage == $"fail {index}") { }
                        break;
                    case 2:
                        await using (var body = await client.CallAsync<ConformanceService.SourceRequest, Stream>("Source", new() { Length = OctetsSize }, default))
                        {
                            var buffer = new byte[64 * 1024];
                            long offset = 0;
                            int n;
                            while ((n = await body.ReadAsync(buffer)) > 0)
                            {
                                for (var i = 0; i < n; i++)
                                    if (buffer[i] != (byte)((offset + i) % 251)) return $"client {index}: Source byte {offset + i} wrong";
                                offset += n;
                            }
                            if (offset != OctetsSize) return $"client {index}: Source gave {offset} bytes";
                        }
                        break;
                    default:
                        var data = RandomNumberGenerator.GetBytes(OctetsSize);
                        var sunk = await client.CallAsync<Stream, ConformanceService.SinkResponse>("Sink", new MemoryStream(data), default);
                        if (sunk.Length != OctetsSize || sunk.SHA256 != Convert.ToHexStringLower(SHA256.HashData(data)))
                            return $"client {index}: Sink reported {sunk.Length} / {sunk.SHA256}";
                        break;
                }
                lock (latencies) latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
            return null;
        }
        catch (Exception e)
        {
            return $"client {index}: {e.GetType().Name}: {e.Message}";
        }
    }

    /// <summary>Runs a misbehaving client and reports whether the server cut it off in time.</summary>
    static async Task<string> Hostile(IPEndPoint endPoint, string name, Func<NetworkStream, Task> misbehave)
    {
        using var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(endPoint);
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        var clock = Stopwatch.StartNew();
        try
        {
            await misbehave(stream);
        }
        catch (IOException)
        {
            // The server may cut a slow sender off while it is still sending.
        }
        var buffer = new byte[64];
        try
        {
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            while (await stream.ReadAsync(buffer, limit.Token) > 0) { }
            return $"cut off: {name} after {clock.Elapsed.TotalSeconds:0.0} s";
        }
        catch (IOException)
        {
            return $"cut off: {name} (reset) after {clock.Elapsed.TotalSeconds:0.0} s";
        }
        catch (OperationCanceledException)
        {
            return $"still open: {name} after 15 s";
        }
    }

    static long SettledHeap()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return GC.GetTotalMemory(true);
    }

    static int OpenHandles() => Directory.Exists("/proc/self/fd") ? Directory.GetFiles("/proc/self/fd").Length : -1;
}
