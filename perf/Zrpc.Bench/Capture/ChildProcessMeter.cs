using System.Diagnostics;
using System.Globalization;

namespace Zrpc.Bench.Capture;

/// <summary>What a finished child process cost: wall time, CPU time and peak resident memory.</summary>
public sealed record ChildRun(int ExitCode, double Seconds, double CpuSeconds, long PeakRssBytes, string Stdout, string Stderr);

/// <summary>
/// Runs a command and samples its /proc entry while it runs: the peak resident set (VmHWM, a
/// high-water mark the kernel keeps, so a sample taken late still holds the peak) and its CPU
/// ticks. Tools measured this way (frame-dump, tshark, the conformance runner) run as separate
/// processes, so their figures are theirs alone and not the bench's.
/// </summary>
public static class ChildProcessMeter
{
    private static readonly double TicksPerSecond = 100; // USER_HZ on Linux

    public static async Task<ChildRun> RunAsync(string fileName, IEnumerable<string> arguments, bool keepStdout, CancellationToken ct)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in arguments) start.ArgumentList.Add(a);
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {fileName}");
        // Output that is not kept is still read, so that a pipe never fills and stalls the child.
        var stdout = keepStdout ? process.StandardOutput.ReadToEndAsync(ct) : DrainAsync(process.StandardOutput.BaseStream, ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        long peak = 0;
        double cpu = 0;
        var exited = process.WaitForExitAsync(ct);
        while (!exited.IsCompleted)
        {
            (long hwm, double ticks) = Sample(process.Id);
            peak = Math.Max(peak, hwm);
            cpu = Math.Max(cpu, ticks / TicksPerSecond);
            await Task.WhenAny(exited, Task.Delay(20, ct)).ConfigureAwait(false);
        }

        await exited.ConfigureAwait(false);
        double seconds = clock.Elapsed.TotalSeconds;
        return new ChildRun(process.ExitCode, seconds, cpu, peak, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
    }

    private static async Task<string> DrainAsync(Stream s, CancellationToken ct)
    {
        byte[] buffer = new byte[1 << 16];
        while (await s.ReadAsync(buffer, ct).ConfigureAwait(false) > 0)
        {
        }

        return "";
    }

    private static (long PeakRss, double CpuTicks) Sample(int pid)
    {
        try
        {
            long hwm = 0;
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    hwm = long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture) * 1024;
                    break;
                }
            }

            // Fields after the command name (which may hold spaces, hence the last ')'): utime is the 12th, stime the 13th.
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            double ticks = double.Parse(fields[11], CultureInfo.InvariantCulture) + double.Parse(fields[12], CultureInfo.InvariantCulture);
            return (hwm, ticks);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            // The process ended between the check and the read.
            return (0, 0);
        }
    }
}
