using System.Buffers;
using System.Diagnostics;
using System.Text.Json;
using Zrpc.Rpc;
using Zrpc.TestService;
using Zrpc.Transport;

namespace Zrpc.Bench;

// Short calls: the raw ping-pong and sequential Echo over 1 to 64 connections, in each threading mode.
public sealed partial class Runner
{
    private async Task<PingPongResult> PingPongAsync(string transport, string mode, CancellationToken ct)
    {
        var rates = new List<double>();
        var p50s = new List<double>();
        var p99s = new List<double>();
        await JitWarmUp.UntilQuietAsync(() => PingPongOnceAsync(transport, mode, WarmUpRound, ct), options.WarmUpLimit);
        for (int i = 0; i < options.Runs; i++)
        {
            var (rate, latencies) = await PingPongOnceAsync(transport, mode, options.CallDuration, ct);
            rates.Add(rate);
            p50s.Add(Stats.Percentile(latencies, 50) * 1e6 / Stopwatch.Frequency);
            p99s.Add(Stats.Percentile(latencies, 99) * 1e6 / Stopwatch.Frequency);
        }

        var result = new PingPongResult(transport, Stats.Median(rates), Stats.Median(p50s), Stats.Median(p99s)) { Mode = mode };
        log.WriteLine($"ping   {transport,-5} {mode,-8} {result.RoundTripsPerSecond,10:N0} round trips/s  p50 {result.P50Microseconds:0.0} us  p99 {result.P99Microseconds:0.0} us");
        return result;
    }

    private static async Task<(double Rate, long[] Latencies)> PingPongOnceAsync(string transport, string mode, TimeSpan duration, CancellationToken ct)
    {
        bool blocking = mode == IoModes.Blocking;
        await using var pair = blocking ? await BlockingPairs.OpenAsync(transport, ct) : await TransportPairs.OpenAsync(transport, ct);
        async Task EchoAsync()
        {
            byte[] b = new byte[PingSize];
            while (true)
            {
                if (!await ReadExactlyOrEndAsync(pair.Server, b, ct)) return;
                await pair.Server.WriteAsync(b, ct);
            }
        }

        // Blocking streams complete every await before it returns, so their echo loop needs a thread of its own.
        var echo = blocking ? OwnThread.Run(EchoAsync) : Task.Run(EchoAsync, ct);
        byte[] ping = new byte[PingSize];
        var latencies = new List<long>(1 << 16);
        long end = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        long begin = Stopwatch.GetTimestamp();
        long now = begin;
        while (now < end)
        {
            await pair.Client.WriteAsync(ping, ct);
            await pair.Client.ReadExactlyAsync(ping, ct);
            long after = Stopwatch.GetTimestamp();
            latencies.Add(after - now);
            now = after;
        }

        double rate = latencies.Count / ((now - begin) / (double)Stopwatch.Frequency);
        await pair.Client.DisposeAsync();
        await echo;
        var sorted = latencies.ToArray();
        Array.Sort(sorted);
        return (rate, sorted);
    }

    private static async Task<bool> ReadExactlyOrEndAsync(Stream s, byte[] b, CancellationToken ct)
    {
        int got = 0;
        while (got < b.Length)
        {
            int n = await s.ReadAsync(b.AsMemory(got), ct);
            if (n == 0) return false;
            got += n;
        }

        return true;
    }

