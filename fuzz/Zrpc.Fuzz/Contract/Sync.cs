namespace Zrpc.Fuzz.Contract;

/// <summary>
/// The decoders are async, but over a MemoryStream every await completes synchronously; the
/// fuzz loop stays on one thread so that coverage and allocation counts belong to this input.
/// </summary>
internal static class Sync
{
    public static T Wait<T>(ValueTask<T> task) => task.IsCompletedSuccessfully ? task.Result : task.AsTask().GetAwaiter().GetResult();

    public static void Wait(ValueTask task)
    {
        if (!task.IsCompletedSuccessfully)
        {
            task.AsTask().GetAwaiter().GetResult();
        }
    }
}
