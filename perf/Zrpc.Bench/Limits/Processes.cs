using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Zrpc.Bench.Limits;

/// <summary>Child processes of the bench: started, waited for, stopped; never through a shell unless asked.</summary>
public static class Processes
{
    public sealed record Result(int ExitCode, double Seconds, string Stdout, string Stderr);

    public static Process Start(string fileName, IEnumerable<string> arguments, bool redirectInput = false)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = redirectInput,
            UseShellExecute = false,
        };
        foreach (var a in arguments) start.ArgumentList.Add(a);
        return Process.Start(start) ?? throw new InvalidOperationException($"cannot start {fileName}");
    }

    /// <summary>Runs to the end; the wall time is from just before the start to the exit.</summary>
    public static async Task<Result> RunAsync(string fileName, IEnumerable<string> arguments, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        using var process = Start(fileName, arguments);
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        double seconds = clock.Elapsed.TotalSeconds;
        return new Result(process.ExitCode, seconds, await stdout, await stderr);
    }

    public static void Stop(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    public static int FreeTcpPort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    /// <summary>Waits until something accepts on 127.0.0.1:<paramref name="port"/>, or fails when <paramref name="owner"/> exits first.</summary>
    public static Task WaitForTcpAsync(int port, Process owner, CancellationToken ct) =>
        WaitForAsync(new IPEndPoint(IPAddress.Loopback, port), AddressFamily.InterNetwork, ProtocolType.Tcp, owner, ct);

    public static Task WaitForUnixAsync(string path, Process owner, CancellationToken ct) =>
        WaitForAsync(new UnixDomainSocketEndPoint(path), AddressFamily.Unix, ProtocolType.Unspecified, owner, ct);

    private static async Task WaitForAsync(EndPoint endPoint, AddressFamily family, ProtocolType protocol, Process owner, CancellationToken ct)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (owner.HasExited)
            {
                throw new IOException($"{owner.StartInfo.FileName} exited ({owner.ExitCode}) before it listened on {endPoint}: {await owner.StandardError.ReadToEndAsync(ct)}");
            }

            using var probe = new Socket(family, SocketType.Stream, protocol);
            try
            {
                await probe.ConnectAsync(endPoint, ct);
                return;
            }
            catch (SocketException) when (deadline.Elapsed < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(50, ct);
            }
        }
    }

    public static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
}
