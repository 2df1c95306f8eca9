using System.Globalization;
using System.Text.RegularExpressions;

namespace Zrpc.Bench.Capture;

/// <summary>One tool's way of reading the synthesized capture, measured over several runs.</summary>
public sealed record DumpResult(
    string Tool, string Mode, string Command, double MBps, double Seconds, double CpuSeconds, long PeakRssBytes,
    double RatioToTsharkDissector, double[] RunsMBps);

public sealed record CaptureResult(long FileBytes, long Packets, int Connections, long Calls, double SynthesisSeconds);

public sealed record SuiteResult(string Command, double Seconds, double CpuSeconds, long PeakRssBytes, string Verdicts, double[] RunsSeconds);

/// <summary>
/// Items 5 and 6 of the benchmark: frame-dump against tshark on one synthesized capture of at
/// least 1 GiB, and the wall time of the conformance suite against the built-in reference server.
/// Both run the real command-line tools as child processes, built next to this bench.
/// </summary>
public sealed partial class ToolBench(BenchOptions options, TextWriter log)
{
    private readonly string _root = RepositoryRoot();

    public async Task DumpAsync(BenchReport report, CancellationToken ct)
    {
        string frameDump = BuiltTool(Path.Combine("tools", "frame-dump", "FrameDump"), "frame-dump.dll");
        string path = options.Capture ?? Path.Combine(Path.GetTempPath(), $"zrpc-bench-{Environment.ProcessId}.pcap");
        bool synthesized = options.Capture is null || !File.Exists(path);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        SynthesizedCapture capture = synthesized
            ? CaptureSynthesizer.Write(path, options.CaptureBytes)
            : new SynthesizedCapture(path, new FileInfo(path).Length, 0, 0, 0);
        report.Capture = new CaptureResult(capture.FileBytes, capture.Packets, capture.Connections, capture.Calls, clock.Elapsed.TotalSeconds);
        log.WriteLine($"capture {path}: {capture.FileBytes / 1e6:N0} MB, {capture.Packets:N0} packets, {capture.Calls:N0} calls on {capture.Connections} connections ({clock.Elapsed.TotalSeconds:0.0} s to write)");
        try
        {
            var tools = new List<(string Tool, string Mode, string File, string[] Args)>
            {
                ("frame-dump", "--summary", "dotnet", [frameDump, path, "--summary"]),
                ("frame-dump", "text listing", "dotnet", [frameDump, path, "--color", "never"]),
            };
            string? tshark = FindOnPath("tshark");
            string lua = Path.Combine(_root, "tools", "frame-dump", "wireshark", "zrpc.lua");
            if (tshark is not null)
            {
                // -q with a statistics tap: every packet is still dissected, nothing printed per packet.
                tools.Add(("tshark", "TCP only", tshark, ["-n", "-r", path, "-q", "-z", "io,stat,0"]));
                // The like-for-like figure: TCP reassembly and the protocol's frames, through our dissector.
                tools.Add(("tshark", "zrpc.lua dissector", tshark, ["-n", "-X", $"lua_script:{lua}", "-d", $"tcp.port=={CaptureSynthesizer.ServerPort},zrpc", "-r", path, "-q", "-z", "io,stat,0"]));
            }
            else
            {
                log.WriteLine("tshark not found: frame-dump is measured alone (apt-get install tshark for the comparison)");
            }

            var runs = tools.Select(_ => new List<ChildRun>()).ToList();
            for (int r = 0; r < options.Runs; r++)
            {
                for (int k = 0; k < tools.Count; k++)
                {
                    var t = tools[k];
                    var run = await ChildProcessMeter.RunAsync(t.File, t.Args, keepStdout: t.Mode == "--summary", ct);
                    if (run.ExitCode != 0)
                    {
                        throw new InvalidOperationException($"{t.Tool} {t.Mode} exited with {run.ExitCode}: {run.Stderr.Trim()}");
                    }

                    if (t.Mode == "--summary" && synthesized)
                    {
                        CheckSummary(run.Stdout, capture);
                    }

                    runs[k].Add(run);
                    log.WriteLine($"dump   {t.Tool,-10} {t.Mode,-20} {capture.FileBytes / 1e6 / run.Seconds,8:N0} MB/s  {run.Seconds,7:0.0} s  CPU {run.CpuSeconds,6:0.0} s  peak RSS {run.PeakRssBytes / 1048576.0,7:N0} MiB");
                }
            }

            int dissector = tools.FindIndex(t => t.Mode == "zrpc.lua dissector");
            for (int k = 0; k < tools.Count; k++)
            {
                var r = runs[k];
                double ratio = dissector < 0
                    ? double.NaN
                    : Stats.Median(r.Select((run, i) => runs[dissector][i].Seconds / run.Seconds));
                report.Dump.Add(new DumpResult(
                    tools[k].Tool, tools[k].Mode, $"{tools[k].Tool} {string.Join(' ', tools[k].Args.Skip(tools[k].Tool == "frame-dump" ? 1 : 0))}",
                    Stats.Median(r.Select(x => capture.FileBytes / 1e6 / x.Seconds)), Stats.Median(r.Select(x => x.Seconds)),
                    Stats.Median(r.Select(x => x.CpuSeconds)), (long)Stats.Median(r.Select(x => (double)x.PeakRssBytes)), ratio,
                    r.Select(x => capture.FileBytes / 1e6 / x.Seconds).ToArray()));
            }
        }
        finally
        {
            if (synthesized && options.Capture is null)
            {
                File.Delete(path);
            }
        }
    }

