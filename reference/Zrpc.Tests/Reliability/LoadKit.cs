using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
using Zrpc.Frames;
using Zrpc.Rpc;
using Zrpc.TestService;
using Zrpc.Transport;

namespace Zrpc.Tests.Reliability;

/// <summary>
/// An in-process reference server for the load, soak and limit tests. Its log is kept short
/// (the last lines and counters), so that hours of connections do not grow the test's own heap
/// and pass for a leak of the server's.
/// </summary>
sealed class LoadServer : IAsyncDisposable
{
    const int KeptLines = 200;
    readonly Queue<string> _lines = new();
    readonly CancellationTokenSource _stop = new();
    readonly TcpConnectionListener _listener;
    readonly Task _serving;
    long _opened, _closed, _refused, _protocolErrors;

    LoadServer(RpcServerOptions options, int backlog)
    {
        options.Log = Record;
        var server = new RpcServer(options);
        ConformanceService.Register(server);
        _listener = new TcpConnectionListener(new IPEndPoint(IPAddress.Loopback, 0), backlog);
        EndPoint = _listener.LocalEndPoint;
        _serving = server.ServeAsync(_listener, _stop.Token);
    }

    public static LoadServer Start(RpcServerOptions options, int backlog = 1024) => new(options, backlog);

    public IPEndPoint EndPoint { get; }

    /// <summary>Connections the server accepted and began to serve.</summary>
    public long Opened => Interlocked.Read(ref _opened);

    /// <summary>Served connections that have ended (any cause).</summary>
    public long Closed => Interlocked.Read(ref _closed);

    /// <summary>Connections closed at once because the server was at its connection limit.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>Connections ended by a protocol error (including a read timeout, CONN-5).</summary>
    public long ProtocolErrors => Interlocked.Read(ref _protocolErrors);

    public string[] RecentLog()
    {
        lock (_lines) return _lines.ToArray();
    }

    /// <summary>Polls until <paramref name="condition"/> holds; false if it did not within <paramref name="patience"/>.</summary>
    public async Task<bool> WaitForAsync(Func<LoadServer, bool> condition, TimeSpan patience)
    {
        var clock = Stopwatch.StartNew();
        while (!condition(this))
        {
            if (clock.Elapsed > patience) return false;
            await Task.Delay(20);
        }
        return true;
    }

    void Record(string line)
    {
        // Counted by the server's own words (RpcServer.ServeConnectionCoreAsync / ServeAsync).
        if (line.EndsWith(": open", StringComparison.Ordinal) || line.EndsWith(": open (thread of its own)", StringComparison.Ordinal)) Interlocked.Increment(ref _opened);
        else if (line.EndsWith(": closed", StringComparison.Ordinal)) Interlocked.Increment(ref _closed);
        else if (line.StartsWith("connection limit of", StringComparison.Ordinal)) Interlocked.Increment(ref _refused);
        if (line.Contains("protocol error", StringComparison.Ordinal)) Interlocked.Increment(ref _protocolErrors);
        lock (_lines)
        {
            _lines.Enqueue(line);
            if (_lines.Count > KeptLines) _lines.Dequeue();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _serving.WaitAsync(TimeSpan.FromSeconds(20));
        await _listener.DisposeAsync();
        _stop.Dispose();
    }
}

/// <summary>Call latencies, in milliseconds: all of them, and those since the last <see cref="TakeInterval"/>.</summary>
sealed class LatencyRecorder
{
    readonly List<double> _all = [];
    List<double> _interval = [];
    readonly bool _keepAll;

    public LatencyRecorder(bool keepAll = true) => _keepAll = keepAll;

    public long Count { get; private set; }

    public void Add(double milliseconds)
    {
        lock (_all)
        {
            Count++;
            _interval.Add(milliseconds);
            if (_keepAll) _all.Add(milliseconds);
        }
    }

    public double[] All()
    {
        lock (_all) return _all.ToArray();
    }

