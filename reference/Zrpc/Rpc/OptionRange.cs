namespace Zrpc.Rpc;

/// <summary>
/// The checks the options' setters share: a value out of range is refused when it is set, with
/// an <see cref="ArgumentOutOfRangeException"/> naming the option and what it accepts, rather
/// than failing later inside a connection.
/// </summary>
internal static class OptionRange
{
    /// <summary>A timeout: more than zero, or <see cref="Timeout.InfiniteTimeSpan"/> for none.</summary>
    public static TimeSpan Timeout(TimeSpan value, string option) =>
        value > TimeSpan.Zero || value == System.Threading.Timeout.InfiniteTimeSpan
            ? value
            : throw new ArgumentOutOfRangeException(option, value, $"{option} must be more than zero, or Timeout.InfiniteTimeSpan for no limit");

    /// <summary>A wait that may be skipped: zero or more, or <see cref="Timeout.InfiniteTimeSpan"/>.</summary>
    public static TimeSpan Wait(TimeSpan value, string option) =>
        value >= TimeSpan.Zero || value == System.Threading.Timeout.InfiniteTimeSpan
            ? value
            : throw new ArgumentOutOfRangeException(option, value, $"{option} must be zero or more, or Timeout.InfiniteTimeSpan for no limit");

    public static long AtLeastOne(long value, string option) =>
        value >= 1 ? value : throw new ArgumentOutOfRangeException(option, value, $"{option} must be at least 1");

    public static int AtLeastOne(int value, string option) =>
        value >= 1 ? value : throw new ArgumentOutOfRangeException(option, value, $"{option} must be at least 1");

    /// <summary>A value the enum names (a cast integer may name none).</summary>
    public static T Defined<T>(T value, string option) where T : struct, Enum =>
        Enum.IsDefined(value) ? value : throw new ArgumentOutOfRangeException(option, value, $"{option} must be one of {string.Join(", ", Enum.GetNames<T>())}");

    /// <summary>A rate: zero (off) or more, finite.</summary>
    public static double Rate(double value, string option) =>
        value >= 0 && double.IsFinite(value) ? value : throw new ArgumentOutOfRangeException(option, value, $"{option} must be 0 (off) or a finite number of bytes per second");
}
