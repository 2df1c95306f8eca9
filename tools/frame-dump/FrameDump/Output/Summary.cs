using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using Zrpc.Rpc;

namespace FrameDump.Output;

/// <summary>
/// `--summary`: calls per endpoint with status counts and latency min/median/max, bytes per
/// direction, violations per requirement id, and the TCP connections that were skipped or
/// evicted. Keeps one number per call for the median. Bytes are those present in the capture:
/// a frame header can announce 4 MiB that never arrived, so announced lengths are summed apart.
/// </summary>
public sealed class Summary : IRecordSink
{
    private readonly SortedDictionary<string, EndpointStats> endpoints = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, long> violations = new(StringComparer.Ordinal);
    private readonly long[] frameBytes = new long[2];
    private readonly long[] announcedBytes = new long[2];
    private readonly SortedDictionary<string, long> skipped = new(StringComparer.Ordinal);
    private readonly long[] frames = new long[2];
    private readonly SortedDictionary<string, long> otherProtocols = new(StringComparer.Ordinal);
    /// <summary>The last profile line of each connection: a connection first shown in both readings may be told later.</summary>
    private readonly SortedDictionary<int, ProfileRecord> profileLines = new();

    /// <summary>Connections listed one by one in the text summary; all of them are in the JSON one.</summary>
    private const int ProfileLinesShown = 20;
    private long gaps;
    private long lostBytes;

    public int Connections { get; private set; }

    public long Calls { get; private set; }

    /// <summary>TCP connections not decoded, per reason ("not-recognised", "no-payload", "other-port").</summary>
    public IReadOnlyDictionary<string, long> Skipped => skipped;

    public long Evicted { get; private set; }

    /// <summary>Frame header and payload bytes present in the capture, per direction (c2s, s2c).</summary>
    public IReadOnlyList<long> CapturedBytes => frameBytes;

    /// <summary>Frame header bytes plus the payload lengths the headers announce, per direction.</summary>
    public IReadOnlyList<long> AnnouncedBytes => announcedBytes;

    public IReadOnlyDictionary<string, EndpointStats> Endpoints => endpoints;

    public IReadOnlyDictionary<string, long> Violations => violations;

    /// <summary>Connections per profile: "6ab05ee", "fa4d209", "either" (both read them alike), or "undecided" (both readings were listed).</summary>
    public IReadOnlyDictionary<string, long> Profiles => profileLines.Values
        .GroupBy(p => p.Profile ?? (p.Readings.Count == 1 ? "either" : "undecided"), StringComparer.Ordinal)
        .ToImmutableSortedDictionary(g => g.Key, g => (long)g.Count(), StringComparer.Ordinal);

    /// <summary>Connections labelled as one of the protocols that replaced this one, per protocol.</summary>
    public IReadOnlyDictionary<string, long> OtherProtocols => otherProtocols;

    public void Write(DumpRecord record)
    {
        // A connection shown in both readings has its frames counted once (they are the same
        // bytes); its calls and violations differ per reading and are not counted.
        if (record.Reading is not null && (record is not FrameRecord || record.Reading != Zrpc.Rpc.Profile.P6ab05ee.Name()))
        {
            return;
        }

        switch (record)
        {
            case ProfileRecord { Contradicted: false } p:
                profileLines[p.Connection] = p;
                break;
            case OtherProtocolRecord o:
                otherProtocols[o.Label] = otherProtocols.GetValueOrDefault(o.Label) + 1;
                break;
            case ConnectionRecord:
                Connections++;
                break;
            case FrameRecord f:
                frames[(int)f.Direction]++;
                frameBytes[(int)f.Direction] += 6 + f.CapturedPayload;
                announcedBytes[(int)f.Direction] += 6 + (f.RawType == 0xFF ? 0 : f.Length);
                break;
            case SkippedRecord s:
                skipped[s.Reason] = skipped.GetValueOrDefault(s.Reason) + 1;
                break;
            case EvictedRecord:
                Evicted++;
                break;
            case CallRecord c:
                Calls++;
                if (!endpoints.TryGetValue(c.Endpoint ?? "?", out var stats))
                {
                    stats = new EndpointStats();
                    endpoints[c.Endpoint ?? "?"] = stats;
                }

                stats.Add(c);
                break;
            case ViolationRecord v:
                violations[v.Requirement.Value] = violations.GetValueOrDefault(v.Requirement.Value) + 1;
                break;
            case NoticeRecord { Kind: "gap" } n:
                gaps++;
                lostBytes += n.Missing ?? 0;
                break;
        }
    }

    public void Complete()
    {
    }

