using System.Net;
using FrameDump.Capture;
using FrameDump.Fixture;
using FrameDump.Output;
using FrameDump.Protocol;
using FrameDump.Tcp;

namespace FrameDump;

public enum OutputFormat
{
    Text,
    Json,
}

/// <summary>Everything the command line decides.</summary>
public sealed record DumpOptions
{
    public string? CaptureFile { get; init; }

    public string? RawFile { get; init; }

    /// <summary>Which side wrote the raw stream: "client" (requests) or "server" (responses).</summary>
    public string RawSide { get; init; } = "client";

    public IReadOnlySet<int> Ports { get; init; } = new HashSet<int>();

    public OutputFormat Format { get; init; } = OutputFormat.Text;

    public bool Summary { get; init; }

    /// <summary>--profile: decode every connection in this profile; null (auto): tell it per connection from the content.</summary>
    public Zrpc.Rpc.Profile? Profile { get; init; }

    public IReadOnlySet<int> Connections { get; init; } = new HashSet<int>();

    public string? Endpoint { get; init; }

    public bool ErrorsOnly { get; init; }

    public bool Hex { get; init; }

    public int BodyLimit { get; init; } = 2048;

    public int HexLimit { get; init; } = 256;

    public bool Color { get; init; }

    public bool Progress { get; init; }

    /// <summary>-i: capture live on this interface instead of reading a file.</summary>
    public string? Interface { get; init; }

    /// <summary>-f: BPF filter for live capture.</summary>
    public string? Filter { get; init; }

    /// <summary>--count: stop live capture after this many packets.</summary>
    public long? Count { get; init; }

    /// <summary>--duration: stop live capture after this time.</summary>
    public TimeSpan? Duration { get; init; }

    /// <summary>Called once a live capture is open and capturing (tests start their traffic then).</summary>
    public Action? CaptureStarted { get; init; }

    /// <summary>Set by the caller to stop a live capture early (Ctrl+C).</summary>
    public CancellationToken Cancel { get; init; }

    /// <summary>--as-fixture: write the captured exchanges as golden fixtures instead of a listing.</summary>
    public bool AsFixture { get; init; }

    /// <summary>Captured bytes --as-fixture may keep in memory.</summary>
    public long FixtureMaxBytes { get; init; } = 256L * 1024 * 1024;

    /// <summary>--max-connections: connections tracked at once; the least recently active one beyond it is evicted.</summary>
    public int MaxConnections { get; init; } = TrackerLimits.DefaultMaxConnections;

    /// <summary>--idle-timeout: a connection without a packet for this long (capture time) is evicted; null: never.</summary>
    public TimeSpan? IdleTimeout { get; init; } = TrackerLimits.DefaultIdleTimeout;
}

/// <summary>Wires the layers together: capture source, TCP reassembly, protocol decoding, output.</summary>
public static class Dumper
{
    /// <summary>Decodes the input into records, handing each to <paramref name="sink"/> in order.</summary>
    public static void Decode(DumpOptions options, IRecordSink sink, TimeOrigin origin, TextWriter? progress = null, FixtureBuilder? fixture = null)
    {
        var decoderOptions = new DecoderOptions
        {
            BodyLimit = Math.Max(options.BodyLimit, 64),
            HexLimit = options.Hex ? Math.Max(options.HexLimit, 1) : 0,
            HashBodies = !options.Summary || fixture is not null,
        };

        if (options.RawFile is not null)
        {
            DecodeRaw(options, sink, origin, decoderOptions, fixture);
            return;
        }

        IEnumerable<TcpSegment> segments;
        PcapSegmentSource? source = null;
        if (options.Interface is not null)
        {
            var live = new LiveSegmentSource(options.Interface, options.Filter, options.Count, options.Duration);
            var device = live.Open();
            options.Cancel.Register(live.Stop);
            options.CaptureStarted?.Invoke();
            segments = live.Read(device);
            progress = null;
        }
        else
        {
            source = new PcapSegmentSource(options.CaptureFile ?? throw new ArgumentException("no capture file given"));
            segments = source.Read();
        }

        IConnectionHandler Handler(ConnectionInfo info)
        {
            var decoder = new ConnectionFront(info, sink, decoderOptions, options.Profile);
            return fixture is null ? decoder : fixture.Tap(info, decoder);
        }

        void Skipped(SkippedConnection s) => sink.Write(new SkippedRecord
        {
            Connection = 0,
            Time = s.Time,
            Client = s.Client.ToString(),
            Server = s.Server.ToString(),
            Reason = s.Reason switch
            {
                SkipReason.NoPayload => "no-payload",
                SkipReason.OtherPort => "other-port",
                _ => "not-recognised",
            },
            RolesKnown = s.RolesKnown,
            FirstBytes = s.FirstBytes,
            FirstBytesDirection = s.FirstBytesFromClient ? Direction.ClientToServer : Direction.ServerToClient,
            Port = s.Server.Port,
        });

        var limits = new TrackerLimits { MaxConnections = Math.Max(1, options.MaxConnections), IdleTimeout = options.IdleTimeout };
        var tracker = new ConnectionTracker(Handler, options.Ports, limits, Skipped);
        DateTime last = DateTime.UnixEpoch;
        int shownPercent = -1;
        foreach (var segment in segments)
        {
            origin.Value ??= segment.Time;
            last = segment.Time;
            tracker.Process(segment);
            if (progress is not null && source is { FileSize: > 0 })
            {
                int percent = (int)Math.Min(100, source.BytesRead * 100 / source.FileSize);
                if (percent != shownPercent)
                {
                    shownPercent = percent;
                    progress.Write($"\r[{new string('#', percent / 5),-20}] {percent,3}%");
                }
            }
        }

        if (source?.ReadError is { } readError)
        {
            sink.Write(new CaptureErrorRecord { Connection = 0, Time = last, Message = readError, Packets = source.Packets });
        }

        tracker.Finish(last);
        progress?.Write("\r" + new string(' ', 28) + "\r");
        sink.Complete();
    }

