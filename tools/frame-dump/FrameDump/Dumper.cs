using System.Net;
using FrameDump.Capture;
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

    public IReadOnlySet<int> Connections { get; init; } = new HashSet<int>();

    public string? Endpoint { get; init; }

    public bool ErrorsOnly { get; init; }

    public bool Hex { get; init; }

    public int BodyLimit { get; init; } = 2048;

    public int HexLimit { get; init; } = 256;

    public bool Color { get; init; }

    public bool Progress { get; init; }
}

/// <summary>Wires the layers together: capture source, TCP reassembly, protocol decoding, output.</summary>
public static class Dumper
{
    /// <summary>Decodes the input into records, handing each to <paramref name="sink"/> in order.</summary>
    public static void Decode(DumpOptions options, IRecordSink sink, TimeOrigin origin, TextWriter? progress = null)
    {
        var decoderOptions = new DecoderOptions
        {
            BodyLimit = Math.Max(options.BodyLimit, 64),
            HexLimit = options.Hex ? Math.Max(options.HexLimit, 1) : 0,
        };

        if (options.RawFile is not null)
        {
            DecodeRaw(options, sink, origin, decoderOptions);
            return;
        }

        var source = new PcapSegmentSource(options.CaptureFile ?? throw new ArgumentException("no capture file given"));
        var tracker = new ConnectionTracker(info => new ConnectionDecoder(info, sink, decoderOptions), options.Ports);
        DateTime last = DateTime.UnixEpoch;
        int shownPercent = -1;
        foreach (var segment in source.Read())
        {
            origin.Value ??= segment.Time;
            last = segment.Time;
            tracker.Process(segment);
            if (progress is not null && source.FileSize > 0)
            {
                int percent = (int)Math.Min(100, source.BytesRead * 100 / source.FileSize);
                if (percent != shownPercent)
                {
                    shownPercent = percent;
                    progress.Write($"\r[{new string('#', percent / 5),-20}] {percent,3}%");
                }
            }
        }

        tracker.Finish(last);
        progress?.Write("\r" + new string(' ', 28) + "\r");
        sink.Complete();
    }

    private static void DecodeRaw(DumpOptions options, IRecordSink sink, TimeOrigin origin, DecoderOptions decoderOptions)
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
        var decoder = new ConnectionDecoder(info, sink, decoderOptions);
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
        try
        {
            Decode(options, filtered, origin, options.Progress ? error : null);
        }
        catch (Exception ex) when (ex is SharpPcap.PcapException or IOException or UnauthorizedAccessException or DllNotFoundException)
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
