using System.Reflection;
using Reqnroll;

namespace Zrpc.Conformance.Driver;

/// <summary>
/// Starts and ends Reqnroll's test run once per binding assembly. Reqnroll keeps one test-run
/// manager per assembly, so the runner (bindings in Zrpc.Conformance) and the driver's own unit
/// tests (sample bindings in the test assembly) can use it side by side in one process.
/// </summary>
public static class ReqnrollSession
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static readonly HashSet<Assembly> Started = [];

    public static async Task EnsureStartedAsync(Assembly bindingAssembly)
    {
        await Gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (!Started.Contains(bindingAssembly))
            {
                // Reqnroll traces plugin loading to the console before any of our listeners
                // exist; that text would land between the runner's report lines.
                var console = Console.Out;
                var startupTrace = new StringWriter();
                Console.SetOut(startupTrace);
                try
                {
                    await TestRunnerManager.OnTestRunStartAsync(bindingAssembly).ConfigureAwait(false);
                }
                catch
                {
                    Console.SetOut(console);
                    Console.Error.Write(startupTrace.ToString());
                    throw;
                }
                finally
                {
                    Console.SetOut(console);
                }

                Started.Add(bindingAssembly);
            }
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>Ends every started run (AfterTestRun hooks, formatters write their files).</summary>
    public static async Task EndAllAsync()
    {
        await Gate.WaitAsync().ConfigureAwait(false);
        try
        {
            foreach (var assembly in Started)
            {
                await TestRunnerManager.OnTestRunEndAsync(assembly).ConfigureAwait(false);
            }

            Started.Clear();
        }
        finally
        {
            Gate.Release();
        }
    }
}
