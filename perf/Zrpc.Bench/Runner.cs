using System.Buffers;
using System.Diagnostics;
using System.Text.Json;
using Zrpc.Rpc;
using Zrpc.TestService;
using Zrpc.Transport;

namespace Zrpc.Bench;

/// <summary>Runs the measurements in this process and collects medians into a <see cref="BenchReport"/>.</summary>
public sealed class Runner(BenchOptions options, TextWriter log)
{
    private const int RawWriteSize = 4 << 20;
    private const int ReadSize = 1 << 20;
    private const int PingSize = 64;
    // Long enough for the tiered JIT to finish with the per-frame methods (a few hundred frames):
    // with 32 MiB, the first measured runs of a configuration still ran instrumented tier-1 code
    // and came out at a quarter of the later ones.
    private const long WarmUpBytes = 512L << 20;

    /// <summary>
    /// Size of each short call of the streaming warm-up. Code that runs once per call (connection
    /// set-up, request and response headers) is promoted by the tiered JIT only after about 30
    /// calls, and then in stages; with a single long warm-up transfer the JIT was still compiling
    /// 15-60 such methods on the other core during every measured protocol run (436 in the first),
    /// which the raw copy, with almost no per-run code, never paid.
    /// </summary>
    private const long WarmUpCallBytes = 4L << 20;

    /// <summary>
    /// One round of the call-rate warm-up. Sequential Echo speeds up severalfold over its first
    /// seconds while the JIT promotes the per-call code (docs/performance.md), so rounds repeat
    /// until the JIT is quiet, as before the streaming runs.
    /// </summary>
    private static readonly TimeSpan WarmUpRound = TimeSpan.FromMilliseconds(100);

    private static readonly JsonElement EchoBody = JsonDocument.Parse("""{"name":"bench","n":42,"ok":true,"tags":["a","b","c"]}""").RootElement.Clone();

    public async Task<BenchReport> RunAsync(CancellationToken ct)
    {
        var started = Stopwatch.StartNew();
        var report = new BenchReport
        {
            Machine = MachineInfo.Collect(),
            Command = options.Command,
            BytesPerTransfer = options.Bytes,
            Runs = options.Runs,
            CallSeconds = options.CallDuration.TotalSeconds,
        };
        bool all = options.Command == "all";
        if (options.Command == "raw")
        {
            foreach (var t in options.Transports)
            {
                report.Raw.Add(await RawCopyAsync(t, ct));
            }
        }

        if (all || options.Command == "stream")
        {
            var services = new List<(string, Action<RpcServer>)> { ("null", NullService.Register) };
            if (options.WithConformanceService) services.Add(("conformance", ConformanceService.Register));
            foreach (var t in options.Transports)
            {
                await InterleavedStreamAsync(report, t, services, ct);
            }
        }

        if (all || options.Command == "calls")
        {
            foreach (var t in options.Transports)
            {
                var ping = await PingPongAsync(t, IoModes.Async, ct);
                report.PingPong.Add(ping);
                if (t is "tcp" or "unix")
                {
                    // Every way of waiting at either end, in turns at each number of connections;
                    // the blocking client against a ping-pong made the same way.
                    var blockingPing = await PingPongAsync(t, IoModes.Blocking, ct);
                    report.PingPong.Add(blockingPing);
                    var levels = t == "tcp" ? options.Concurrency : [1];
                    foreach (int c in levels)
                    {
                        report.Calls.AddRange(await SocketCallsAsync(t, c, ping.RoundTripsPerSecond, blockingPing.RoundTripsPerSecond, ct));
                    }
                }
                else
                {
                    report.Calls.Add(await CallsAsync(t, 1, ping.RoundTripsPerSecond, ct));
                }
            }
        }

        if (options.Command == "limit")
        {
            await new Limits.LimitBench(options, log, Capture.ToolBench.RepositoryRoot()).RunAsync(report, ct);
        }

        if (options.Command == "startup")
        {
            await new Limits.StartupBench(options, log, Capture.ToolBench.RepositoryRoot()).RunAsync(report, ct);
        }

        var tools = new Capture.ToolBench(options, log);
        if ((all && options.WithDump) || options.Command == "dump")
        {
            await tools.DumpAsync(report, ct);
        }

        if ((all && options.WithSuite) || options.Command == "suite")
        {
            await tools.SuiteAsync(report, ct);
        }

        report.PeakWorkingSetBytes = CostMeter.PeakWorkingSet();
        report.TotalSeconds = started.Elapsed.TotalSeconds;
        return report;
    }

    // ---- (1) the limit: bytes through the transport, no protocol ----