    private async Task<CallResult> CallsAsync(string transport, int connections, double rawPingPong, CancellationToken ct)
    {
        var server = new RpcServer();
        ConformanceService.Register(server);
        var pairs = new List<ConnectionPair>();
        var serving = new List<Task>();
        var clients = new List<RpcClient>();
        try
        {
            for (int i = 0; i < connections; i++)
            {
                var pair = await TransportPairs.OpenAsync(transport, ct);
                pairs.Add(pair);
                serving.Add(Task.Run(() => server.ServeConnectionAsync(pair.Server, ct), ct));
                clients.Add(new RpcClient(pair.Client));
            }

            await JitWarmUp.UntilQuietAsync(() => CallsOnceAsync(clients, WarmUpRound, ct), options.WarmUpLimit);
            var runs = new List<(double Rate, double P50, double P99, double AllocPerCall, double CpuPerCall)>();
            for (int r = 0; r < options.Runs; r++)
            {
                var meter = CostMeter.Start();
                var latencies = await CallsOnceAsync(clients, options.CallDuration, ct);
                var cost = meter.Stop();
                double f = 1e6 / Stopwatch.Frequency;
                runs.Add((latencies.Length / cost.Seconds, Stats.Percentile(latencies, 50) * f, Stats.Percentile(latencies, 99) * f,
                    cost.Allocated / (double)latencies.Length, cost.Cpu.TotalMicroseconds / latencies.Length));
            }

            double rate = Stats.Median(runs.Select(x => x.Rate));
            var result = new CallResult(transport, connections, rate, rate / rawPingPong,
                Stats.Median(runs.Select(x => x.P50)), Stats.Median(runs.Select(x => x.P99)),
                Stats.Median(runs.Select(x => x.AllocPerCall)), Stats.Median(runs.Select(x => x.CpuPerCall)),
                runs.Select(x => x.Rate).ToArray());
            log.WriteLine($"echo   {transport,-5} async    x{connections,-3} {rate,10:N0} calls/s  {result.RatioToRawPingPong,6:P0} of ping-pong  p50 {result.P50Microseconds:0.0} us  p99 {result.P99Microseconds:0.0} us  alloc/call {result.AllocatedPerCall:N0} B");
            return result;
        }
        finally
        {
            foreach (var c in clients) await c.DisposeAsync();
            await Task.WhenAll(serving);
            foreach (var p in pairs) await p.DisposeAsync();
        }
    }

    /// <summary>One way of making sequential Echo calls: a server listening, and its clients.</summary>
    private sealed class CallSetup(string mode, IConnectionListener listener, CancellationTokenSource stop, Task serving, List<RpcClient> clients) : IAsyncDisposable
    {
        public string Mode { get; } = mode;

        public List<RpcClient> Clients { get; } = clients;

        /// <summary>A blocking client's calls complete on the calling thread: each client needs a thread of its own.</summary>
        public bool Blocking => IoModes.ClientBlocks(Mode);

        public List<(double Rate, double P50, double P99, double AllocPerCall, double CpuPerCall)> Runs { get; } = [];

        public static async Task<CallSetup> OpenAsync(string mode, string transport, int connections, CancellationToken ct)
        {
            var server = new RpcServer(new RpcServerOptions
            {
                ConnectionThreading = mode switch
                {
                    IoModes.Auto => ConnectionThreading.Auto,
                    IoModes.Async or IoModes.BlockingClient => ConnectionThreading.Async,
                    _ => ConnectionThreading.ThreadPerConnection,
                },
            });
            ConformanceService.Register(server);
            var (listener, address) = BlockingPairs.Listen(transport);
            var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var serving = server.ServeAsync(listener, stop.Token);
            var clients = new List<RpcClient>();
            for (int i = 0; i < connections; i++)
            {
                clients.Add(new RpcClient(IoModes.ClientBlocks(mode)
                    ? await Connector.ConnectBlockingAsync(address, ct)
                    : await Connector.ConnectAsync(address, ct)));
            }

            return new CallSetup(mode, listener, stop, serving, clients);
        }

