using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Zrpc.Bench;

/// <summary>Turns a report into the printed table (Markdown, so it pastes into the README) and the JSON file.</summary>
public static class ReportWriter
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        // "NaN" for a figure that has no value (a ratio without a baseline, nothing subtracted), and
        // "Infinity" for a run too short for the clock, instead of failing to write the whole report.
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static string ToJson(BenchReport report) => JsonSerializer.Serialize(report, Json);

    /// <summary>Writes the JSON; a directory (or a path without .json) gets a time-stamped file inside it.</summary>
    public static string Save(BenchReport report, string output)
    {
        string path = output.EndsWith(".json", StringComparison.OrdinalIgnoreCase)
            ? output
            : Path.Combine(output, $"bench-{report.Command}-{report.StartedUtc:yyyyMMdd-HHmmss}.json");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, ToJson(report));
        return path;
    }

    public static string ToTable(BenchReport r)
    {
        var s = new StringBuilder();
        var ci = CultureInfo.InvariantCulture;
        var m = r.Machine;
        s.AppendLine(ci, $"Machine: {m.Cpu}, {m.Cores} cores, {m.Os}, {m.Runtime}");
        s.AppendLine(ci, $"Medians of {r.Runs} runs; {Size(r.BytesPerTransfer)} per transfer; {r.CallSeconds:0.##} s per call-rate run.");
        if (r.Stream.Count > 0)
        {
            s.AppendLine("Ratio to raw: median over runs of each protocol run against the raw copies just before and after it; middle half: its runs' first to third quartile.");
        }
        Table(s, r.Raw, "| Transport | Raw copy GiB/s | Run-to-run spread | CPU s/GiB | Alloc B/GiB | Steady alloc B/GiB |", "|---|---:|---:|---:|---:|---:|",
            x => Invariant($"| {x.Transport} | {x.GiBps:0.00} | {x.RunToRunSpread:P0} | {x.CpuSecondsPerGiB:0.00} | {x.AllocatedPerGiB:N0} | {x.SteadyAllocatedPerGiB:N0} |"));
        Table(s, r.Stream, "| Transport | Service | Call | GiB/s | Ratio to raw | Middle half | CPU s/GiB | Alloc B/GiB | Steady alloc B/GiB |", "|---|---|---|---:|---:|---:|---:|---:|---:|",
            x => Invariant($"| {x.Transport} | {x.Service} | {x.Direction} | {x.GiBps:0.00} | {x.RatioToRaw:0.00} | {x.RatioLow:0.00}-{x.RatioHigh:0.00} | {x.CpuSecondsPerGiB:0.00} | {x.AllocatedPerGiB:N0} | {x.SteadyAllocatedPerGiB:N0} |"));
        Table(s, r.PingPong, "| Transport | I/O | Raw ping-pong round trips/s | p50 us | p99 us |", "|---|---|---:|---:|---:|",
            x => Invariant($"| {x.Transport} | {x.Mode} | {x.RoundTripsPerSecond:N0} | {x.P50Microseconds:0.0} | {x.P99Microseconds:0.0} |"));
        Table(s, r.Calls, "| Transport | I/O | Connections | Echo calls/s | Ratio to ping-pong | p50 us | p99 us | Alloc B/call | CPU us/call |", "|---|---|---:|---:|---:|---:|---:|---:|---:|",
            x => Invariant($"| {x.Transport} | {x.Mode} | {x.Connections} | {x.CallsPerSecond:N0} | {x.RatioToRawPingPong:0.00} | {x.P50Microseconds:0.0} | {x.P99Microseconds:0.0} | {x.AllocatedPerCall:N0} | {x.CpuMicrosecondsPerCall:0.0} |"));

        foreach (var group in r.Limits.GroupBy(x => x.Transport))
        {
            s.AppendLine();
            s.AppendLine(ci, $"{group.Key}: ratio to native is each run against the native copies just before and after it (median; middle half: first to third quartile).");
            Table(s, group.ToList(), "| What | Processes | Service | Call | GiB/s | Ratio to native | Middle half | Ratio to .NET raw | Ratio to zrpc call + serve | Start-up taken off |", "|---|---|---|---|---:|---:|---:|---:|---:|---:|",
                x => Invariant($"| {x.Name}{NativeSpread(x)} | {x.Kind} | {x.Service} | {x.Direction} | {x.GiBps:0.00} | {x.RatioToNative:0.00} | {Range(x.RatioLow, x.RatioHigh)} | {Optional(x.RatioToDotnetRaw, "0.00")} | {Optional(x.RatioToZrpc, "0.00")} | {Optional(x.StartupSecondsSubtracted * 1000, "0' ms'")} |"));
        }

        Table(s, r.Startup, "| Build | Command (end to end) | Median ms | Min ms | Max ms | Size MiB |", "|---|---|---:|---:|---:|---:|",
            x => Invariant($"| {x.Build} | {x.Command} | {x.MedianMilliseconds:0.0} | {x.MinMilliseconds:0.0} | {x.MaxMilliseconds:0.0} | {(x.Bytes is long b ? Invariant($"{b / 1048576.0:0.0}") : "-")} |"));

        if (r.Capture is { } cap)
        {
            s.AppendLine();
            s.AppendLine(ci, $"Capture: {cap.FileBytes / 1e6:N0} MB pcap, {cap.Packets:N0} packets, {cap.Calls:N0} calls on {cap.Connections} connections (synthesized in {cap.SynthesisSeconds:0.0} s).");
            Table(s, r.Dump, "| Tool | Reads | MB/s | Seconds | CPU s | Peak RSS MiB | Speed vs tshark + zrpc.lua |", "|---|---|---:|---:|---:|---:|---:|",
                x => Invariant($"| {x.Tool} | {x.Mode} | {x.MBps:N0} | {x.Seconds:0.0} | {x.CpuSeconds:0.0} | {x.PeakRssBytes / 1048576.0:N0} | {(double.IsNaN(x.RatioToTsharkDissector) ? "-" : Invariant($"{x.RatioToTsharkDissector:0.0}x"))} |"));
        }

        if (r.Suite is { } suite)
        {
            Table(s, [suite], "| Conformance suite | Wall s | CPU s | Peak RSS MiB | Verdicts |", "|---|---:|---:|---:|---|",
                x => Invariant($"| {x.Command} | {x.Seconds:0.0} | {x.CpuSeconds:0.0} | {x.PeakRssBytes / 1048576.0:N0} | {x.Verdicts} |"));
        }

        s.AppendLine();
        s.AppendLine(ci, $"Peak working set: {Size(r.PeakWorkingSetBytes)}; total {r.TotalSeconds:0} s.");
        return s.ToString();
    }

    /// <summary>One Markdown table after a blank line; nothing at all when there are no rows.</summary>
    private static void Table<T>(StringBuilder s, IReadOnlyCollection<T> rows, string header, string alignment, Func<T, string> row)
    {
        if (rows.Count == 0) return;
        s.AppendLine();
        s.AppendLine(header);
        s.AppendLine(alignment);
        foreach (var x in rows) s.AppendLine(row(x));
    }

    private static string Invariant(FormattableString text) => FormattableString.Invariant(text);

    /// <summary>The native copy's row also shows how much its runs varied.</summary>
    private static string NativeSpread(LimitResult x) =>
        x.Kind == "native" && x.Name.StartsWith("zcopy", StringComparison.Ordinal) ? Invariant($" (run-to-run spread {x.RunToRunSpread:P0})") : "";

    private static string Range(double low, double high) =>
        double.IsNaN(low) ? "-" : string.Create(CultureInfo.InvariantCulture, $"{low:0.00}-{high:0.00}");

    private static string Optional(double value, string format) =>
        double.IsNaN(value) ? "-" : value.ToString(format, CultureInfo.InvariantCulture);

    internal static string Size(long bytes) => bytes >= BenchOptions.GiB && bytes % BenchOptions.GiB == 0
        ? $"{bytes / BenchOptions.GiB} GiB"
        : $"{bytes / (double)(1 << 20):0.#} MiB";
}
