using System.Diagnostics;
using System.Globalization;
using NUnit.Framework;
using Zrpc.Rpc;

namespace Zrpc.Tests.Reliability;

/// <summary>
/// The long form of the load test, run on demand only:
/// <c>ZRPC_SOAK_MINUTES=10 dotnet test reference/Zrpc.Tests -c Release --filter "FullyQualifiedName~SoakTests" --logger "console;verbosity=detailed"</c>.
/// It keeps the load mix of <see cref="LoadTests"/> running on 200 connections (each reconnects
/// after a few calls, so connections churn too) with hostile clients alongside, prints a sample
/// row every few seconds, and at the end asserts that nothing failed and that neither memory
/// nor handles kept growing.
/// </summary>
[Explicit("minutes long; run on demand (ZRPC_SOAK_MINUTES, ZRPC_SOAK_SAMPLE_SECONDS)")]
[Category("Reliability"), Category("Soak"), Category("TRANS-2"), Category("TRANS-3"), Category("CONN-5")]
public sealed class SoakTests
{
    const int Connections = 200;
    const int CallsPerConnection = 8;

    // Margins of the growth check: the median of the last third of the samples against the
    // median of the first third (after the warm-up). Pools and the GC's budgets move a few
    // megabytes with no leak; a leak of one 1 MiB buffer per call or of a connection's state
    // would exceed these within a minute of this load.
    const long HeapMarginBytes = 16L << 20;
    const double HeapMarginRatio = 0.20;
    const long WorkingSetMarginBytes = 64L << 20;
    const double WorkingSetMarginRatio = 0.25;
    const int HandleMargin = 40; // 400 sockets churn; a leak of one per connection would add thousands
    const int EndHandleMargin = 10; // as in the short form, once every connection has ended

    sealed record Sample(double AtSeconds, long HeapBytes, long WorkingSetBytes, int Handles, int Threads,
        double CallsPerSecond, double P50Ms, double P99Ms, long Calls, long Errors, long HostileCutOff, long HostileStillOpen, long ServerConnections);

    static double Setting(string name, double fallback) =>
        double.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value > 0 ? value : fallback;

