using System.Buffers;
using System.Diagnostics;
using System.Text.Json;
using Zrpc.Rpc;
using Zrpc.TestService;

namespace Zrpc.Bench;

/// <summary>Runs the measurements in this process and collects medians into a <see cref="BenchReport"/>.</summary>
public sealed partial class Runner(BenchOptions options, TextWriter log)
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

    private double GiBps(Cost c) => options.Bytes / (double)BenchOptions.GiB / c.Seconds;

    private double CpuPerGiB(Cost c) => c.Cpu.TotalSeconds / (options.Bytes / (double)BenchOptions.GiB);

    private double AllocPerGiB(Cost c) => c.Allocated / (options.Bytes / (double)BenchOptions.GiB);

    private static double SteadyAllocPerGiB(Cost c) => c.BytesAfterMark == 0 ? double.NaN : c.AllocatedAfterMark / (c.BytesAfterMark / (double)BenchOptions.GiB);

    private static double Median(List<Cost> runs, Func<Cost, double> f) => Stats.Median(runs.Select(f));

    private static string Join(double[] values) => string.Join(" ", values.Select(v => v.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture)));
}
