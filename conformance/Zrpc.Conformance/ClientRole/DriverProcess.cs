using System.Diagnostics;
using System.Text;

namespace Zrpc.Conformance.ClientRole;

/// <summary>One line the driver printed on stdout, with the time it arrived.</summary>
public sealed record DriverLine(string Text, long Timestamp);

/// <summary>How one run of a client driver went.</summary>
public sealed record DriverRunResult(
    IReadOnlyList<DriverLine> Lines,
    int? ExitCode,
    bool Killed,
    string StandardError,
    string? StartError,
    TimeSpan Duration);

/// <summary>
/// Starts a client driver, hands it the script on stdin, closes stdin, collects its stdout lines
/// (timestamped: the kit times each call's outcome) and a bounded tail of stderr, and kills it
/// when it runs past its hard limit.
/// </summary>
public static class DriverProcess
{
    private const int MaxLines = 10_000;
    private const int StandardErrorCapacity = 32 * 1024;

    public static async Task<DriverRunResult> RunAsync(
        string program, IReadOnlyList<string> arguments, string script, TimeSpan hardLimit,
        Action<DriverLine>? onLine, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardInputEncoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), // no BOM before the script's JSON
        };
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new InvalidOperationException("Process.Start returned null");
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return new DriverRunResult([], null, false, "", e.Message, clock.Elapsed);
        }

        using (process)
        {
            var lines = new List<DriverLine>();
            var stderr = new StringBuilder();
            var readOut = Task.Run(async () =>
            {
                while (await process.StandardOutput.ReadLineAsync(CancellationToken.None).ConfigureAwait(false) is { } text)
                {
                    var line = new DriverLine(text, Stopwatch.GetTimestamp());
                    lock (lines)
                    {
                        if (lines.Count < MaxLines) lines.Add(line);
                    }

                    onLine?.Invoke(line);
                }
            }, CancellationToken.None);
            var readErr = Task.Run(async () =>
            {
                var buffer = new char[4096];
                int n;
                while ((n = await process.StandardError.ReadAsync(buffer, CancellationToken.None).ConfigureAwait(false)) > 0)
                {
                    lock (stderr)
                    {
                        stderr.Append(buffer, 0, n);
                        if (stderr.Length > StandardErrorCapacity) stderr.Remove(0, stderr.Length - StandardErrorCapacity);
                    }
                }
            }, CancellationToken.None);

            try
            {
                await process.StandardInput.WriteAsync(script).ConfigureAwait(false);
                process.StandardInput.Close();
            }
            catch (IOException)
            {
                // The driver exited without reading its script; its exit code tells the rest.
            }

            var killed = false;
            using (var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                limit.CancelAfter(hardLimit);
                try
                {
                    await process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    killed = true;
                    try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                    await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
                }
            }

            // The pipes close with the process (or with its children, which the kill took along).
            await Task.WhenAny(Task.WhenAll(readOut, readErr), Task.Delay(TimeSpan.FromSeconds(5))).ConfigureAwait(false);
            List<DriverLine> copy;
            lock (lines) copy = lines.ToList();
            string errText;
            lock (stderr) errText = stderr.ToString();
            return new DriverRunResult(copy, killed ? null : process.ExitCode, killed, errText, null, clock.Elapsed);
        }
    }
}
