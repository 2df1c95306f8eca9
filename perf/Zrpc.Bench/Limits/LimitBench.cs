using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Zrpc.Rpc;
using Zrpc.TestService;
using Zrpc.Transport;

namespace Zrpc.Bench.Limits;

/// <summary>
/// The <c>limit</c> command: for each transport, one table in which every row is divided by the
/// machine's limit, a native copy between two processes measured in turns with the rows (each
/// row's run against the native copies just before and after it). Rows: iperf3 (TCP), the .NET raw
/// copy, the protocol in two processes as users run it (<c>zrpc call</c> against <c>zrpc serve</c>;
/// the library's client against the library's server in a child process), other implementations
/// given with <c>--peer-server</c>/<c>--peer-call</c>, and the in-process figures for diagnosis.
/// </summary>
public sealed class LimitBench(BenchOptions options, TextWriter log, string repositoryRoot)
{
    /// <summary>Transfer size of the warm-up round: enough for the tiered JIT to reach the per-frame code.</summary>
    private const long WarmUpBytes = 64L << 20;

    /// <summary>The user's path, which the other protocol rows of a call are also given as a ratio to.</summary>
    private const string ZrpcRowName = "zrpc call + zrpc serve";

    private readonly List<Process> _servers = [];
    private readonly List<string> _files = [];

    /// <summary>The Unix socket paths given to servers: a server that is killed cannot remove its own.</summary>
    private readonly List<string> _sockets = [];

    private sealed record Row(string Name, string Kind, string Service, string Direction, Func<long, CancellationToken, Task<double>> Run, bool InThisProcess)
    {
        /// <summary>Each run starts a client process, whose start-up is measured and taken off.</summary>
        public bool ClientProcess { get; init; }

        public double StartupSeconds { get; set; } = double.NaN;
    }

    public async Task RunAsync(BenchReport report, CancellationToken ct)
    {
        var native = await NativeCopy.BuildAsync(repositoryRoot, Path.Combine(repositoryRoot, "artifacts", "bench", "native"), ct);
        try
        {
            foreach (var transport in options.Transports)
            {
                var rows = await RowsAsync(transport, ct);
                await MeasureAsync(report, transport, native, rows, ct);
                StopServers();
            }
        }
        finally
        {
            StopServers();
            foreach (var f in _files) File.Delete(f);
        }
    }

    private async Task<List<Row>> RowsAsync(string transport, CancellationToken ct)
    {
        var rows = new List<Row>();
        if (transport == "tcp" && NativeCopy.Iperf3 is not null)
        {
            rows.Add(new Row("iperf3", "native", "-", "-", (b, c) => NativeCopy.Iperf3Async(b, c), false));
        }
        else if (transport == "tcp")
        {
            log.WriteLine("iperf3 not found: the TCP table has zcopy alone as its native limit (apt-get install iperf3 for the cross-check)");
        }

        rows.Add(new Row(".NET raw copy", "in-process", "-", "-", async (b, c) => (await Runner.RawCopyOnceAsync(transport, b, c)).Seconds, true));

        // The protocol's own cost, as users deploy it: the library's client here, its server in a child process.
        var nullServer = await ServerAsync(transport, BenchSelf(["peer-serve", "--service", "null"]), ct);
        foreach (var endpoint in new[] { "Source", "Sink" })
        {
            rows.Add(new Row("library client + library server", "2 processes", "null", endpoint, (b, c) => LibraryCallAsync(nullServer, endpoint, b, c), true));
        }

        // The user's path: zrpc call against zrpc serve (the Conformance Test Service, payload work included).
        string[] zrpc = BuiltCommand(Path.Combine("reference", "Zrpc.Cli"), "Zrpc.Cli");
        var zrpcServer = await ServerAsync(transport, [.. zrpc, "serve"], ct);
        foreach (var endpoint in new[] { "Source", "Sink" })
        {
            rows.Add(new Row(ZrpcRowName, "2 processes", "conformance", endpoint, (b, c) => ZrpcCallAsync(zrpc, zrpcServer, endpoint, b, c), false) { ClientProcess = true });
        }

        var peerServers = new Dictionary<string, TransportAddress>();
        foreach (var (name, command) in options.PeerServers)
        {
            var peer = await ServerAsync(transport, PeerCommand(command), ct, placeholders: true);
            peerServers[name] = peer;
            foreach (var endpoint in new[] { "Source", "Sink" })
            {
                rows.Add(new Row($"library client + {name} server", "2 processes", "conformance", endpoint, (b, c) => LibraryCallAsync(peer, endpoint, b, c), true));
            }
        }

        foreach (var (name, command, endpoints) in options.PeerCalls)
        {
            foreach (var endpoint in endpoints)
            {
                rows.Add(new Row($"{name} client + zrpc serve", "2 processes", "conformance", endpoint, (b, c) => PeerCallAsync(command, zrpcServer, endpoint, b, c), false) { ClientProcess = true });
            }
        }

        // Another implementation on both ends, as its users run it (a client and a server given under one name).
        foreach (var (name, command, endpoints) in options.PeerCalls)
        {
            if (!peerServers.TryGetValue(name, out var peer)) continue;
            foreach (var endpoint in endpoints)
            {
                rows.Add(new Row($"{name} client + {name} server", "2 processes", "conformance", endpoint, (b, c) => PeerCallAsync(command, peer, endpoint, b, c), false) { ClientProcess = true });
            }
        }

        foreach (var endpoint in new[] { "Source", "Sink" })
        {
            rows.Add(new Row("library client + library server", "in-process", "null", endpoint, async (b, c) => (await Runner.StreamOnceAsync(transport, NullService.Register, endpoint, b, c)).Seconds, true));
        }

        return rows;
    }

