using System.Diagnostics;

namespace Zrpc.Bench;

/// <summary>
/// Repeats a warm-up round until the tiered JIT has stopped compiling: a measured run must not
/// share the machine with the JIT's background thread, which on two cores takes a good part of
/// one of them.
/// </summary>
public static class JitWarmUp
{
    /// <summary>The JIT promotes methods in the background after a delay, so only a quiet stretch this long counts.</summary>
    public static readonly TimeSpan QuietFor = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Runs <paramref name="round"/> until no method was compiled for <see cref="QuietFor"/>, at
    /// least once and, on a machine that never gets quiet, until <paramref name="giveUpAfter"/>;
    /// returns the number of rounds and whether the JIT went quiet.
    /// </summary>
    public static async Task<(int Rounds, bool Quiet)> UntilQuietAsync(Func<Task> round, TimeSpan giveUpAfter)
    {
        var started = Stopwatch.StartNew();
        long compiled = System.Runtime.JitInfo.GetCompiledMethodCount();
        var quietSince = Stopwatch.StartNew();
        int rounds = 0;
        do
        {
            await round();
            rounds++;
            long now = System.Runtime.JitInfo.GetCompiledMethodCount();
            if (now != compiled)
            {
                compiled = now;
                quietSince.Restart();
            }
            else if (quietSince.Elapsed >= QuietFor)
            {
                return (rounds, true);
            }
        }
        while (started.Elapsed < giveUpAfter);

        return (rounds, false);
    }
}
