using System.Diagnostics;
using System.Text;
using NUnit.Framework;
using Zrpc.Transport;

namespace Zrpc.Tests.EndToEnd;

/// <summary>A running `zrpc serve`; the address it really listens on is read from its log line.</summary>
internal sealed class ServeProcess : IAsyncDisposable
{
    private const string ListeningMarker = "listening on ";
    private readonly Process _process;
    private readonly StringBuilder _stderr = new();
    private readonly TaskCompletionSource<string> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _stderrPump;

    private ServeProcess(Process process)
    {
        _process = process;
        _stderrPump = Task.Run(PumpAsync);
    }

    public TransportAddress Address { get; private set; } = TransportAddress.Stdio;

    public Process Process => _process;

    public string Stderr
    {
        get { lock (_stderr) return _stderr.ToString(); }
    }

    public static async Task<ServeProcess> StartAsync(string listen, params string[] options)
    {
        var server = new ServeProcess(Process.Start(CliProcess.StartInfo(["serve", "--listen", listen, .. options]))!);
        try
        {
            string announced = await server._listening.Task.WaitAsync(TimeSpan.FromSeconds(60));
            server.Address = TransportAddress.Parse(announced);
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException)
        {
            server._process.Kill(entireProcessTree: true);
            Assert.Fail($"zrpc serve --listen {listen} did not announce its address: {e.Message}\n{server.Stderr}");
        }
        return server;
    }

    private async Task PumpAsync()
    {
        string? line;
        while ((line = await _process.StandardError.ReadLineAsync()) is not null)
        {
            lock (_stderr) _stderr.AppendLine(line);
            int at = line.IndexOf(ListeningMarker, StringComparison.Ordinal);
            if (at >= 0) _listening.TrySetResult(line[(at + ListeningMarker.Length)..].Trim());
        }
        _listening.TrySetException(new InvalidOperationException($"the server exited with code {(_process.HasExited ? _process.ExitCode : -1)}"));
    }

    /// <summary>Stops the server with SIGTERM and returns its exit code.</summary>
    public async Task<int> StopAsync()
    {
        if (!_process.HasExited) CliProcess.Terminate(_process);
        try
        {
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (TimeoutException)
        {
            _process.Kill(entireProcessTree: true);
            Assert.Fail($"zrpc serve ignored SIGTERM for 30 s\n{Stderr}");
        }
        await _stderrPump.WaitAsync(TimeSpan.FromSeconds(10));
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