    private async Task MeasureAsync(BenchReport report, string transport, NativeCopy native, List<Row> rows, CancellationToken ct)
    {
        long small = Math.Min(WarmUpBytes, options.Bytes);
        var inProcess = rows.Where(r => r.InThisProcess).ToList();
        var (rounds, quiet) = await JitWarmUp.UntilQuietAsync(async () =>
        {
            foreach (var r in inProcess) await r.Run(small, ct);
        }, options.WarmUpLimit);
        foreach (var r in rows.Where(r => !r.InThisProcess)) await r.Run(small, ct);
        log.WriteLine($"warm   {transport,-5} {rounds} rounds in this process, {(quiet ? "until the JIT was quiet" : "and the JIT was still compiling")}; every other row once");

        foreach (var r in rows.Where(r => r.ClientProcess))
        {
            // A client process's own start, connection and empty call, measured alone and taken off each of its runs.
            var starts = new List<double>();
            for (int i = 0; i < 3; i++) starts.Add(await r.Run(0, ct));
            r.StartupSeconds = Stats.Median(starts);
            log.WriteLine($"start  {transport,-5} {r.Name} {r.Direction}: {r.StartupSeconds * 1000:0} ms per call with an empty body, taken off each run");
        }

        var nativeRuns = new List<double>();
        var runs = rows.Select(_ => new List<double>()).ToList();
        for (int i = 0; i < options.Runs; i++)
        {
            nativeRuns.Add(options.Bytes / (double)BenchOptions.GiB / await native.CopyAsync(transport, options.Bytes, ct));
            var order = Enumerable.Range(0, rows.Count);
            foreach (int k in i % 2 == 0 ? order : order.Reverse())
            {
                double seconds = await rows[k].Run(options.Bytes, ct);
                if (!double.IsNaN(rows[k].StartupSeconds))
                {
                    if (rows[k].StartupSeconds > seconds / 2)
                    {
                        // What is left after the subtraction is then mostly the start-up's own variation.
                        log.WriteLine($"note   {transport,-5} {rows[k].Name} {rows[k].Direction}: start-up {rows[k].StartupSeconds * 1000:0} ms is more than half of this run's {seconds * 1000:0} ms; its figure is not meaningful, give a larger --bytes");
                    }

                    seconds -= rows[k].StartupSeconds;
                }

                runs[k].Add(options.Bytes / (double)BenchOptions.GiB / seconds);
            }
        }

        nativeRuns.Add(options.Bytes / (double)BenchOptions.GiB / await native.CopyAsync(transport, options.Bytes, ct));
        var nativeRow = new LimitResult(transport, "zcopy (C)", "native", "-", "-", Stats.Median(nativeRuns), 1, nativeRuns.ToArray())
        {
            RunToRunSpread = StreamRatios.RunToRunSpread(nativeRuns),
        };
        report.Limits.Add(nativeRow);
        log.WriteLine($"native {transport,-5} {nativeRow.GiBps,7:0.00} GiB/s  run-to-run spread {nativeRow.RunToRunSpread,4:P0}  runs [{Join(nativeRuns)}]");

        int dotnetRaw = rows.FindIndex(r => r.Name == ".NET raw copy");
        int ZrpcRow(string direction) => rows.FindIndex(r => r.Name == ZrpcRowName && r.Direction == direction);
        for (int k = 0; k < rows.Count; k++)
        {
            double[] ratios = StreamRatios.Bracketed(runs[k], nativeRuns);
            var (low, high) = StreamRatios.MiddleHalf(ratios);
            var row = rows[k];
            var result = new LimitResult(transport, row.Name, row.Kind, row.Service, row.Direction, Stats.Median(runs[k]), Stats.Median(ratios), runs[k].ToArray())
            {
                RunRatios = ratios,
                RatioLow = low,
                RatioHigh = high,
                RatioToDotnetRaw = k == dotnetRaw ? double.NaN : Stats.Median(runs[k].Zip(runs[dotnetRaw], (a, b) => a / b)),
                RatioToZrpc = row.Service == "conformance" && ZrpcRow(row.Direction) is int z and >= 0 && z != k ? Stats.Median(runs[k].Zip(runs[z], (a, b) => a / b)) : double.NaN,
                StartupSecondsSubtracted = row.StartupSeconds,
            };
            report.Limits.Add(result);
            log.WriteLine($"limit  {transport,-5} {row.Name,-34} {row.Kind,-11} {row.Service,-11} {row.Direction,-6} {result.GiBps,7:0.00} GiB/s  {result.RatioToNative,5:0.00} of native (middle half {low:0.00}-{high:0.00})  runs [{Join(runs[k])}]");
        }
    }

