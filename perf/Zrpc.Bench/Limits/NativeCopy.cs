using System.Globalization;
using System.Text.Json;

namespace Zrpc.Bench.Limits;

/// <summary>
/// The machine's limit for one transport: bytes moved between two native processes with no
/// protocol and no managed runtime (<c>Native/zcopy.c</c>, built here with the system's C
/// compiler), and for TCP also iperf3 when it is installed, which shows that zcopy's figure is
/// the one a standard tool gets.
/// </summary>
public sealed class NativeCopy
{
    private readonly string _zcopy;

    private NativeCopy(string zcopy) => _zcopy = zcopy;

    public static string? Iperf3 { get; } = Processes.FindOnPath("iperf3");

    /// <summary>Builds zcopy into <paramref name="outputDirectory"/> unless a build newer than the source is there.</summary>
    public static async Task<NativeCopy> BuildAsync(string repositoryRoot, string outputDirectory, CancellationToken ct)
    {
        string source = Path.Combine(repositoryRoot, "perf", "Zrpc.Bench", "Native", "zcopy.c");
        string binary = Path.Combine(outputDirectory, "zcopy");
        if (File.Exists(binary) && File.GetLastWriteTimeUtc(binary) >= File.GetLastWriteTimeUtc(source))
        {
            return new NativeCopy(binary);
        }

        Directory.CreateDirectory(outputDirectory);
        string cc = Processes.FindOnPath("cc") ?? Processes.FindOnPath("gcc")
            ?? throw new InvalidOperationException("no C compiler (cc) for the native baseline: apt-get install gcc");
        var run = await Processes.RunAsync(cc, ["-O2", "-o", binary, source], ct);
        if (run.ExitCode != 0) throw new InvalidOperationException($"cc {source} failed:\n{run.Stderr}");
        return new NativeCopy(binary);
    }

    /// <summary>Seconds zcopy's sink spent receiving <paramref name="bytes"/> (first byte to end of stream).</summary>
    public async Task<double> CopyAsync(string transport, long bytes, CancellationToken ct)
    {
        string bytesText = bytes.ToString(CultureInfo.InvariantCulture);
        string result;
        if (transport == "pipe")
        {
            // The shell only joins the two processes with a pipe; it has exec'd into neither's way once they run.
            var run = await Processes.RunAsync("/bin/sh", ["-c", $"'{_zcopy}' source - {bytesText} | '{_zcopy}' sink -"], ct);
            if (run.ExitCode != 0) throw new IOException($"zcopy through a pipe failed: {run.Stderr}");
            result = run.Stdout;
        }
        else
        {
            string address = transport == "tcp"
                ? "tcp:127.0.0.1:0"
                : "unix:" + Path.Combine(Path.GetTempPath(), $"zrpc-bench-zcopy-{Environment.ProcessId}.sock");
            using var sink = Processes.Start(_zcopy, ["sink", address]);
            string listening = await sink.StandardOutput.ReadLineAsync(ct) ?? throw new IOException($"zcopy sink ended: {await sink.StandardError.ReadToEndAsync(ct)}");
            string bound = listening["listening ".Length..];
            var source = await Processes.RunAsync(_zcopy, ["source", bound, bytesText], ct);
            if (source.ExitCode != 0) throw new IOException($"zcopy source failed: {source.Stderr}");
            result = await sink.StandardOutput.ReadToEndAsync(ct);
            await sink.WaitForExitAsync(ct);
        }

        var parts = result.Trim().Split(' ');
        long received = long.Parse(parts[0], CultureInfo.InvariantCulture);
        if (received != bytes) throw new IOException($"zcopy received {received} of {bytes} bytes");
        return double.Parse(parts[1], CultureInfo.InvariantCulture);
    }

    /// <summary>Seconds iperf3 took to move <paramref name="bytes"/> over TCP loopback, as its receiver counted them.</summary>
    public static async Task<double> Iperf3Async(long bytes, CancellationToken ct)
    {
        string iperf3 = Iperf3 ?? throw new InvalidOperationException("iperf3 is not installed");
        int port = Processes.FreeTcpPort();
        string portText = port.ToString(CultureInfo.InvariantCulture);
        // --forceflush: its "listening" line must reach this pipe at once, not when a block fills.
        using var server = Processes.Start(iperf3, ["-s", "-1", "-p", portText, "-B", "127.0.0.1", "--forceflush"]);
        try
        {
            // Not a probe connection: a one-off server (-1) would take it for its test.
            string? line;
            while ((line = await server.StandardOutput.ReadLineAsync(ct)) is not null && !line.Contains("listening", StringComparison.OrdinalIgnoreCase))
            {
            }

            if (line is null) throw new IOException($"iperf3 -s ended: {await server.StandardError.ReadToEndAsync(ct)}");
            // 1 MiB writes, iperf3's largest for TCP (zcopy and the .NET raw copy write 4 MiB).
            var client = await Processes.RunAsync(iperf3,
                ["-c", "127.0.0.1", "-p", portText, "-n", bytes.ToString(CultureInfo.InvariantCulture), "-l", "1M", "-J"], ct);
            if (client.ExitCode != 0) throw new IOException($"iperf3 failed: {client.Stdout} {client.Stderr}");
            using var json = JsonDocument.Parse(client.Stdout);
            if (json.RootElement.TryGetProperty("error", out var error)) throw new IOException($"iperf3: {error}");
            var received = json.RootElement.GetProperty("end").GetProperty("sum_received");
            double seconds = received.GetProperty("seconds").GetDouble();
            double receivedBytes = received.GetProperty("bytes").GetDouble();
            // iperf3's receiver may stop its clock a little before the last byte is counted; scale to the bytes asked for.
            return seconds * bytes / receivedBytes;
        }
        finally
        {
            Processes.Stop(server);
        }
    }
}
