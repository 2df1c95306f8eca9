using System.CommandLine;
using FrameDump;

var capture = new Argument<string?>("capture") { Description = "pcap or pcapng file to decode", Arity = ArgumentArity.ZeroOrOne };
var raw = new Option<string?>("--raw") { Description = "decode FILE as one direction of a connection (a plain byte stream; '-' for stdin)" };
var rawSide = new Option<string>("--raw-side") { Description = "who wrote the --raw stream: client (requests) or server (responses)", DefaultValueFactory = _ => "client" };
rawSide.AcceptOnlyFromAmong("client", "server");
var ports = new Option<int[]>("--port", "-p") { Description = "server port of the protocol (repeatable); without it connections are detected by content", AllowMultipleArgumentsPerToken = false };
var format = new Option<string>("--format") { Description = "text or json (one JSON object per line)", DefaultValueFactory = _ => "text" };
format.AcceptOnlyFromAmong("text", "json");
var profile = new Option<string>("--profile") { Description = "protocol profile: 6ab05ee, fa4d209, or auto (told per connection from its content, with the evidence named; both readings when it does not tell)", DefaultValueFactory = _ => "auto" };
profile.AcceptOnlyFromAmong("auto", "6ab05ee", "fa4d209");
var summary = new Option<bool>("--summary") { Description = "print only a summary: calls per endpoint, statuses, bytes, latency" };
var connection = new Option<int[]>("--connection", "-c") { Description = "only these connection numbers (repeatable)" };
var endpoint = new Option<string?>("--endpoint", "-e") { Description = "only records of calls to this endpoint" };
var errorsOnly = new Option<bool>("--errors-only") { Description = "only violations, gaps and failed calls" };
var hex = new Option<bool>("-x") { Description = "add hex dumps of every frame" };
var hexLimit = new Option<int>("--hex-limit") { Description = "payload bytes per frame in hex dumps", DefaultValueFactory = _ => 256 };
var bodyLimit = new Option<int>("--body-limit") { Description = "bytes of a body kept for display (JSON pretty-printing)", DefaultValueFactory = _ => 2048 };
var asFixture = new Option<bool>("--as-fixture") { Description = "write each captured connection direction as a golden fixture (fixtures/README.md) instead of a listing" };
var fixtureMaxBytes = new Option<long>("--fixture-max-bytes") { Description = "captured bytes --as-fixture may hold in memory", DefaultValueFactory = _ => 256L * 1024 * 1024 };
var iface = new Option<string?>("--interface", "-i") { Description = "capture live on this interface (needs root or CAP_NET_RAW), e.g. lo" };
var bpf = new Option<string?>("--filter", "-f") { Description = "BPF filter for live capture, e.g. 'tcp port 9000'" };
var count = new Option<long?>("--count") { Description = "stop live capture after N packets" };
var duration = new Option<double?>("--duration") { Description = "stop live capture after S seconds" };
var emitDissector = new Option<bool>("--emit-wireshark-dissector") { Description = "print the Wireshark Lua dissector generated from the protocol constants, and exit" };
var maxConnections = new Option<int>("--max-connections") { Description = "connections tracked at once; beyond it the least recently active one is evicted (reported)", DefaultValueFactory = _ => FrameDump.Tcp.TrackerLimits.DefaultMaxConnections };
var idleTimeout = new Option<double>("--idle-timeout") { Description = "evict a connection without a packet for this many seconds of capture time (reported); 0: never", DefaultValueFactory = _ => FrameDump.Tcp.TrackerLimits.DefaultIdleTimeout.TotalSeconds };
var color = new Option<string>("--color") { Description = "auto, always or never", DefaultValueFactory = _ => "auto" };
color.AcceptOnlyFromAmong("auto", "always", "never");

var root = new RootCommand("frame-dump: decode captured zrepl frame RPC traffic into frames, messages and calls");
root.Arguments.Add(capture);
Zrpc.Build.ToolVersion.Install(root, "frame-dump");
foreach (var option in new Option[] { raw, rawSide, ports, profile, format, summary, connection, endpoint, errorsOnly, hex, hexLimit, bodyLimit, color, asFixture, fixtureMaxBytes, iface, bpf, count, duration, emitDissector, maxConnections, idleTimeout })
{
    root.Options.Add(option);
}

root.SetAction(parse =>
{
    string? file = parse.GetValue(capture);
    string? rawFile = parse.GetValue(raw);
    if (parse.GetValue(emitDissector))
    {
        Console.Out.Write(FrameDump.Wireshark.DissectorGenerator.Generate());
        return 0;
    }

    string? liveInterface = parse.GetValue(iface);
    if ((file is null ? 0 : 1) + (rawFile is null ? 0 : 1) + (liveInterface is null ? 0 : 1) != 1)
    {
        Console.Error.WriteLine("frame-dump: give exactly one of a capture file ('-' for stdin), --raw FILE or -i INTERFACE");
        return 2;
    }

    using var interrupt = new CancellationTokenSource();
    Console.CancelKeyPress += (_, e) =>
    {
        // The first Ctrl+C ends a live capture cleanly (output is completed); a second one kills.
        e.Cancel = !interrupt.IsCancellationRequested;
        interrupt.Cancel();
    };

    int connectionLimit = parse.GetValue(maxConnections);
    double idleSeconds = parse.GetValue(idleTimeout);
    if (connectionLimit < 1 || idleSeconds < 0 || double.IsNaN(idleSeconds))
    {
        Console.Error.WriteLine("frame-dump: --max-connections must be at least 1 and --idle-timeout 0 or more seconds");
        return 2;
    }

    string colorMode = parse.GetValue(color) ?? "auto";
    var options = new DumpOptions
    {
        CaptureFile = file,
        RawFile = rawFile,
        RawSide = parse.GetValue(rawSide) ?? "client",
        Ports = (parse.GetValue(ports) ?? []).ToHashSet(),
        Format = parse.GetValue(format) == "json" ? OutputFormat.Json : OutputFormat.Text,
        Summary = parse.GetValue(summary),
        Profile = parse.GetValue(profile) is string p && p != "auto" ? Zrpc.Rpc.Profiles.Parse(p) : null,
        Connections = (parse.GetValue(connection) ?? []).ToHashSet(),
        Endpoint = parse.GetValue(endpoint),
        ErrorsOnly = parse.GetValue(errorsOnly),
        Hex = parse.GetValue(hex),
        HexLimit = parse.GetValue(hexLimit),
        BodyLimit = parse.GetValue(bodyLimit),
        AsFixture = parse.GetValue(asFixture),
        Interface = liveInterface,
        Filter = parse.GetValue(bpf),
        Count = parse.GetValue(count),
        Duration = parse.GetValue(duration) is double seconds ? TimeSpan.FromSeconds(seconds) : null,
        Cancel = interrupt.Token,
        FixtureMaxBytes = parse.GetValue(fixtureMaxBytes),
        MaxConnections = connectionLimit,
        IdleTimeout = idleSeconds == 0 ? null : TimeSpan.FromSeconds(idleSeconds),
        Color = colorMode == "always" || (colorMode == "auto" && !Console.IsOutputRedirected),
        Progress = !Console.IsErrorRedirected && file is not null && new FileInfo(file).Exists && new FileInfo(file).Length > 64L * 1024 * 1024,
    };
    using var stdout = Console.OpenStandardOutput();
    return Dumper.Run(options, stdout, Console.Error);
});

return root.Parse(args).Invoke();
