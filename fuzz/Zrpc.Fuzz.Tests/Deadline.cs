using Zrpc.Fuzz.Contract;

namespace Zrpc.Fuzz.Tests;

/// <summary>
/// Runs one input through a target the way the fuzzer does, but with a deadline: an input that
/// does not finish is a hang, and the test must say so instead of hanging itself. The deadline
/// is far above any normal run (milliseconds), so a slow machine does not make it flake.
/// </summary>
internal static class Deadline
{
    public static readonly TimeSpan HangLimit = TimeSpan.FromSeconds(60);

    public static void Run(IFuzzTarget target, byte[] input, string name)
    {
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                target.Run(input);
            }
            catch (Exception ex)
            {
                failure = ex;
            }
        }, 16 * 1024 * 1024)
        {
            IsBackground = true,
            Name = $"fuzz {target.Name} {name}",
        };
        thread.Start();
        if (!thread.Join(HangLimit))
        {
            Assert.Fail($"{target.Name}: {name} did not finish within {HangLimit.TotalSeconds} s (a hang)");
        }

        if (failure is not null)
        {
            Assert.Fail($"{target.Name}: {name} broke the decoder's contract:\n{failure}");
        }
    }
}
