using System.Diagnostics;
using System.Runtime.InteropServices;
using NUnit.Framework;
using Zrpc.Transport;

namespace Zrpc.Tests.EndToEnd;

/// <summary>What a finished zrpc process left behind.</summary>
internal sealed record CliResult(int ExitCode, byte[] Stdout, string Stderr)
{
    public string StdoutText => System.Text.Encoding.UTF8.GetString(Stdout);

    public override string ToString() => $"exit {ExitCode}; stderr:\n{Stderr}";
}

/// <summary>Runs the built CLI (Zrpc.Cli.dll, copied next to this test assembly) as a separate process.</summary>
internal static class CliProcess
{
    /// <summary>Upper bound for one CLI run (the 100 MiB calls included); a hang fails the test instead of the suite.</summary>
    public static readonly TimeSpan RunLimit = TimeSpan.FromMinutes(3);

    public static string DotnetHost => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host)
        ? host
        : "dotnet";

    public static string CliDll
    {
        get
        {
            string path = Path.Combine(AppContext.BaseDirectory, "Zrpc.Cli.dll");
            if (!File.Exists(path)) Assert.Fail($"the CLI is not built next to the tests: {path} is missing");
            return path;
        }
    }

    /// <summary>The exec: address that makes the client start its own `zrpc serve --listen stdio`.</summary>
    public static TransportAddress StdioServerAddress => TransportAddress.Exec(DotnetHost, [CliDll, "serve", "--listen", "stdio"]);

    public static ProcessStartInfo StartInfo(IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo(DotnetHost)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.ArgumentList.Add(CliDll);
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        return info;
    }

    public static async Task<CliResult> RunAsync(IEnumerable<string> arguments, byte[]? stdin = null)
    {
        using var process = Process.Start(StartInfo(arguments))!;
        var stdout = new MemoryStream();
        var readOut = process.StandardOutput.BaseStream.CopyToAsync(stdout);
        var readErr = process.StandardError.ReadToEndAsync();
        var writeIn = Task.Run(async () =>
        {
            try
            {
                if (stdin is not null) await process.StandardInput.BaseStream.WriteAsync(stdin);
            }
            catch (IOException)
            {
                // The CLI did not want (all of) its stdin; its exit code tells the story.
            }
            finally
            {
                process.StandardInput.Close();
            }
        });
        try
        {
            await Task.WhenAll(readOut, readErr, writeIn, process.WaitForExitAsync()).WaitAsync(RunLimit);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"zrpc {string.Join(' ', arguments)} did not finish within {RunLimit}");
        }
        return new CliResult(process.ExitCode, stdout.ToArray(), await readErr);
    }

    public static Task<CliResult> RunAsync(params string[] arguments) => RunAsync(arguments, stdin: null);

    [DllImport("libc", SetLastError = true, EntryPoint = "kill")]
    private static extern int SysKill(int pid, int signal);

    /// <summary>Sends SIGTERM (15), the polite stop a service manager sends.</summary>
    public static void Terminate(Process process)
    {
        if (SysKill(process.Id, 15) != 0) Assert.Fail($"kill(SIGTERM) failed with errno {Marshal.GetLastPInvokeError()}");
    }
}
