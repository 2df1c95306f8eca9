namespace Zrpc.Transport;

/// <summary>
/// Runs asynchronous code on a thread of its own. Over a <see cref="BlockingSocketStream"/> every
/// await completes before it returns, so such code never leaves the thread that started it: a
/// connection served or a client calling this way must not occupy a thread-pool thread.
/// </summary>
internal static class OwnThread
{
    /// <summary>Starts <paramref name="body"/> on a new background thread; the task ends as the body does.</summary>
    public static Task Run(Func<Task> body, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(body);
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                body().GetAwaiter().GetResult();
                done.SetResult();
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        })
        {
            IsBackground = true,
            Name = name,
        };
        thread.Start();
        return done.Task;
    }
}
