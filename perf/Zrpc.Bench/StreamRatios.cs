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
    public static double BracketedMedian(IReadOnlyList<double> protocol, IReadOnlyList<double> raw) =>
        Stats.Median(Bracketed(protocol, raw));

    /// <summary><c>protocol[i] / sqrt(raw[i] * raw[i + 1])</c> for every run i, in repetition order.</summary>
    public static double[] Bracketed(IReadOnlyList<double> protocol, IReadOnlyList<double> raw)
    {
        if (raw.Count != protocol.Count + 1)
        {
            throw new ArgumentException($"{protocol.Count} protocol runs need {protocol.Count + 1} raw copies around them, not {raw.Count}", nameof(raw));
        }

        return protocol.Select((p, i) => p / Math.Sqrt(raw[i] * raw[i + 1])).ToArray();
    }

    /// <summary>
    /// The first and third quartiles (linear between ranks): the middle half of the runs' ratios.
    /// On a shared VM single runs vary by 10-25 %, so the median alone hides how far apart the
    /// runs behind it were; a target of 0.90 is only met when the middle half clears it.
    /// </summary>
    public static (double Low, double High) MiddleHalf(IReadOnlyList<double> values)
    {
        if (values.Count == 0) return (double.NaN, double.NaN);
        var sorted = values.OrderBy(v => v).ToArray();
        return (At(sorted, 0.25), At(sorted, 0.75));
    }

    private static double At(double[] sorted, double fraction)
    {
        double position = fraction * (sorted.Length - 1);
        int below = (int)Math.Floor(position);
        int above = Math.Min(below + 1, sorted.Length - 1);
        return sorted[below] + (sorted[above] - sorted[below]) * (position - below);
    }

    /// <summary>Median of |b / a - 1| over consecutive runs a, b of the same work; NaN for fewer than two.</summary>
    public static double RunToRunSpread(IReadOnlyList<double> runs) =>
        runs.Count < 2 ? double.NaN : Stats.Median(runs.Zip(runs.Skip(1), (a, b) => Math.Abs(b / a - 1)));
}
