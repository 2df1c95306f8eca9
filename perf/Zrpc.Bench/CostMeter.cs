using System.Diagnostics;

namespace Zrpc.Bench;

/// <summary>What one measured run cost the whole process (client and server both live here).</summary>
public readonly record struct Cost(TimeSpan Wall, TimeSpan Cpu, long Allocated)
{
    public double Seconds => Wall.TotalSeconds;

    /// <summary>Managed bytes allocated between <see cref="CostMeter.Mark"/> and the end of the run (0 without a mark).</summary>
    public long AllocatedAfterMark { get; init; }

    /// <summary>Methods the JIT compiled during the run, on any thread: a warmed-up run compiles none.</summary>
    public long MethodsJitted { get; init; }

    /// <summary>Payload bytes that passed between <see cref="CostMeter.Mark"/> and the end of the run (0 without a mark).</summary>
    public long BytesAfterMark { get; init; }
}

/// <summary>Wall clock, process CPU time and managed bytes allocated between Start and Stop.</summary>
public sealed class CostMeter
{
    private readonly long _startTicks;
    private readonly TimeSpan _startCpu;
    private readonly long _startAllocated;
    private readonly long _startJitted;

    private CostMeter()
    {
        // Environment.CpuUsage reads the process times without allocating, unlike a Process object,
        // whose fields and /proc parsing would count as a few KB of every run's allocation.
        _startCpu = Environment.CpuUsage.TotalTime;
        _startJitted = System.Runtime.JitInfo.GetCompiledMethodCount();
        _startAllocated = GC.GetTotalAllocatedBytes(precise: true);
        _startTicks = Stopwatch.GetTimestamp();
    }

    private long _markAllocated = -1;
    private long _markBytes;
    private long _totalBytes;

    public static CostMeter Start() => new();

    /// <summary>
    /// A transfer of <paramref name="totalBytes"/> in which <see cref="Mark"/> will be called once the
    /// first quarter has passed: what is allocated after that is what the bytes themselves cost,
    /// without the connection, the call and the first buffers, which every run pays once.
    /// </summary>
    public static CostMeter StartTransfer(long totalBytes) => new() { _totalBytes = totalBytes };

    /// <summary>The byte count at which the transfer should call <see cref="Mark"/>.</summary>
    public long MarkAt => _totalBytes / 4;

    /// <summary>Notes how much was allocated when <paramref name="bytesSoFar"/> had passed; only the first call counts.</summary>
    public void Mark(long bytesSoFar)
    {
        if (_markAllocated >= 0) return;
        _markBytes = bytesSoFar;
        _markAllocated = GC.GetTotalAllocatedBytes(precise: true);
    }

    public Cost Stop()
    {
        var wall = Stopwatch.GetElapsedTime(_startTicks);
        long now = GC.GetTotalAllocatedBytes(precise: true);
        var cpu = Environment.CpuUsage.TotalTime - _startCpu;
        return new Cost(wall, cpu, now - _startAllocated)
        {
            MethodsJitted = System.Runtime.JitInfo.GetCompiledMethodCount() - _startJitted,
            AllocatedAfterMark = _markAllocated < 0 ? 0 : now - _markAllocated,
            BytesAfterMark = _markAllocated < 0 ? 0 : _totalBytes - _markBytes,
        };
    }

    public static long PeakWorkingSet()
    {
        using var p = Process.GetCurrentProcess();
        p.Refresh();
        return p.PeakWorkingSet64;
    }
}

public static class Stats
{
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        if (sorted.Length == 0) return double.NaN;
        int mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    /// <summary>Nearest-rank percentile of an already sorted array.</summary>
    public static double Percentile(long[] sorted, double p)
    {
        if (sorted.Length == 0) return double.NaN;
        int rank = (int)Math.Ceiling(p / 100.0 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}