    private static void DecodeRaw(DumpOptions options, IRecordSink sink, TimeOrigin origin, DecoderOptions decoderOptions, FixtureBuilder? fixture)
    {
        origin.Value = DateTime.UnixEpoch;
        var none = new Endpoint(IPAddress.None, 0);
        bool client = !string.Equals(options.RawSide, "server", StringComparison.OrdinalIgnoreCase);
        string label = options.RawFile == "-" ? "stdin" : options.RawFile!;
        var info = new ConnectionInfo(1, none, none, DateTime.UnixEpoch, HandshakeSeen: true)
        {
            ClientLabel = client ? $"raw {label}" : "(not recorded)",
            ServerLabel = client ? "(not recorded)" : $"raw {label}",
            OneDirection = true,
        };
        IConnectionHandler decoder = new ConnectionFront(info, sink, decoderOptions, options.Profile);
        decoder = fixture is null ? decoder : fixture.Tap(info, decoder);
        var recorded = client ? decoder.ClientToServer : decoder.ServerToClient;
        var other = client ? decoder.ServerToClient : decoder.ClientToServer;
        using (var input = options.RawFile == "-" ? Console.OpenStandardInput() : File.OpenRead(options.RawFile!))
        {
            var buffer = new byte[64 * 1024];
            int n;
            while ((n = input.Read(buffer)) > 0)
            {
                recorded.OnData(buffer.AsSpan(0, n), DateTime.UnixEpoch);
            }
        }

        recorded.OnEnd(StreamEndReason.EndOfCapture, DateTime.UnixEpoch);
        other.OnEnd(StreamEndReason.EndOfCapture, DateTime.UnixEpoch);
        sink.Complete();
    }

    private static int RunAsFixture(DumpOptions options, Stream output, TextWriter error)
    {
        var fixture = new FixtureBuilder(options.CaptureFile ?? options.RawFile ?? "stream", options.FixtureMaxBytes, options.Connections, options.Profile);
        try
        {
            Decode(options, fixture, new TimeOrigin(), options.Progress ? error : null, fixture);
            // Written to memory first so that a refused fixture leaves no half file on stdout.
            using var buffer = new MemoryStream();
            fixture.WriteTo(buffer);
            buffer.Position = 0;
            buffer.CopyTo(output);
            output.Flush();
        }
        catch (Exception ex) when (ex is FixtureException or LiveCaptureException or SharpPcap.PcapException or IOException or UnauthorizedAccessException or DllNotFoundException)
        {
            error.WriteLine($"frame-dump: {ex.Message}");
            return 2;
        }
        finally
        {
            foreach (string skipped in fixture.Skipped)
            {
                error.WriteLine($"frame-dump: --as-fixture left out {skipped}");
            }
        }

        return 0;
    }

    /// <summary>Runs a whole dump to <paramref name="output"/>; returns the process exit code.</summary>
    public static int Run(DumpOptions options, Stream output, TextWriter error)
    {
        var origin = new TimeOrigin();
        var summary = new Summary();
        using var text = new StreamWriter(output, new System.Text.UTF8Encoding(false), 64 * 1024, leaveOpen: true);
        IRecordSink listing = options.Summary
            ? summary
            : options.Format == OutputFormat.Json
                ? new JsonLinesWriter(output, origin)
                : new TextWriterSink(text, origin, options.Color, options.Hex);
        var filtered = new RecordFilter(listing, options.Connections, options.Endpoint, options.ErrorsOnly);
        if (options.AsFixture)
        {
            return RunAsFixture(options, output, error);
        }

        try
        {
            Decode(options, filtered, origin, options.Progress ? error : null);
        }
        catch (Exception ex) when (ex is LiveCaptureException or SharpPcap.PcapException or IOException or UnauthorizedAccessException or DllNotFoundException)
        {
            text.Flush();
            error.WriteLine($"frame-dump: {ex.Message}");
            if (ex is DllNotFoundException)
            {
                error.WriteLine("frame-dump: libpcap is missing; install it (Debian: apt-get install libpcap0.8)");
            }

            return 2;
        }

        if (options.Summary)
        {
            if (options.Format == OutputFormat.Json)
            {
                new JsonLinesWriter(output, origin).WriteSummary(summary);
            }
            else
            {
                text.Write(summary.ToText());
            }
        }

        text.Flush();
        output.Flush();
        return 0;
    }
}