        public async Task<long[]> CallAsync(TimeSpan duration, CancellationToken ct)
        {
            if (!Blocking) return await CallsOnceAsync(Clients, duration, ct);
            long end = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
            var perClient = await Task.WhenAll(Clients.Select(client =>
            {
                List<long> latencies = [];
                return OwnThread.Run(async () => latencies = await CallLoopAsync(client, end, ct)).ContinueWith(_ => latencies, TaskScheduler.Default);
            }));
            var all = perClient.SelectMany(l => l).ToArray();
            Array.Sort(all);
            return all;
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var c in Clients) await c.DisposeAsync();
            await stop.CancelAsync();
            await serving;
            await listener.DisposeAsync();
            stop.Dispose();
        }
    }

    /// <summary>
    /// Sequential Echo calls on <paramref name="connections"/> socket connections, for each of
    /// <see cref="IoModes.SocketCalls"/>: each mode is set up and warmed up, then the runs go in
    /// turns (the order flips every repetition), so that the machine's drift reaches all modes alike.
    /// </summary>
    private async Task<List<CallResult>> SocketCallsAsync(string transport, int connections, double asyncPing, double blockingPing, CancellationToken ct)
    {
        var setups = new List<CallSetup>();
        try
        {
            foreach (var mode in IoModes.SocketCalls)
            {
                var setup = await CallSetup.OpenAsync(mode, transport, connections, ct);
                setups.Add(setup);
                await JitWarmUp.UntilQuietAsync(() => setup.CallAsync(WarmUpRound, ct), options.WarmUpLimit);
            }

            for (int r = 0; r < options.Runs; r++)
            {
                foreach (var setup in r % 2 == 0 ? setups : Enumerable.Reverse(setups))
                {
                    var meter = CostMeter.Start();
                    var latencies = await setup.CallAsync(options.CallDuration, ct);
                    var cost = meter.Stop();
                    double f = 1e6 / Stopwatch.Frequency;
                    setup.Runs.Add((latencies.Length / cost.Seconds, Stats.Percentile(latencies, 50) * f, Stats.Percentile(latencies, 99) * f,
                        cost.Allocated / (double)latencies.Length, cost.Cpu.TotalMicroseconds / latencies.Length));
                }
            }

            var results = new List<CallResult>();
            foreach (var setup in setups)
            {
                var runs = setup.Runs;
                double rate = Stats.Median(runs.Select(x => x.Rate));
                double ping = setup.Blocking ? blockingPing : asyncPing;
                var result = new CallResult(transport, connections, rate, rate / ping,
                    Stats.Median(runs.Select(x => x.P50)), Stats.Median(runs.Select(x => x.P99)),
                    Stats.Median(runs.Select(x => x.AllocPerCall)), Stats.Median(runs.Select(x => x.CpuPerCall)),
                    runs.Select(x => x.Rate).ToArray())
                { Mode = setup.Mode };
                log.WriteLine($"echo   {transport,-5} {setup.Mode,-13} x{connections,-3} {rate,10:N0} calls/s  {result.RatioToRawPingPong,6:P0} of ping-pong  p50 {result.P50Microseconds:0.0} us  p99 {result.P99Microseconds:0.0} us  alloc/call {result.AllocatedPerCall:N0} B  runs {string.Join(" ", runs.Select(x => x.Rate.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)))}");
                results.Add(result);
            }

            return results;
        }
        finally
        {
            foreach (var setup in setups) await setup.DisposeAsync();
        }
    }

    private static async Task<long[]> CallsOnceAsync(List<RpcClient> clients, TimeSpan duration, CancellationToken ct)
    {
        long end = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var perClient = await Task.WhenAll(clients.Select(client => Task.Run(() => CallLoopAsync(client, end, ct), ct)));
        var all = perClient.SelectMany(l => l).ToArray();
        Array.Sort(all);
        return all;
    }

    /// <summary>Sequential Echo calls until <paramref name="end"/> (a Stopwatch timestamp); the latency of each.</summary>
    private static async Task<List<long>> CallLoopAsync(RpcClient client, long end, CancellationToken ct)
    {
        var latencies = new List<long>(1 << 15);
        long now = Stopwatch.GetTimestamp();
        while (now < end)
        {
            var reply = await client.CallAsync<JsonElement, JsonElement>(ConformanceService.Echo, EchoBody, ct);
            if (reply.ValueKind != JsonValueKind.Object) throw new IOException("Echo returned something else than the object sent");
            long after = Stopwatch.GetTimestamp();
            latencies.Add(after - now);
            now = after;
        }

        return latencies;
    }

    // ---- helpers ----
}
