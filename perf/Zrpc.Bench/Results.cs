namespace Zrpc.Bench;

public sealed record RawResult(string Transport, double GiBps, double CpuSecondsPerGiB, double AllocatedPerGiB, double[] RunsGiBps)
{
    /// <summary>Allocated per GiB after the first quarter of each transfer: what grows with the bytes.</summary>
    public double SteadyAllocatedPerGiB { get; init; }

    /// <summary>
    /// Median relative change between consecutive raw copies (0.1: 10 %), the same work run twice:
    /// how far apart two runs of this machine land, the noise against which a ratio is read.
    /// </summary>
    public double RunToRunSpread { get; init; }

    /// <summary>Rounds of short calls before the streaming runs, and whether the JIT had gone quiet by then.</summary>
    public int WarmUpRounds { get; init; }

    public bool WarmUpQuiet { get; init; }
}

public sealed record StreamResult(
    string Transport, string Service, string Direction, double GiBps, double RatioToRaw,
    double CpuSecondsPerGiB, double AllocatedPerGiB, double[] RunsGiBps)
{
    /// <summary>Methods the JIT compiled during each run: after the warm-up, zero or close to it.</summary>
    public long[] MethodsJitted { get; init; } = [];

    /// <summary>The raw copies this service's runs were measured between (one more than the runs): the ratio's denominators.</summary>
    public double[] RawRunsGiBps { get; init; } = [];

    /// <summary>Allocated per GiB after the first quarter of each transfer: what grows with the bytes.</summary>
    public double SteadyAllocatedPerGiB { get; init; }

    /// <summary>Each run against the raw copies around it, in repetition order: <see cref="RatioToRaw"/> is their median.</summary>
    public double[] RunRatios { get; init; } = [];

    /// <summary>First quartile of <see cref="RunRatios"/>.</summary>
    public double RatioLow { get; init; } = double.NaN;

    /// <summary>Third quartile of <see cref="RunRatios"/>.</summary>
    public double RatioHigh { get; init; } = double.NaN;
}

/// <summary>
/// How a connection waits for bytes: asynchronous reads on the thread pool, or a thread of its own
/// blocked in the kernel; for Echo calls over sockets, at which end.
/// </summary>
public static class IoModes
{
    /// <summary>Asynchronous reads; for calls, a server with <c>ConnectionThreading.Async</c> and an asynchronous client.</summary>
    public const string Async = "async";

    /// <summary>Blocking reads; for calls, a server with a thread per connection and a client on a blocking socket, calling from a thread of its own.</summary>
    public const string Blocking = "blocking";

    /// <summary>Calls only: the defaults, a server with <c>ConnectionThreading.Auto</c> and an asynchronous client.</summary>
    public const string Auto = "auto";

    /// <summary>Calls only: a server with a thread per connection and an asynchronous client.</summary>
    public const string ThreadServer = "thread-server";

    /// <summary>Calls only: a server with <c>ConnectionThreading.Async</c> and a client on a blocking socket, calling from a thread of its own.</summary>
    public const string BlockingClient = "blocking-client";

    /// <summary>The call modes over sockets, in the order they are measured and shown.</summary>
    public static readonly string[] SocketCalls = [Async, Auto, ThreadServer, BlockingClient, Blocking];

    /// <summary>Whether the client of a call mode blocks in the kernel (and so needs a thread of its own per connection).</summary>
    public static bool ClientBlocks(string mode) => mode is Blocking or BlockingClient;
}

public sealed record PingPongResult(string Transport, double RoundTripsPerSecond, double P50Microseconds, double P99Microseconds)
{
    public string Mode { get; init; } = IoModes.Async;
}

public sealed record CallResult(
    string Transport, int Connections, double CallsPerSecond, double RatioToRawPingPong,
    double P50Microseconds, double P99Microseconds, double AllocatedPerCall, double CpuMicrosecondsPerCall, double[] RunsCallsPerSecond)
{
    /// <summary>One of <see cref="IoModes"/>; the ratio is against the ping-pong of the same I/O at the client (blocking for <see cref="IoModes.Blocking"/>, else async).</summary>
    public string Mode { get; init; } = IoModes.Async;
}

/// <summary>One row of the <c>limit</c> command's table: a transfer method against the native copy of the same transport.</summary>
public sealed record LimitResult(
    string Transport, string Name, string Kind, string Service, string Direction, double GiBps, double RatioToNative, double[] RunsGiBps)
{
    /// <summary>Each run against the native copies just before and after it, in repetition order.</summary>
    public double[] RunRatios { get; init; } = [];

    public double RatioLow { get; init; } = double.NaN;

    public double RatioHigh { get; init; } = double.NaN;

    /// <summary>Median over repetitions of this row against the .NET raw copy of the same repetition.</summary>
    public double RatioToDotnetRaw { get; init; } = double.NaN;

    /// <summary>Median over repetitions of this row against <c>zrpc call + zrpc serve</c> of the same call and repetition (NaN for other calls, other services and that row itself).</summary>
    public double RatioToZrpc { get; init; } = double.NaN;

    /// <summary>Median over consecutive native copies of their relative change (native row only).</summary>
    public double RunToRunSpread { get; init; } = double.NaN;

    /// <summary>A client process's start, connection and empty call, taken off each run (NaN: nothing taken off).</summary>
    public double StartupSecondsSubtracted { get; init; } = double.NaN;
}

/// <summary>Wall time of one short command, end to end, over several runs.</summary>
public sealed record StartupResult(string Build, string Command, double MedianMilliseconds, double MinMilliseconds, double MaxMilliseconds, double[] RunsMilliseconds)
{
    /// <summary>Bytes of the build on disk: the executable, or a framework-dependent build's folder without symbols; null when not the build's own.</summary>
    public long? Bytes { get; init; }
}

public sealed class BenchReport
{
    public required MachineInfo Machine { get; init; }

    public required string Command { get; init; }

    public required long BytesPerTransfer { get; init; }

    public required int Runs { get; init; }

    public required double CallSeconds { get; init; }

    public DateTime StartedUtc { get; init; } = DateTime.UtcNow;

    public List<RawResult> Raw { get; } = [];

    public List<StreamResult> Stream { get; } = [];

    public List<PingPongResult> PingPong { get; } = [];

    public List<CallResult> Calls { get; } = [];

    public List<LimitResult> Limits { get; } = [];

    public List<StartupResult> Startup { get; } = [];

    public Capture.CaptureResult? Capture { get; set; }

    public List<Capture.DumpResult> Dump { get; } = [];

    public Capture.SuiteResult? Suite { get; set; }

    public long PeakWorkingSetBytes { get; set; }

    public double TotalSeconds { get; set; }
}
