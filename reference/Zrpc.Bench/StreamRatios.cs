namespace Zrpc.Bench;

/// <summary>How protocol runs are compared with the raw copies measured around them.</summary>
public static class StreamRatios
{
    /// <summary>
    /// The median over runs of <c>protocol[i] / sqrt(raw[i] * raw[i + 1])</c>: run i of the
    /// protocol took place between raw copies i and i + 1, so drift in the machine's speed moves
    /// both sides of each ratio alike.
    /// </summary>
    /// <param name="protocol">GiB/s of each protocol run, in repetition order.</param>
    /// <param name="raw">GiB/s of the raw copies, one more than <paramref name="protocol"/>.</param>
    public static double BracketedMedian(IReadOnlyList<double> protocol, IReadOnlyList<double> raw)
    {
        if (raw.Count != protocol.Count + 1)
        {
            throw new ArgumentException($"{protocol.Count} protocol runs need {protocol.Count + 1} raw copies around them, not {raw.Count}", nameof(raw));
        }

        return Stats.Median(protocol.Select((p, i) => p / Math.Sqrt(raw[i] * raw[i + 1])));
    }

    /// <summary>Median of |b / a - 1| over consecutive runs a, b of the same work; NaN for fewer than two.</summary>
    public static double RunToRunSpread(IReadOnlyList<double> runs) =>
        runs.Count < 2 ? double.NaN : Stats.Median(runs.Zip(runs.Skip(1), (a, b) => Math.Abs(b / a - 1)));
}
