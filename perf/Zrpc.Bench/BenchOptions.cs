using System.Globalization;

namespace Zrpc.Bench;

/// <summary>What to measure and how much; parsed from the command line.</summary>
public sealed record BenchOptions
{
    public const long GiB = 1L << 30;

    public string Command { get; init; } = "all";

    /// <summary>Bytes per bulk transfer (raw copy, Source, Sink).</summary>
    public long Bytes { get; init; } = GiB;

    public int Runs { get; init; } = 3;

    public bool Quick { get; init; }

    /// <summary>How long each call-rate measurement runs.</summary>
    public TimeSpan CallDuration { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Longest warm-up before each streaming or call-rate measurement, which otherwise lasts until the JIT has gone quiet.</summary>
    public TimeSpan WarmUpLimit { get; init; } = TimeSpan.FromSeconds(60);

    public IReadOnlyList<string> Transports { get; init; } = ["tcp", "unix", "pipe"];

    public IReadOnlyList<int> Concurrency { get; init; } = [1, 4, 16, 64];

    /// <summary>Where the JSON report goes; a directory gets a time-stamped file name.</summary>
    public string Output { get; init; } = "artifacts/bench";

    /// <summary>Also run the Conformance Test Service's Source/Sink (pattern generation and SHA-256 included).</summary>
    public bool WithConformanceService { get; init; } = true;

    public string[] MicroArgs { get; init; } = [];

    /// <summary>Other implementations' servers for the limit table: a name and a command with {address}, {port} or {path}.</summary>
    public IReadOnlyList<(string Name, string Command)> PeerServers { get; init; } = [];

    /// <summary>
    /// Other implementations' clients: a name, a command with {address}, {endpoint}, {length} and {file},
    /// and the calls it makes (Source, Sink; from NAME:Source=COMMAND, both when not named).
    /// </summary>
    public IReadOnlyList<(string Name, string Command, string[] Endpoints)> PeerCalls { get; init; } = [];

    /// <summary>peer-serve: the address to serve and the service (null or conformance).</summary>
    public string Listen { get; init; } = "stdio";

    public string Service { get; init; } = "null";

    /// <summary>startup: where the single-file executables are (default artifacts/single/linux-x64).</summary>
    public string? SingleFileDirectory { get; init; }

    /// <summary>startup: where the Native AOT executables are (default artifacts/aot/linux-x64).</summary>
    public string? AotDirectory { get; init; }

    /// <summary>startup: the tool path the packaged tools are installed in (default artifacts/tools).</summary>
    public string? ToolDirectory { get; init; }

    /// <summary>startup: the tool path the native tool packages are installed in (default artifacts/native-tools).</summary>
    public string? NativeToolDirectory { get; init; }

    /// <summary>Size of the synthesized capture frame-dump and tshark read (item 5).</summary>
    public long CaptureBytes { get; init; } = GiB;

    /// <summary>A capture to read instead of a synthesized one (kept afterwards); synthesized here when missing.</summary>
    public string? Capture { get; init; }

    public bool WithDump { get; init; } = true;

    public bool WithSuite { get; init; } = true;

    /// <summary>Prints sampled allocations by type at the end (GCAllocationTick events).</summary>
    public bool AllocationTrace { get; init; }

    public static readonly string Usage = """
        usage: Zrpc.Bench [all|raw|stream|calls|dump|suite|limit|startup|micro] [options]
          limit                the machine's limit per transport (a native copy between two processes,
                               iperf3 for TCP) against the .NET raw copy, zrpc call + zrpc serve, the
                               library in two processes and in one, and any --peer-server/--peer-call
          startup              wall time of zrpc call Echo, zrpc --version and frame-dump --version
                               end to end, per build present (framework-dependent, installed tool,
                               single file, Native AOT)
          --single DIR         startup: the single-file executables (default artifacts/single/linux-x64)
          --aot DIR            startup: the Native AOT executables (default artifacts/aot/linux-x64)
          --tools DIR          startup: the installed tools' tool path (default artifacts/tools)
          --native-tools DIR   startup: the installed native tool packages' tool path (default artifacts/native-tools)
          --bytes N[K|M|G]     bytes per bulk transfer (default 1G; --quick 256M; the published tables: 4G)
          --runs N             repetitions, medians are reported (default 3)
          --quick              smaller sizes and shorter call runs
          --duration SECONDS   length of each call-rate run (default 2; --quick 0.5)
          --warm-up SECONDS    longest warm-up before each streaming or call-rate measurement, which
                               runs until the JIT has compiled nothing for 1 s (default 60; --quick 10)
          --transports LIST    comma list of tcp,unix,pipe (default all three)
          --concurrency LIST   comma list of connection counts (default 1,4,16,64)
          --no-conformance     skip Source/Sink of the Conformance Test Service (payload work included)
          --capture-bytes N    size of the synthesized capture for dump (default 1G; --quick 256M)
          --capture PATH       read this pcap in dump (written there first when it does not exist, and kept)
          --no-dump            all without frame-dump/tshark; --no-suite: all without the conformance suite
          --alloc-trace        print sampled allocations by type (GCAllocationTick) at the end
          --out PATH           JSON file or directory (default artifacts/bench)
          --peer-server NAME=COMMAND   limit: another implementation's server serving the Conformance
                               Test Service at {address} (tcp://..., unix://..., or stdio for pipes);
                               {port} and {path} also work. Repeatable.
          --peer-call NAME[:CALLS]=COMMAND   limit, startup: another implementation's client making one
                               call: {address} of zrpc serve, {endpoint} Source or Sink, {length}
                               (Source's length), {file} (a file of {length} bytes to send to Sink).
                               CALLS: Source, Sink or Source,Sink (the default). With a --peer-server
                               of the same NAME, also rows of that client against that server.
                               Repeatable.
          micro [BenchmarkDotNet args]   e.g. micro --filter '*'
        """;

    public static BenchOptions Parse(string[] args)
    {
        var o = new BenchOptions();
        int i = 0;
        if (args.Length > 0 && !args[0].StartsWith('-'))
        {
            o = o with { Command = args[0] };
            i = 1;
        }

        if (o.Command is not ("all" or "raw" or "stream" or "calls" or "dump" or "suite" or "limit" or "startup" or "micro" or "peer-serve"))
        {
            throw new ArgumentException($"unknown command '{o.Command}'\n{Usage}");
        }

        if (o.Command == "micro")
        {
            var rest = args[i..].ToList();
            bool quick = rest.Remove("--quick");
            return o with { Quick = quick, MicroArgs = rest.ToArray() };
        }

        long? bytes = null;
        long? captureBytes = null;
        double? duration = null;
        double? warmUp = null;
        for (; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value\n{Usage}");
            switch (args[i])
            {
                case "--bytes": bytes = ParseSize(Value()); break;
                case "--runs": o = o with { Runs = Math.Max(1, int.Parse(Value(), CultureInfo.InvariantCulture)) }; break;
                case "--quick": o = o with { Quick = true }; break;
                case "--duration": duration = double.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--warm-up": warmUp = Math.Max(0, double.Parse(Value(), CultureInfo.InvariantCulture)); break;
                case "--transports": o = o with { Transports = Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) }; break;
                case "--concurrency": o = o with { Concurrency = Value().Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray() }; break;
                case "--alloc-trace": o = o with { AllocationTrace = true }; break;
                case "--no-conformance": o = o with { WithConformanceService = false }; break;
                case "--out": o = o with { Output = Value() }; break;
                case "--capture-bytes": captureBytes = ParseSize(Value()); break;
                case "--capture": o = o with { Capture = Value() }; break;
                case "--no-dump": o = o with { WithDump = false }; break;
                case "--no-suite": o = o with { WithSuite = false }; break;
                case "--peer-server": o = o with { PeerServers = [.. o.PeerServers, NamedCommand(args[i], Value())] }; break;
                case "--peer-call": o = o with { PeerCalls = [.. o.PeerCalls, PeerCall(args[i], Value())] }; break;
                case "--listen": o = o with { Listen = Value() }; break;
                case "--service": o = o with { Service = Value() is "null" or "conformance" ? args[i] : throw new ArgumentException($"--service: null or conformance, not '{args[i]}'") }; break;
                case "--quiet": break;
                case "--single": o = o with { SingleFileDirectory = Value() }; break;
                case "--aot": o = o with { AotDirectory = Value() }; break;
                case "--tools": o = o with { ToolDirectory = Value() }; break;
                case "--native-tools": o = o with { NativeToolDirectory = Value() }; break;
                case "-h" or "--help": throw new ArgumentException(Usage);
                default: throw new ArgumentException($"unknown option '{args[i]}'\n{Usage}");
            }
        }

        foreach (var t in o.Transports)
        {
            if (t is not ("tcp" or "unix" or "pipe"))
            {
                throw new ArgumentException($"unknown transport '{t}' (tcp, unix, pipe)");
            }
        }

        return o with
        {
            Bytes = bytes ?? (o.Quick ? 256L << 20 : GiB),
            CaptureBytes = captureBytes ?? (o.Quick ? 256L << 20 : GiB),
            CallDuration = TimeSpan.FromSeconds(duration ?? (o.Quick ? 0.5 : 2)),
            WarmUpLimit = TimeSpan.FromSeconds(warmUp ?? (o.Quick ? 10 : 60)),
        };
    }

