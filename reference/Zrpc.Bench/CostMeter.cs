using System.Diagnostics;

namespace Zrpc.Bench;

/// <summary>What one measured run cost the whole process (client and server both live here).</summary>
public readonly record struct Cost(TimeSpan Wall, TimeSpan Cpu, long Allocated)
{
    public double Seconds => Wall.TotalSeconds;
}

/// <summary>Wall clock, process CPU time and managed bytes allocated between Start and Stop.</summary>
public sealed class CostMeter
{
    private readonly long _startTicks;
    private readonly TimeSpan _startCpu;
    private readonly long _startAllocated;

    private CostMeter()
    {
        _startAllocated = GC.GetTotalAllocatedBytes(precise: true);
        _startCpu = Process.GetCurrentProcess().TotalProcessorTime;
        _startTicks = Stopwatch.GetTimestamp();
    }

    public static CostMeter Start() => new();

    public Cost Stop()
    {
        var wall = Stopwatch.GetElapsedTime(_startTicks);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - _startCpu;
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - _startAllocated;
        return new Cost(wall, cpu, allocated);
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
