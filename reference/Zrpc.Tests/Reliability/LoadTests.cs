using System.Diagnostics;
using NUnit.Framework;
using Zrpc.Rpc;

namespace Zrpc.Tests.Reliability;

/// <summary>
/// The short, CI form of the load test: many concurrent clients making verified calls while
/// hostile clients misbehave alongside. It asserts correctness and recovery, never speed; the
/// figures are printed for the record. The long form is <see cref="SoakTests"/>.
/// </summary>
[Category("Reliability"), Category("TRANS-2"), Category("TRANS-3"), Category("CONN-5")]
public sealed class LoadTests
{
    const int Clients = 200;
    const int CallsPerClient = 4;
    const int ExtraRounds = 2;

    [Test]
    public async Task Two_hundred_clients_with_hostile_neighbours_all_get_verified_answers()
    {
        await using var server = LoadServer.Start(new RpcServerOptions
        {
            ReadTimeout = TimeSpan.FromSeconds(2),
            // Only a client that never speaks waits this long; the others call without pause.
            IdleTimeout = TimeSpan.FromSeconds(5),
        });
        var endPoint = server.EndPoint;
        var clients = Enumerable.Range(0, Clients).Select(i => new LoadClient(i)).ToArray();
        Task<string?[]> Round(LatencyRecorder latencies) => Task.WhenAll(clients.Select(c => c.RunAsync(endPoint, CallsPerClient, latencies)));

        // A first round fills the buffer pools and grows the thread pool. Pools keep what they
        // retain per thread and per core, so one sample after one round can sit megabytes above
        // the last for no fault of ours; a leak shows instead as growth that every round adds to.
        var warmUp = await Round(new LatencyRecorder());
        Assert.That(warmUp.Where(f => f is not null), Is.Empty, "warm-up round");
        var memoryBefore = ProcessFigures.SettledHeap();
        var handlesBefore = ProcessFigures.OpenHandles();

        // Hostile neighbours: each must be cut off by the server, none may slow the others down.
        var hostile = new List<Task<string>>
        {
            HostileClients.RunAsync(endPoint, "slow sender", HostileClients.SlowSenderThenStall),
            HostileClients.RunAsync(endPoint, "stops mid-frame", HostileClients.StopsMidFrame),
            HostileClients.RunAsync(endPoint, "oversize length then nothing", HostileClients.OversizeLengthThenNothing),
            HostileClients.RunAsync(endPoint, "never speaks", HostileClients.NeverSpeaks),
            HostileClients.RunAsync(endPoint, "slow body sender", HostileClients.SlowBodySender),
        };

        var latencies = new LatencyRecorder();
        var clock = Stopwatch.StartNew();
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var failures = await Round(latencies);
        var elapsed = clock.Elapsed;
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        var hostileOutcomes = await Task.WhenAll(hostile);

        Assert.That(failures.Where(f => f is not null), Is.Empty, "every normal client's calls must succeed and verify");
        Assert.That(hostileOutcomes, Has.All.StartsWith("cut off"), string.Join("; ", hostileOutcomes));

        var memoryAfterRounds = new List<long> { ProcessFigures.SettledHeap() };
        for (var round = 0; round < ExtraRounds; round++)
        {
            var more = await Round(new LatencyRecorder());
            Assert.That(more.Where(f => f is not null), Is.Empty, $"extra round {round + 1}");
            memoryAfterRounds.Add(ProcessFigures.SettledHeap());
        }
        var memoryAfter = memoryAfterRounds.Min();
        // The server closes its end of a connection when it reads the client's close, a moment
        // after the client has moved on; give it that moment, not more.
        await server.WaitForAsync(s => s.Closed == s.Opened, TimeSpan.FromSeconds(5));
        var handlesAfter = ProcessFigures.OpenHandles();

        var all = latencies.All();
        var p50 = LatencyRecorder.Quantile(all, 0.50);
        var p99 = LatencyRecorder.Quantile(all, 0.99);
        var max = all.Max();
        TestContext.Out.WriteLine($"{Clients} clients x {CallsPerClient} calls (Echo, Fail, Source 1 MiB, Sink 1 MiB), {hostile.Count} hostile clients: {elapsed.TotalSeconds:0.00} s, CPU {cpu.TotalSeconds:0.00} s");
        TestContext.Out.WriteLine($"call latency p50 {p50:0.0} ms, p99 {p99:0.0} ms, max {max:0.0} ms");
        TestContext.Out.WriteLine($"managed heap after the warm-up round {memoryBefore / 1024} KiB, after the measured round and {ExtraRounds} more: {string.Join(", ", memoryAfterRounds.Select(m => $"{m / 1024} KiB"))}; open handles {handlesBefore} -> {handlesAfter}");
        TestContext.Out.WriteLine("hostile: " + string.Join("; ", hostileOutcomes));

        var heapGrowth = memoryAfter - memoryBefore;
        ReliabilityFigures.Write("load", new
        {
            clients = Clients,
            callsPerClient = CallsPerClient,
            rounds = 2 + ExtraRounds,
            calls = (long)Clients * CallsPerClient * (2 + ExtraRounds),
            verifiedCalls = all.Length,
            errors = failures.Count(f => f is not null),
            seconds = Math.Round(elapsed.TotalSeconds, 2),
            cpuSeconds = Math.Round(cpu.TotalSeconds, 2),
            p50Ms = Math.Round(p50, 1),
            p99Ms = Math.Round(p99, 1),
            maxMs = Math.Round(max, 1),
            heapBeforeKiB = memoryBefore / 1024,
            heapAfterKiB = memoryAfter / 1024,
            handlesBefore,
            handlesAfter,
            hostile = hostileOutcomes,
        });

        // Every round moves 400 MiB of octets over 200 connections: a leak of one buffer per call or
        // of a connection's state would put each later sample tens of megabytes above the last.
        Assert.That(heapGrowth, Is.LessThan(16L << 20), "memory must not grow with every round of load (lowest sample after the measured rounds against the warm-up)");
        if (handlesBefore >= 0)
            Assert.That(handlesAfter - handlesBefore, Is.LessThan(10), "sockets must not leak");
    }
}
