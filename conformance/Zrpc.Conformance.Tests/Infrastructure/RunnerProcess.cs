using System.Diagnostics;

namespace Zrpc.Conformance.Tests.Infrastructure;

/// <summary>
/// Runs the built runner (zrpc-conformance.dll beside the tests) as a process of its own, for
/// what is read once per process: Reqnroll's formatter settings among them.
/// </summary>
internal static class RunnerProcess
{
    public static Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] arguments)
        => StartAsync([Path.Combine(AppContext.BaseDirectory, "zrpc-conformance.dll"), .. arguments]);

    /// <summary>The runner through the self-test host (<c>zrpc-selftest conformance</c>), which knows the mutants' targets.</summary>
    public static Task<(int ExitCode, string Output, string Error)> RunSelfTestAsync(params string[] arguments)
        => StartAsync([Path.Combine(AppContext.BaseDirectory, "zrpc-selftest.dll"), "conformance", .. arguments]);

    private static async Task<(int ExitCode, string Output, string Error)> StartAsync(string[] arguments)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(3));
        return (process.ExitCode, await output, await error);
    }
}