    public double[] TakeInterval()
    {
        lock (_all)
        {
            var taken = _interval.ToArray();
            _interval = [];
            return taken;
        }
    }

    /// <summary>The q-quantile (0..1) of <paramref name="values"/> by nearest rank; NaN when empty.</summary>
    public static double Quantile(IReadOnlyList<double> values, double q)
    {
        if (values.Count == 0) return double.NaN;
        var sorted = values.Order().ToArray();
        return sorted[Math.Min(sorted.Length - 1, (int)(sorted.Length * q))];
    }
}

/// <summary>
/// One well-behaved client of the load mix (Echo, Fail, Source 1 MiB, Sink 1 MiB) with
/// its own buffers, so that a long run does not measure the test's allocations. Every answer is
/// verified: Echo by value, Fail by status and message (CTS-3), Source byte by byte (CTS-4), Sink
/// by length and SHA-256 (CTS-5).
/// </summary>
sealed class LoadClient(int index)
{
    public const int OctetsSize = 1 << 20;
    readonly byte[] _readBuffer = new byte[64 * 1024];

    /// <summary>
    /// Opens one connection and makes <paramref name="calls"/> calls on it (or calls until
    /// <paramref name="until"/> fires when calls is 0); returns null or what went wrong.
    /// </summary>
    public async Task<string?> RunAsync(IPEndPoint endPoint, int calls, LatencyRecorder latencies, CancellationToken until = default)
    {
        try
        {
            using var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await socket.ConnectAsync(endPoint);
            await using var client = new RpcClient(new NetworkStream(socket, ownsSocket: false), new RpcClientOptions());
            for (var call = 0; calls == 0 ? !until.IsCancellationRequested : call < calls; call++)
            {
                var started = Stopwatch.GetTimestamp();
                if (await CallAsync(client, call) is { } failure) return failure;
                latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
            return null;
        }
        catch (Exception e)
        {
            return $"client {index}: {e.GetType().Name}: {e.Message}";
        }
    }

    async Task<string?> CallAsync(RpcClient client, int call)
    {
        switch ((index + call) % 4)
        {
            case 0:
                var echoed = await client.CallAsync<JsonElement, JsonElement>("Echo", JsonDocument.Parse($"{{\"client\":{index},\"call\":{call}}}").RootElement, default);
                if (echoed.GetProperty("client").GetInt32() != index || echoed.GetProperty("call").GetInt32() != call)
                    return $"client {index}: Echo returned {echoed}";
                return null;
            case 1:
                try
                {
                    await client.CallAsync<ConformanceService.FailRequest, JsonElement>("Fail", new() { Message = $"fail {index}/{call}" }, default);
                    return $"client {index}: Fail succeeded";
                }
                catch (RpcStatusException e) when (e.Status == Status.Error && e.ErrorMessage == $"fail {index}/{call}")
                {
                    return null;
                }
            case 2:
                await using (var body = await client.CallAsync<ConformanceService.SourceRequest, Stream>("Source", new() { Length = OctetsSize }, default))
                {
                    long offset = 0;
                    int n;
                    while ((n = await body.ReadAsync(_readBuffer)) > 0)
                    {
                        for (var i = 0; i < n; i++)
                            if (_readBuffer[i] != (byte)((offset + i) % 251)) return $"client {index}: Source byte {offset + i} wrong";
                        offset += n;
                    }
                    return offset == OctetsSize ? null : $"client {index}: Source gave {offset} bytes";
                }
            default:
                using (var data = new RandomBody(OctetsSize))
                {
                    var sunk = await client.CallAsync<Stream, ConformanceService.SinkResponse>("Sink", data, default);
                    return sunk.Length == OctetsSize && data.Sent == OctetsSize && sunk.SHA256 == data.Sha256Hex()
                        ? null
                        : $"client {index}: Sink reported {sunk.Length} / {sunk.SHA256}, sent {data.Sent} / {data.Sha256Hex()}";
                }
        }
    }
}

/// <summary>
/// A Sink request body of random bytes, made as it is read and hashed on the way, so that 200
/// clients do not each hold a megabyte the memory figures would then have to see through.
/// </summary>
sealed class RandomBody(long length) : Stream
{
    readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    public long Sent { get; private set; }

