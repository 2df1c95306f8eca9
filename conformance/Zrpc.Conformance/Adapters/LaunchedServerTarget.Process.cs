using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Zrpc.Transport;

namespace Zrpc.Conformance.Adapters;

// The launched process itself: its output kept for the report, stopping it, a free port, the first connection.
public sealed partial class LaunchedServerTarget
{
    private string Describe(Process process)
    {
        // The output readers finish once the pipes close; the exit status is known already.
        process.WaitForExit(1000);
        var crash = CrashEvidence.Describe(process.ExitCode, AllOutput);
        return $"the launched server process ended: {crash ?? CrashEvidence.DescribeExit(process.ExitCode)}" + OutputSuffix();
    }

    private string OutputSuffix()
    {
        var tail = OutputTail;
        return tail.Length == 0 ? "; it printed nothing" : $"; its output ends with:\n{tail}";
    }

    private async Task StopAsync()
    {
        var process = _process;
        _process = null;
        if (process is null)
        {
            return;
        }

        try
        {
            if (!process.HasExited)
            {
                Signal(process, Sigterm);
                try
                {
                    await process.WaitForExitAsync().WaitAsync(StopGrace).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                }
            }

            // Whatever the server started and left behind goes with it.
            Signal(process, Sigkill);
            if (!process.HasExited)
            {
                try
                {
                    process.Kill(entireProcessTree: true);
                }
                catch (InvalidOperationException)
                {
                    // It ended between the check and the kill.
                }

                await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            }
        }
        catch (TimeoutException)
        {
            // Not reaped in time: nothing more the kit can do.
        }
        finally
        {
            process.Dispose();
        }
    }

    private const int Sigkill = 9;
    private const int Sigterm = 15;

    /// <summary>Sends a signal to the server's process group (or to the process alone where it has none).</summary>
    private void Signal(Process process, int signal)
    {
        if (!(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS()))
        {
            if (signal == Sigkill && !process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            return;
        }

        int pid;
        try
        {
            pid = process.Id;
        }
        catch (InvalidOperationException)
        {
            return;
        }

        // setsid made the server the leader of a group whose id is its pid.
        _ = Kill(_ownGroup ? -pid : pid, signal);
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    private void Receive(Queue<string> output, string? line)
    {
        if (line is null)
        {
            return;
        }

        if (ReferenceEquals(output, _output) && CrashEvidence.FindSignature(line) is not null)
        {
            Interlocked.CompareExchange(ref _crashTextAt, DateTime.UtcNow.Ticks, 0);
        }

        lock (output)
        {
            output.Enqueue(line);
            while (output.Count > OutputLines)
            {
                output.Dequeue();
            }
        }
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    /// <summary>Null when a connection to <paramref name="address"/> opens within <paramref name="limit"/>; otherwise why not.</summary>
    private static async Task<string?> TryConnectAsync(TransportAddress address, TimeSpan limit, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(limit);
        try
        {
            var stream = await Connector.ConnectAsync(address, timeout.Token).ConfigureAwait(false);
            await stream.DisposeAsync().ConfigureAwait(false);
            return null;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return $"no connection within {limit.TotalSeconds:0.#} s";
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            return e.Message;
        }
    }
}