    private async Task<RawResult> RawCopyAsync(string transport, CancellationToken ct)
    {
        await RawCopyOnceAsync(transport, Math.Min(WarmUpBytes, options.Bytes), ct);
        var runs = new List<Cost>();
        for (int i = 0; i < options.Runs; i++)
        {
            runs.Add(await RawCopyOnceAsync(transport, options.Bytes, ct));
        }

        var result = new RawResult(transport, Median(runs, GiBps), Median(runs, CpuPerGiB), Median(runs, AllocPerGiB), runs.Select(GiBps).ToArray())
        {
            SteadyAllocatedPerGiB = Median(runs, SteadyAllocPerGiB),
            RunToRunSpread = StreamRatios.RunToRunSpread(runs.Select(GiBps).ToArray()),
        };
        log.WriteLine($"raw    {transport,-5} {result.GiBps,7:0.00} GiB/s  runs [{Join(result.RunsGiBps)}]");
        return result;
    }

    internal static async Task<Cost> RawCopyOnceAsync(string transport, long bytes, CancellationToken ct)
    {
        await using var pair = await TransportPairs.OpenAsync(transport, ct);
        byte[] source = ArrayPool<byte>.Shared.Rent(RawWriteSize);
        byte[] sink = ArrayPool<byte>.Shared.Rent(ReadSize);
        try
        {
            var meter = CostMeter.StartTransfer(bytes);
            var writer = Task.Run(async () =>
            {
                for (long left = bytes; left > 0;)
                {
                    int n = (int)Math.Min(RawWriteSize, left);
                    await pair.Client.WriteAsync(source.AsMemory(0, n), ct);
                    left -= n;
                }
            }, ct);
            long received = 0;
            while (received < bytes)
            {
                int n = await pair.Server.ReadAsync(sink.AsMemory(0, ReadSize), ct);
                if (n == 0) throw new IOException($"raw copy ended after {received} of {bytes} bytes");
                received += n;
                if (received >= meter.MarkAt) meter.Mark(received);
            }

            await writer;
            return meter.Stop() with { };
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(source);
            ArrayPool<byte>.Shared.Return(sink);
        }
    }

    // ---- (2) Octets streaming through the protocol ----

    internal static async Task<Cost> StreamOnceAsync(string transport, Action<RpcServer> register, string endpoint, long bytes, CancellationToken ct)
    {
        var pair = await TransportPairs.OpenAsync(transport, ct);
        var server = new RpcServer();
        register(server);
        var serving = Task.Run(() => server.ServeConnectionAsync(pair.Server, ct), ct);
        var client = new RpcClient(pair.Client, new RpcClientOptions { CallTimeout = Timeout.InfiniteTimeSpan });
        byte[] buffer = ArrayPool<byte>.Shared.Rent(ReadSize);
        try
        {
            var meter = CostMeter.StartTransfer(bytes);
            if (endpoint == "Source")
            {
                var request = new ConformanceService.SourceRequest { Length = (ulong)bytes };
                await using var body = await client.CallAsync<ConformanceService.SourceRequest, Stream>(ConformanceService.Source, request, ct);
                long received = 0;
                int n;
                while ((n = await body.ReadAsync(buffer.AsMemory(0, ReadSize), ct)) > 0)
                {
                    received += n;
                    if (received >= meter.MarkAt) meter.Mark(received);
                }

                if (received != bytes) throw new IOException($"Source delivered {received} of {bytes} bytes");
            }
            else
            {
                var response = await client.CallAsync<Stream, ConformanceService.SinkResponse>(ConformanceService.Sink, new UnfilledStream(bytes, meter), ct);
                if (response.Length != (ulong)bytes) throw new IOException($"Sink counted {response.Length} of {bytes} bytes");
            }

            return meter.Stop();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            await client.DisposeAsync();
            await serving;
            await pair.DisposeAsync();
        }
    }