    // ---- the rows' runs ----

    /// <summary>One Source or Sink call of the library's client against a server in another process, timed from the request to the last byte.</summary>
    private static async Task<double> LibraryCallAsync(TransportAddress server, string endpoint, long bytes, CancellationToken ct)
    {
        var connection = await Connector.ConnectAsync(server, ct);
        var client = new RpcClient(connection, new RpcClientOptions { CallTimeout = Timeout.InfiniteTimeSpan });
        try
        {
            // A server started for this call (exec:) has started once Echo is answered; its start is not the transfer's.
            await client.CallAsync<JsonElement, JsonElement>(ConformanceService.Echo, JsonDocument.Parse("{}").RootElement, ct);
            var clock = Stopwatch.StartNew();
            if (endpoint == "Source")
            {
                await using var body = await client.CallAsync<ConformanceService.SourceRequest, Stream>(ConformanceService.Source, new ConformanceService.SourceRequest { Length = (ulong)bytes }, ct);
                byte[] buffer = new byte[1 << 20];
                long received = 0;
                int n;
                while ((n = await body.ReadAsync(buffer, ct)) > 0) received += n;
                if (received != bytes) throw new IOException($"Source delivered {received} of {bytes} bytes");
            }
            else
            {
                var response = await client.CallAsync<Stream, ConformanceService.SinkResponse>(ConformanceService.Sink, new UnfilledStream(bytes), ct);
                if (response.Length != (ulong)bytes) throw new IOException($"Sink counted {response.Length} of {bytes} bytes");
            }

            return clock.Elapsed.TotalSeconds;
        }
        finally
        {
            await client.DisposeAsync();
        }
    }

    /// <summary>The wall time of one <c>zrpc call</c> process (start-up included; the caller takes it off).</summary>
    private async Task<double> ZrpcCallAsync(string[] zrpc, TransportAddress server, string endpoint, long bytes, CancellationToken ct)
    {
        var args = zrpc.Skip(1).Concat(["call", endpoint, "-c", server.ToString(), "--timeout", "0"]).ToList();
        if (endpoint == "Source")
        {
            args.AddRange(["--json", $$"""{"length":{{bytes.ToString(CultureInfo.InvariantCulture)}}}""", "--octets-out", "/dev/null"]);
        }
        else
        {
            args.AddRange(["--octets-in", SparseFile(bytes)]);
        }

        var run = await Processes.RunAsync(zrpc[0], args, ct);
        if (run.ExitCode != 0) throw new IOException($"zrpc call {endpoint} exited {run.ExitCode}: {run.Stderr}");
        if (endpoint == "Sink" && !run.Stdout.Contains($"\"Length\": {bytes}", StringComparison.OrdinalIgnoreCase))
        {
            throw new IOException($"zrpc call Sink: the server did not count {bytes} bytes: {run.Stdout}");
        }

        return run.Seconds;
    }