    [Test]
    public async Task Load_mix_on_two_hundred_connections_holds_for_minutes_without_errors_or_growth()
    {
        var duration = TimeSpan.FromMinutes(Setting("ZRPC_SOAK_MINUTES", 2));
        // At least a dozen samples whatever the duration, so that thirds hold several each.
        var interval = TimeSpan.FromSeconds(Math.Min(Setting("ZRPC_SOAK_SAMPLE_SECONDS", 10), duration.TotalSeconds / 12));
        var warmUp = TimeSpan.FromSeconds(Math.Min(30, duration.TotalSeconds / 6));
        var output = TestContext.Progress;

        await using var server = LoadServer.Start(new RpcServerOptions
        {
            ReadTimeout = TimeSpan.FromSeconds(2),
            IdleTimeout = TimeSpan.FromSeconds(10),
        });
        var handlesAtStart = ProcessFigures.OpenHandles();
        var handleKindsAtStart = ProcessFigures.OpenHandleKinds();
        using var stop = new CancellationTokenSource(duration);
        var latencies = new LatencyRecorder(keepAll: false);
        var errors = new List<string>();
        long errorCount = 0, cutOff = 0, stillOpen = 0, hostileRuns = 0;

        async Task Worker(int index)
        {
            var client = new LoadClient(index);
            while (!stop.IsCancellationRequested)
            {
                if (await client.RunAsync(server.EndPoint, CallsPerConnection, latencies) is { } failure)
                {
                    Interlocked.Increment(ref errorCount);
                    lock (errors) if (errors.Count < 20) errors.Add(failure);
                }
            }
        }

        // One hostile client of each kind at a time, again and again, for the whole run.
        async Task Hostile(string name, Func<System.Net.Sockets.NetworkStream, Task> misbehave)
        {
            while (!stop.IsCancellationRequested)
            {
                var outcome = await HostileClients.RunAsync(server.EndPoint, name, misbehave, TimeSpan.FromSeconds(30));
                Interlocked.Increment(ref hostileRuns);
                if (outcome.StartsWith("cut off", StringComparison.Ordinal)) Interlocked.Increment(ref cutOff);
                else
                {
                    Interlocked.Increment(ref stillOpen);
                    lock (errors) if (errors.Count < 20) errors.Add(outcome);
                }
            }
        }

        var clock = Stopwatch.StartNew();
        var work = Enumerable.Range(0, Connections).Select(i => Task.Run(() => Worker(i)))
            .Concat(new[]
            {
                Task.Run(() => Hostile("slow sender", HostileClients.SlowSenderThenStall)),
                Task.Run(() => Hostile("stops mid-frame", HostileClients.StopsMidFrame)),
                Task.Run(() => Hostile("oversize length then nothing", HostileClients.OversizeLengthThenNothing)),
                Task.Run(() => Hostile("never speaks", HostileClients.NeverSpeaks)),
                Task.Run(() => Hostile("slow body sender", HostileClients.SlowBodySender)),
            }).ToArray();

        var samples = new List<Sample>();
        output.WriteLine($"soak: {duration.TotalMinutes:0.##} min, {Connections} connections x {CallsPerConnection} calls then reconnect, mix Echo/Fail/Source 1 MiB/Sink 1 MiB, 4 hostile kinds; sample every {interval.TotalSeconds:0.#} s, warm-up {warmUp.TotalSeconds:0} s");
        output.WriteLine($"{"t s",6} {"heap MiB",9} {"WS MiB",8} {"handles",8} {"threads",8} {"calls/s",8} {"p50 ms",8} {"p99 ms",8} {"calls",9} {"errors",7} {"hostile cut",12} {"server conns",13}");
        var lastCalls = 0L;
        var lastAt = 0.0;
        while (!stop.IsCancellationRequested)
        {
            try { await Task.Delay(interval, stop.Token); } catch (OperationCanceledException) { break; }
            var at = clock.Elapsed.TotalSeconds;
            var window = latencies.TakeInterval();
            var calls = latencies.Count;
            var sample = new Sample(at, ProcessFigures.SettledHeap(), ProcessFigures.WorkingSet(), ProcessFigures.OpenHandles(), ProcessFigures.Threads(),
                (calls - lastCalls) / (at - lastAt), LatencyRecorder.Quantile(window, 0.50), LatencyRecorder.Quantile(window, 0.99),
                calls, Interlocked.Read(ref errorCount), Interlocked.Read(ref cutOff), Interlocked.Read(ref stillOpen), server.Opened - server.Closed);
            (lastCalls, lastAt) = (calls, at);
            samples.Add(sample);
            output.WriteLine($"{sample.AtSeconds,6:0} {sample.HeapBytes / 1048576.0,9:0.0} {sample.WorkingSetBytes / 1048576.0,8:0.0} {sample.Handles,8} {sample.Threads,8} {sample.CallsPerSecond,8:0.0} {sample.P50Ms,8:0.0} {sample.P99Ms,8:0.0} {sample.Calls,9} {sample.Errors,7} {sample.HostileCutOff,12} {sample.ServerConnections,13}");
        }

        await Task.WhenAll(work).WaitAsync(TimeSpan.FromSeconds(60));
        var elapsed = clock.Elapsed;
        // Every connection has ended: the handles must be back where they were before the load.
        await server.WaitForAsync(s => s.Closed == s.Opened, TimeSpan.FromSeconds(30));
        var handlesAtEnd = ProcessFigures.OpenHandles();
        // Sockets the runtime closes a moment after their last use (a hostile client's, cut off
        // while it was still writing) are gone within a few seconds; a leak is not.
        for (var wait = 0; wait < 50 && handlesAtStart >= 0 && handlesAtEnd - handlesAtStart >= EndHandleMargin; wait++)
        {
            await Task.Delay(100);
            handlesAtEnd = ProcessFigures.OpenHandles();
        }

        var measured = samples.Where(s => s.AtSeconds >= warmUp.TotalSeconds).ToList();
        Assert.That(measured.Count, Is.GreaterThanOrEqualTo(6), "too few samples after the warm-up to judge a trend");
        var third = measured.Count / 3;
        var first = measured.Take(third).ToList();
        var last = measured.Skip(measured.Count - third).ToList();
        static double Median(IEnumerable<double> values) => LatencyRecorder.Quantile(values.ToList(), 0.5);
        var heapFirst = Median(first.Select(s => (double)s.HeapBytes));
        var heapLast = Median(last.Select(s => (double)s.HeapBytes));
        var wsFirst = Median(first.Select(s => (double)s.WorkingSetBytes));
        var wsLast = Median(last.Select(s => (double)s.WorkingSetBytes));
        var handlesFirst = Median(first.Select(s => (double)s.Handles));
        var handlesLast = Median(last.Select(s => (double)s.Handles));
        var threadsFirst = Median(first.Select(s => (double)s.Threads));
        var threadsLast = Median(last.Select(s => (double)s.Threads));
        var totalCalls = latencies.Count;

        output.WriteLine($"soak over: {elapsed.TotalSeconds:0} s, {totalCalls} verified calls ({totalCalls / elapsed.TotalSeconds:0.0}/s), {Interlocked.Read(ref errorCount)} errors; hostile clients {hostileRuns}: {cutOff} cut off, {stillOpen} still open");
        output.WriteLine($"first third vs last third after the warm-up (medians of {third} samples each):");
        output.WriteLine($"  managed heap {heapFirst / 1048576:0.0} -> {heapLast / 1048576:0.0} MiB (allowed +{HeapMarginBytes >> 20} MiB + {HeapMarginRatio:P0})");
        output.WriteLine($"  working set  {wsFirst / 1048576:0.0} -> {wsLast / 1048576:0.0} MiB (allowed +{WorkingSetMarginBytes >> 20} MiB + {WorkingSetMarginRatio:P0})");
        output.WriteLine($"  open handles {handlesFirst:0} -> {handlesLast:0} (allowed +{HandleMargin})");
        var handleGrowth = ProcessFigures.HandleGrowth(handleKindsAtStart, ProcessFigures.OpenHandleKinds());
        output.WriteLine($"  open handles before the load {handlesAtStart}, after it ended {handlesAtEnd} (allowed +{EndHandleMargin}); by kind: {handleGrowth}");
        output.WriteLine($"  threads      {threadsFirst:0} -> {threadsLast:0} (reported, not judged)");
        output.WriteLine($"  calls/s      {Median(first.Select(s => s.CallsPerSecond)):0.0} -> {Median(last.Select(s => s.CallsPerSecond)):0.0}; p99 {Median(first.Select(s => s.P99Ms)):0.0} -> {Median(last.Select(s => s.P99Ms)):0.0} ms");
        lock (errors) foreach (var e in errors) output.WriteLine("  error: " + e);

        ReliabilityFigures.Write("soak", new
        {
            seconds = Math.Round(elapsed.TotalSeconds),
            connections = Connections,
            calls = totalCalls,
            callsPerSecond = Math.Round(totalCalls / elapsed.TotalSeconds, 1),
            errors = Interlocked.Read(ref errorCount),
            hostileRuns,
            hostileCutOff = cutOff,
            hostileStillOpen = stillOpen,
            heapFirstMiB = Math.Round(heapFirst / 1048576, 1),
            heapLastMiB = Math.Round(heapLast / 1048576, 1),
            workingSetFirstMiB = Math.Round(wsFirst / 1048576, 1),
            workingSetLastMiB = Math.Round(wsLast / 1048576, 1),
            handlesFirst,
            handlesLast,
            handlesAtStart,
            handlesAtEnd,
            threadsFirst,
            threadsLast,
            p50Ms = Math.Round(Median(measured.Select(s => s.P50Ms)), 1),
            p99Ms = Math.Round(Median(measured.Select(s => s.P99Ms)), 1),
            samples,
        });

        Assert.Multiple(() =>
        {
            Assert.That(Interlocked.Read(ref errorCount), Is.Zero, "every call of the soak must succeed and verify");
            Assert.That(stillOpen, Is.Zero, "every hostile client must be cut off by the server's timeouts");
            Assert.That(heapLast, Is.LessThanOrEqualTo(heapFirst * (1 + HeapMarginRatio) + HeapMarginBytes), "managed heap kept growing");
            Assert.That(wsLast, Is.LessThanOrEqualTo(wsFirst * (1 + WorkingSetMarginRatio) + WorkingSetMarginBytes), "working set kept growing");
            if (handlesFirst >= 0)
            {
                Assert.That(handlesLast, Is.LessThanOrEqualTo(handlesFirst + HandleMargin), "open handles kept growing");
                Assert.That(handlesAtEnd, Is.LessThan(handlesAtStart + EndHandleMargin), $"handles left open after the load ended: {handleGrowth}");
            }
        });
    }
}