    public async Task SuiteAsync(BenchReport report, CancellationToken ct)
    {
        string runner = BuiltTool(Path.Combine("conformance", "Zrpc.Conformance"), "zrpc-conformance.dll");
        var runs = new List<ChildRun>();
        string verdicts = "";
        for (int r = 0; r < options.Runs; r++)
        {
            // The main job as the README gives it: every scenario against the built-in reference server.
            var run = await ChildProcessMeter.RunAsync("dotnet", [runner], keepStdout: true, ct);
            verdicts = run.Stdout.Split('\n').LastOrDefault(l => l.StartsWith("verdicts:", StringComparison.Ordinal))?.Trim() ?? "(no verdict line)";
            if (run.ExitCode != 0)
            {
                throw new InvalidOperationException($"the conformance suite failed against the reference server ({verdicts}); its wall time would mean nothing");
            }

            runs.Add(run);
            log.WriteLine($"suite  reference  {run.Seconds,7:0.0} s  CPU {run.CpuSeconds,6:0.0} s  peak RSS {run.PeakRssBytes / 1048576.0,5:N0} MiB  {verdicts}");
        }

        report.Suite = new SuiteResult("zrpc-conformance (target: built-in reference server)", Stats.Median(runs.Select(x => x.Seconds)),
            Stats.Median(runs.Select(x => x.CpuSeconds)), (long)Stats.Median(runs.Select(x => (double)x.PeakRssBytes)), verdicts,
            runs.Select(x => x.Seconds).ToArray());
    }

    /// <summary>frame-dump's summary must count every call written, or its speed figure is of a decoder that skipped work.</summary>
    private static void CheckSummary(string summary, SynthesizedCapture capture)
    {
        var m = CallsLine().Match(summary);
        long calls = m.Success ? long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture) : -1;
        long connections = m.Success ? long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : -1;
        if (calls != capture.Calls || connections != capture.Connections)
        {
            throw new InvalidOperationException($"frame-dump decoded {connections} connections and {calls} calls, the capture holds {capture.Connections} and {capture.Calls}:\n{summary}");
        }
    }

    [GeneratedRegex(@"connections: (\d+), calls: (\d+)")]
    private static partial Regex CallsLine();

    private string BuiltTool(string projectDirectory, string assembly)
    {
        // Built by this project's build (ProjectReference without an assembly reference), in the same configuration.
        string configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
        string path = Path.Combine(_root, projectDirectory, "bin", configuration, "net10.0", assembly);
        return File.Exists(path) ? path : throw new FileNotFoundException($"{path} is missing: build the solution in {configuration} first");
    }

    public static string RepositoryRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "Conformance.sln"))) return d.FullName;
        }

        throw new DirectoryNotFoundException("Conformance.sln not found above the bench's build output");
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
}