    /// <summary>The wall time of one call made by another implementation's client command.</summary>
    private async Task<double> PeerCallAsync(string command, TransportAddress server, string endpoint, long bytes, CancellationToken ct)
    {
        var words = PeerCommand(command).Select(w => w
            .Replace("{address}", server.ToString(), StringComparison.Ordinal)
            .Replace("{endpoint}", endpoint, StringComparison.Ordinal)
            .Replace("{length}", bytes.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{file}", endpoint == "Sink" ? SparseFile(bytes) : "/dev/null", StringComparison.Ordinal)).ToList();
        var run = await Processes.RunAsync(words[0], words.Skip(1), ct);
        if (run.ExitCode != 0) throw new IOException($"{words[0]} exited {run.ExitCode}: {run.Stderr}");
        return run.Seconds;
    }

    // ---- servers and files ----

    /// <summary>
    /// Where a client reaches a server made by <paramref name="command"/>: tcp and unix start it once
    /// (with <c>--listen ADDRESS</c> appended, or {address} replaced) and wait until it accepts;
    /// pipe gives an exec: address, so every call starts its own server, as over ssh.
    /// </summary>
    private async Task<TransportAddress> ServerAsync(string transport, IReadOnlyList<string> command, CancellationToken ct, bool placeholders = false)
    {
        TransportAddress address = transport switch
        {
            "tcp" => TransportAddress.Tcp("127.0.0.1", Processes.FreeTcpPort()),
            "unix" => TransportAddress.Unix(Path.Combine(Path.GetTempPath(), $"zrpc-bench-{Environment.ProcessId}-{_servers.Count}.sock")),
            _ => TransportAddress.Stdio,
        };
        var words = WithAddress(command, address, placeholders);
        if (transport == "pipe")
        {
            return TransportAddress.Exec(words[0], words.Skip(1));
        }

        var process = Processes.Start(words[0], words.Skip(1));
        _servers.Add(process);
        if (transport == "unix") _sockets.Add(address.Path);
        _ = process.StandardOutput.ReadToEndAsync(ct);
        if (transport == "tcp") await Processes.WaitForTcpAsync(address.Port, process, ct);
        else await Processes.WaitForUnixAsync(address.Path, process, ct);
        return address;
    }

    private static List<string> WithAddress(IReadOnlyList<string> command, TransportAddress address, bool placeholders)
    {
        string text = address.ToString();
        if (placeholders)
        {
            return command.Select(w => w
                .Replace("{address}", text, StringComparison.Ordinal)
                .Replace("{port}", address.Port.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
                .Replace("{path}", address.Path, StringComparison.Ordinal)).ToList();
        }

        return [.. command, "--listen", text, "--quiet"];
    }

    private void StopServers()
    {
        foreach (var p in _servers)
        {
            Processes.Stop(p);
            p.Dispose();
        }

        _servers.Clear();
        foreach (var path in _sockets)
        {
            try { File.Delete(path); }
            catch (IOException) { }
        }

        _sockets.Clear();
    }

    /// <summary>A file of <paramref name="bytes"/> zero bytes that takes no disk space (a hole), made once per size and removed at the end.</summary>
    private string SparseFile(long bytes)
    {
        string path = Path.Combine(Path.GetTempPath(), $"zrpc-bench-{Environment.ProcessId}-{bytes}.bin");
        if (!_files.Contains(path))
        {
            using (var f = new FileStream(path, FileMode.CreateNew)) f.SetLength(bytes);
            _files.Add(path);
        }

        return path;
    }

    /// <summary>This bench in another process (its apphost, or dotnet and its assembly).</summary>
    private static string[] BenchSelf(string[] args)
    {
        string dll = typeof(LimitBench).Assembly.Location;
        string apphost = Path.ChangeExtension(dll, null);
        return File.Exists(apphost) ? [apphost, .. args] : ["dotnet", dll, .. args];
    }

    /// <summary>A tool built by the same build as this bench, started through its apphost (as an installed tool starts).</summary>
    private string[] BuiltCommand(string projectDirectory, string name)
    {
        string configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
        string dir = Path.Combine(repositoryRoot, projectDirectory, "bin", configuration, "net10.0");
        string apphost = Path.Combine(dir, name);
        if (File.Exists(apphost)) return [apphost];
        string dll = apphost + ".dll";
        return File.Exists(dll) ? ["dotnet", dll] : throw new FileNotFoundException($"{dll} is missing: build the solution in {configuration} first");
    }

    private static List<string> PeerCommand(string command) => TransportAddress.SplitCommandLine(command);

    private static string Join(IEnumerable<double> values) => string.Join(" ", values.Select(v => v.ToString("0.00", CultureInfo.InvariantCulture)));
}