    public string Sha256Hex() => Convert.ToHexStringLower(_hash.GetCurrentHash());

    public override int Read(Span<byte> buffer)
    {
        var n = (int)Math.Min(buffer.Length, length - Sent);
        RandomNumberGenerator.Fill(buffer[..n]);
        _hash.AppendData(buffer[..n]);
        Sent += n;
        return n;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => Task.FromResult(Read(buffer.AsSpan(offset, count)));
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => length;
    public override long Position { get => Sent; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) _hash.Dispose();
        base.Dispose(disposing);
    }
}

/// <summary>Misbehaving clients and how the server ended them.</summary>
static class HostileClients
{
    /// <summary>The bytes of a frame header announcing a Header frame of <paramref name="length"/> bytes (FRAME-1).</summary>
    public static byte[] HeaderFrameStart(int length) => [0x01, 0x01, (byte)length, (byte)(length >> 8), 0x00, 0x00];

    /// <summary>Sends the start of a frame and then nothing: the read timeout must end it (CONN-5, FRAME-11).</summary>
    public static Func<NetworkStream, Task> StopsMidFrame => s => s.WriteAsync(new byte[] { 0x01, 0x01, 0x20, 0x00, 0x00, 0x00, (byte)'{' }).AsTask();

    /// <summary>Announces a payload over 4 MiB and sends nothing more: refused from the header alone (FRAME-6).</summary>
    public static Func<NetworkStream, Task> OversizeLengthThenNothing => s => s.WriteAsync(new byte[] { 0x02, 0x01, 0x01, 0x00, 0x40, 0x00 }).AsTask();

    /// <summary>Connects and never speaks: only an idle timeout can end it (CONN-6).</summary>
    public static Func<NetworkStream, Task> NeverSpeaks => _ => Task.CompletedTask;

    /// <summary>A few header bytes one a second, then silence: the read timeout must end it once it stalls (CONN-5).</summary>
    public static Func<NetworkStream, Task> SlowSenderThenStall => async s =>
    {
        foreach (var b in new byte[] { 0x01, 0x01, 0x48, 0x00 })
        {
            await s.WriteAsync(new[] { b });
            await Task.Delay(1000);
        }
    };

    /// <summary>
    /// A whole Sink request header, a Data frame announcing 1 MiB, then one body byte a second for
    /// up to 20 s: every read completes within the read timeout, so only the body rate floor can
    /// end it (CONN-5).
    /// </summary>
    public static Func<NetworkStream, Task> SlowBodySender => async s =>
    {
        byte[] header = RpcHeader.Request("Sink", DataType.Octets, DataType.MarshaledJson).ToCanonicalBytes();
        var start = new byte[6 + header.Length + 6];
        FrameHeader.Create(FrameType.Header, true, header.Length).WriteTo(start);
        header.CopyTo(start, 6);
        FrameHeader.Create(FrameType.Data, true, 1 << 20).WriteTo(start.AsSpan(6 + header.Length));
        await s.WriteAsync(start);
        for (var i = 0; i < 20; i++)
        {
            await Task.Delay(1000);
            await s.WriteAsync(new[] { (byte)i });
        }
    };

    /// <summary>
    /// Runs a misbehaving client and waits up to <paramref name="patience"/> for the server to end
    /// the connection. The answer starts with "cut off" or "still open".
    /// </summary>
    public static async Task<string> RunAsync(IPEndPoint endPoint, string name, Func<NetworkStream, Task> misbehave, TimeSpan? patience = null)
    {
        var limit = patience ?? TimeSpan.FromSeconds(15);
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
        return await AwaitCutOffAsync(stream, name, clock, limit);
    }