    private static (string Name, string Command) NamedCommand(string option, string value)
    {
        int eq = value.IndexOf('=');
        if (eq <= 0 || eq == value.Length - 1) throw new ArgumentException($"{option} wants NAME=COMMAND, not '{value}'");
        return (value[..eq], value[(eq + 1)..]);
    }

    /// <summary>NAME[:Source|Sink|Source,Sink]=COMMAND: a client that cannot make one of the calls (the 2017 client cannot send Sink's Octets body) says so.</summary>
    private static (string Name, string Command, string[] Endpoints) PeerCall(string option, string value)
    {
        var (name, command) = NamedCommand(option, value);
        int colon = name.IndexOf(':');
        if (colon < 0) return (name, command, ["Source", "Sink"]);
        string[] endpoints = name[(colon + 1)..].Split(',', StringSplitOptions.TrimEntries);
        if (colon == 0 || endpoints.Any(e => e is not ("Source" or "Sink")) || endpoints.Distinct().Count() != endpoints.Length)
        {
            throw new ArgumentException($"{option} wants NAME[:CALLS]=COMMAND with CALLS Source, Sink or Source,Sink, not '{name}'");
        }

        return (name[..colon], command, endpoints);
    }

    public static long ParseSize(string text)
    {
        text = text.Trim().ToUpperInvariant().TrimEnd('B', 'I');
        long unit = 1;
        if (text.EndsWith('K')) unit = 1L << 10;
        else if (text.EndsWith('M')) unit = 1L << 20;
        else if (text.EndsWith('G')) unit = 1L << 30;
        if (unit != 1) text = text[..^1];
        double value = double.Parse(text, CultureInfo.InvariantCulture);
        if (value <= 0) throw new ArgumentException("--bytes must be positive");
        return (long)(value * unit);
    }
}