    public string ToText()
    {
        var text = new StringBuilder();
        text.AppendLine($"connections: {Connections}, calls: {Calls}");
        text.AppendLine($"bytes c2s: {frameBytes[0]} in {frames[0]} frames; s2c: {frameBytes[1]} in {frames[1]} frames (captured frame bytes)");
        if (announcedBytes[0] != frameBytes[0] || announcedBytes[1] != frameBytes[1])
        {
            text.AppendLine($"announced by frame headers: c2s {announcedBytes[0]}, s2c {announcedBytes[1]} bytes (not all captured)");
        }

        var profiles = Profiles;
        if (profiles.Count > 0)
        {
            text.AppendLine("profiles: " + string.Join(", ", profiles.Select(kv => $"{kv.Key} {kv.Value}"))
                + (profiles.ContainsKey("either") ? " (either: both profiles read them alike)" : "")
                + (profiles.ContainsKey("undecided") ? " (undecided: not told by the content; their calls are not counted, the listing shows both readings)" : ""));
        }

        foreach (var p in profileLines.Values.Take(ProfileLinesShown))
        {
            text.AppendLine($"  connection {p.Connection}: {TextWriterSink.Describe(p)}");
        }

        if (profileLines.Count > ProfileLinesShown)
        {
            text.AppendLine($"  ... {profileLines.Count - ProfileLinesShown} more connections (--format json lists all; the listing names each)");
        }

        foreach (var (label, count) in otherProtocols)
        {
            text.AppendLine($"not this protocol (labelled, not decoded): {label}: {count}");
        }

        long skippedTotal = skipped.Values.Sum();
        if (skippedTotal > 0)
        {
            string reasons = string.Join(", ", skipped.Select(kv => $"{kv.Key} {kv.Value}"));
            text.AppendLine($"skipped TCP connections (not decoded): {skippedTotal} ({reasons}); the listing names each; decode one anyway with -p PORT");
        }

        if (Evicted > 0)
        {
            text.AppendLine($"evicted connections (still open, no longer tracked): {Evicted}; see --idle-timeout and --max-connections");
        }
        if (gaps > 0)
        {
            text.AppendLine($"capture gaps: {gaps} ({lostBytes} bytes lost)");
        }

        foreach (var (name, stats) in endpoints)
        {
            string statuses = string.Join(", ", stats.Statuses.Select(kv => $"{kv.Key} {kv.Value}"));
            string latency = stats.Latencies.Count == 0
                ? "no latency"
                : $"latency ms min {stats.Min:0.###} median {stats.Median:0.###} max {stats.Max:0.###}";
            text.AppendLine($"  {name}: {stats.Calls} calls ({statuses}); {latency}");
        }

        foreach (var (id, count) in violations)
        {
            text.AppendLine($"  violation {id}: {count}");
        }

        return text.ToString();
    }

    public void WriteJson(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteString("record", "summary");
        writer.WriteNumber("connections", Connections);
        writer.WriteNumber("calls", Calls);
        writer.WriteStartObject("bytes");
        writer.WriteNumber("c2s", frameBytes[0]);
        writer.WriteNumber("s2c", frameBytes[1]);
        writer.WriteEndObject();
        writer.WriteStartObject("announced_bytes");
        writer.WriteNumber("c2s", announcedBytes[0]);
        writer.WriteNumber("s2c", announcedBytes[1]);
        writer.WriteEndObject();
        writer.WriteStartObject("skipped");
        writer.WriteNumber("total", skipped.Values.Sum());
        foreach (string reason in new[] { "not-recognised", "no-payload", "other-port" })
        {
            writer.WriteNumber(reason, skipped.GetValueOrDefault(reason));
        }

        writer.WriteString("hint", "-p PORT");
        writer.WriteEndObject();
        writer.WriteNumber("evicted", Evicted);
        writer.WriteStartObject("profiles");
        foreach (var (name, count) in Profiles)
        {
            writer.WriteNumber(name, count);
        }

        writer.WriteEndObject();
        writer.WriteStartArray("connection_profiles");
        foreach (var p in profileLines.Values)
        {
            writer.WriteStartObject();
            writer.WriteNumber("conn", p.Connection);
            if (p.Profile is not null)
            {
                writer.WriteString("profile", p.Profile);
            }

            writer.WriteString("decided_by", p.DecidedBy);
            writer.WriteString("evidence", p.Evidence);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteStartObject("other_protocols");
        foreach (var (label, count) in otherProtocols)
        {
            writer.WriteNumber(label, count);
        }

        writer.WriteEndObject();
        writer.WriteStartObject("frames");
        writer.WriteNumber("c2s", frames[0]);
        writer.WriteNumber("s2c", frames[1]);
        writer.WriteEndObject();
        writer.WriteNumber("gaps", gaps);
        writer.WriteNumber("lost_bytes", lostBytes);
        writer.WriteStartObject("endpoints");
        foreach (var (name, stats) in endpoints)
        {
            writer.WriteStartObject(name);
            writer.WriteNumber("calls", stats.Calls);
            writer.WriteStartObject("statuses");
            foreach (var (status, count) in stats.Statuses)
            {
                writer.WriteNumber(status, count);
            }

            writer.WriteEndObject();
            if (stats.Latencies.Count > 0)
            {
                writer.WriteStartObject("latency_ms");
                writer.WriteNumber("min", Math.Round(stats.Min, 3));
                writer.WriteNumber("median", Math.Round(stats.Median, 3));
                writer.WriteNumber("max", Math.Round(stats.Max, 3));
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
        }

        writer.WriteEndObject();
        writer.WriteStartObject("violations");
        foreach (var (id, count) in violations)
        {
            writer.WriteNumber(id, count);
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    public sealed class EndpointStats
    {
        public long Calls { get; private set; }

        /// <summary>Status name for answered calls, the outcome for the others.</summary>
        public SortedDictionary<string, long> Statuses { get; } = new(StringComparer.Ordinal);

        public List<double> Latencies { get; } = new();

        public double Min => Latencies.Min();

        public double Max => Latencies.Max();

        public double Median
        {
            get
            {
                var sorted = Latencies.Order().ToList();
                int middle = sorted.Count / 2;
                return sorted.Count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
            }
        }

        public void Add(CallRecord call)
        {
            Calls++;
            string key = call.Outcome == "complete" && call.Status is ulong s ? Names.Status(s) : call.Outcome;
            Statuses[key] = Statuses.GetValueOrDefault(key) + 1;
            if (call.LatencyMs is double latency && call.Outcome == "complete")
            {
                Latencies.Add(latency);
            }
        }
    }
}