    /// <summary>
    /// Raw copy and every protocol configuration of one transport. Warm-up first: short calls of
    /// every configuration until the JIT is quiet, then one long transfer each. Then each service
    /// is measured in turns with raw copies of its own (<see cref="InTurnsAsync"/>), and each
    /// protocol run is compared with the raw copies just before and just after it, never with a
    /// median taken minutes apart: on a shared machine the speed drifts within seconds.
    /// </summary>
    private async Task InterleavedStreamAsync(BenchReport report, string transport, List<(string Name, Action<RpcServer> Register)> services, CancellationToken ct)
    {
        long warm = Math.Min(WarmUpBytes, options.Bytes);
        var configs = services.SelectMany(s => new[] { (s.Name, s.Register, Endpoint: "Source"), (s.Name, s.Register, Endpoint: "Sink") }).ToList();
        long small = Math.Min(WarmUpCallBytes, options.Bytes);
        var (rounds, quiet) = await JitWarmUp.UntilQuietAsync(async () =>
        {
            await RawCopyOnceAsync(transport, small, ct);
            foreach (var c in configs)
            {
                await StreamOnceAsync(transport, c.Register, c.Endpoint, small, ct);
            }
        }, options.WarmUpLimit);
        await RawCopyOnceAsync(transport, warm, ct);
        foreach (var c in configs)
        {
            await StreamOnceAsync(transport, c.Register, c.Endpoint, warm, ct);
        }

        log.WriteLine($"warm   {transport,-5} {rounds} rounds of short calls, {(quiet ? "until the JIT was quiet" : "and the JIT was still compiling")}, then {ReportWriter.Size(warm)} per configuration; thread pool {ThreadPool.ThreadCount} threads");

        // Each service is measured in turns with raw copies of its own: the Conformance Test
        // Service's runs (SHA-256 or pattern generation on a full core for seconds) left the
        // machine in another state for the run after them, and the null service's ratios, the
        // protocol's own cost, came out lower when they sat between those runs.
        foreach (var service in services)
        {
            var group = configs.Where(c => c.Name == service.Name).ToList();
            var (raw, runs) = await InTurnsAsync(transport, group, ct);
            var rawRates = raw.Select(GiBps).ToArray();
            if (service == services[0])
            {
                var rawResult = new RawResult(transport, Median(raw, GiBps), Median(raw, CpuPerGiB), Median(raw, AllocPerGiB), rawRates)
                {
                    SteadyAllocatedPerGiB = Median(raw, SteadyAllocPerGiB),
                    RunToRunSpread = StreamRatios.RunToRunSpread(rawRates),
                    WarmUpRounds = rounds,
                    WarmUpQuiet = quiet,
                };
                report.Raw.Add(rawResult);
                log.WriteLine($"raw    {transport,-5} {rawResult.GiBps,7:0.00} GiB/s  run-to-run spread {rawResult.RunToRunSpread,4:P0}  runs [{Join(rawResult.RunsGiBps)}]");
            }

            for (int k = 0; k < group.Count; k++)
            {
                var r = runs[k];
                double[] ratios = StreamRatios.Bracketed(r.Select(GiBps).ToArray(), rawRates);
                var (low, high) = StreamRatios.MiddleHalf(ratios);
                var result = new StreamResult(transport, group[k].Name, group[k].Endpoint, Median(r, GiBps), Stats.Median(ratios),
                    Median(r, CpuPerGiB), Median(r, AllocPerGiB), r.Select(GiBps).ToArray())
                {
                    SteadyAllocatedPerGiB = Median(r, SteadyAllocPerGiB),
                    MethodsJitted = r.Select(c => c.MethodsJitted).ToArray(),
                    RawRunsGiBps = rawRates,
                    RunRatios = ratios,
                    RatioLow = low,
                    RatioHigh = high,
                };
                report.Stream.Add(result);
                log.WriteLine($"stream {transport,-5} {result.Service,-11} {result.Direction,-6} {result.GiBps,7:0.00} GiB/s  {result.RatioToRaw,6:P0} of raw (middle half {result.RatioLow:0.00}-{result.RatioHigh:0.00})  alloc/GiB {result.AllocatedPerGiB,10:N0} (steady {result.SteadyAllocatedPerGiB:N0})  runs [{Join(result.RunsGiBps)}]  raw around [{Join(rawRates)}]  jitted [{string.Join(' ', result.MethodsJitted)}]");
            }
        }
    }

    /// <summary>
    /// One service's configurations in turns with raw copies: each repetition is a raw copy and then
    /// every configuration, in forward order on even repetitions and in reverse order on odd ones, so
    /// none always runs right after the raw copy; one more raw copy closes the last repetition, so
    /// every protocol run has a raw copy on each side (<see cref="StreamRatios.BracketedMedian"/>).
    /// </summary>
    private async Task<(List<Cost> Raw, List<List<Cost>> Runs)> InTurnsAsync(
        string transport, List<(string Name, Action<RpcServer> Register, string Endpoint)> group, CancellationToken ct)
    {
        var raw = new List<Cost>();
        var runs = group.Select(_ => new List<Cost>()).ToList();
        for (int i = 0; i < options.Runs; i++)
        {
            raw.Add(await RawCopyOnceAsync(transport, options.Bytes, ct));
            var order = Enumerable.Range(0, group.Count);
            foreach (int k in i % 2 == 0 ? order : order.Reverse())
            {
                runs[k].Add(await StreamOnceAsync(transport, group[k].Register, group[k].Endpoint, options.Bytes, ct));
            }
        }

        raw.Add(await RawCopyOnceAsync(transport, options.Bytes, ct));
        return (raw, runs);
    }

    // ---- (3) call rate ----

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

    private double GiBps(Cost c) => options.Bytes / (double)BenchOptions.GiB / c.Seconds;

    private double CpuPerGiB(Cost c) => c.Cpu.TotalSeconds / (options.Bytes / (double)BenchOptions.GiB);

    private double AllocPerGiB(Cost c) => c.Allocated / (options.Bytes / (double)BenchOptions.GiB);

    private static double SteadyAllocPerGiB(Cost c) => c.BytesAfterMark == 0 ? double.NaN : c.AllocatedAfterMark / (c.BytesAfterMark / (double)BenchOptions.GiB);

    private static double Median(List<Cost> runs, Func<Cost, double> f) => Stats.Median(runs.Select(f));

    private static string Join(double[] values) => string.Join(" ", values.Select(v => v.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture)));
}