    /// <summary>Reads until the server ends the connection (end of stream or reset) or the patience runs out.</summary>
    public static async Task<string> AwaitCutOffAsync(Stream stream, string name, Stopwatch clock, TimeSpan patience)
    {
        var buffer = new byte[64];
        try
        {
            using var limit = new CancellationTokenSource(patience);
            while (await stream.ReadAsync(buffer, limit.Token) > 0) { }
            return $"cut off: {name} after {clock.Elapsed.TotalSeconds:0.0} s";
        }
        catch (IOException)
        {
            return $"cut off: {name} (reset) after {clock.Elapsed.TotalSeconds:0.0} s";
        }
        catch (OperationCanceledException)
        {
            return $"still open: {name} after {clock.Elapsed.TotalSeconds:0.0} s";
        }
    }
}

/// <summary>What the test process holds: the figures a leak would move.</summary>
static class ProcessFigures
{
    /// <summary>The managed heap after a full, compacting collection: what is really held.</summary>
    public static long SettledHeap()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return GC.GetTotalMemory(true);
    }

    /// <summary>Open file descriptors (sockets included); -1 where /proc is missing.</summary>
    /// <summary>
    /// Open file descriptors but those of loaded code: the runtime opens an assembly (and its
    /// symbols) the first time it is needed and keeps it, which is growth but not a leak.
    /// </summary>
    public static int OpenHandles() => Directory.Exists("/proc/self/fd")
        ? OpenHandleKinds().Where(k => !IsLoadedCode(k.Key)).Sum(k => k.Value)
        : -1;

    static bool IsLoadedCode(string target) =>
        target.EndsWith(".dll", StringComparison.Ordinal) || target.EndsWith(".pdb", StringComparison.Ordinal)
        || target.EndsWith(".so", StringComparison.Ordinal) || target.Contains(".so.", StringComparison.Ordinal);

    /// <summary>Open handles by kind (socket, pipe, anon_inode:[eventfd], a file path, ...), to name what grew.</summary>
    public static Dictionary<string, int> OpenHandleKinds()
    {
        var kinds = new Dictionary<string, int>();
        if (!Directory.Exists("/proc/self/fd")) return kinds;
        foreach (var fd in Directory.GetFiles("/proc/self/fd"))
        {
            string kind;
            try
            {
                kind = new FileInfo(fd).LinkTarget ?? "?";
            }
            catch (IOException)
            {
                continue; // closed while listing
            }

            kind = kind.StartsWith("socket:", StringComparison.Ordinal) ? "socket" : kind.StartsWith("pipe:", StringComparison.Ordinal) ? "pipe" : kind;
            kinds[kind] = kinds.GetValueOrDefault(kind) + 1;
        }

        return kinds;
    }

    /// <summary>"socket +3, anon_inode:[eventfd] +1": the kinds whose count changed.</summary>
    public static string HandleGrowth(Dictionary<string, int> before, Dictionary<string, int> after) =>
        string.Join(", ", after.Keys.Union(before.Keys)
            .Select(k => (k, d: after.GetValueOrDefault(k) - before.GetValueOrDefault(k)))
            .Where(x => x.d != 0).OrderByDescending(x => x.d).Select(x => $"{x.k} {x.d:+0;-0}"));

    public static long WorkingSet()
    {
        using var self = Process.GetCurrentProcess();
        return self.WorkingSet64;
    }

    public static int Threads()
    {
        using var self = Process.GetCurrentProcess();
        return self.Threads.Count;
    }
}

/// <summary>
/// Writes a test's figures as JSON to $ZRPC_RELIABILITY_OUT/NAME.json when that variable is set,
/// for ./reliability-report.sh; the figures in docs/reliability.md and the README are never typed by hand.
/// </summary>
static class ReliabilityFigures
{
    public const string Variable = "ZRPC_RELIABILITY_OUT";
    static readonly JsonSerializerOptions Indented = new()
    {
        WriteIndented = true,
        // A sample window without calls has no latency quantile (NaN).
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static void Write(string name, object figures)
    {
        var directory = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrEmpty(directory)) return;
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, name + ".json"), JsonSerializer.Serialize(figures, Indented));
    }
}
