using System.Diagnostics;
using System.Net.Sockets;
using Zrpc.Transport;

namespace Zrpc.Conformance.Adapters;

/// <summary>
/// A server the kit starts itself (runner option <c>--launch COMMAND</c>): the command line is
/// split like an exec: target's (no shell), <c>{port}</c> and <c>{address}</c> in it become a free
/// loopback port and <c>tcp://127.0.0.1:PORT</c>, and the kit connects there. Because the kit owns
/// the process it can tell a crash from its exit status and output, and start it again so that
/// one crash costs one scenario, not the rest of the run.
/// </summary>
/// <remarks>
/// On Linux the server runs in a process group of its own (through <c>setsid</c>), so that
/// stopping it also stops what it started (a <c>go run</c> or <c>dotnet run</c> wrapper's child).
/// Stopping is SIGTERM to that group, then SIGKILL after <see cref="StopGrace"/>.
/// </remarks>
public sealed partial class LaunchedServerTarget : IServerTarget
{
    public const string PortPlaceholder = "{port}";
    public const string AddressPlaceholder = "{address}";

    /// <summary>How many lines of the server's output are kept for reports.</summary>
    private const int OutputLines = 200;

    private static readonly string? Setsid = OperatingSystem.IsLinux()
        ? new[] { "/usr/bin/setsid", "/bin/setsid" }.FirstOrDefault(File.Exists)
        : null;

    private readonly IReadOnlyList<string> _words;
    private readonly SemaphoreSlim _lock = new(1, 1);
    private Process? _process;
    private bool _ownGroup;
    private Queue<string> _output = new();
    private TransportAddress? _address;
    private long _crashTextAt;

    /// <summary>Throws <see cref="FormatException"/> for an empty command or one without a placeholder.</summary>
    public LaunchedServerTarget(string commandLine, TimeSpan startTimeout)
    {
        ArgumentNullException.ThrowIfNull(commandLine);
        _words = TransportAddress.SplitCommandLine(commandLine);
        if (_words.Count == 0)
        {
            throw new FormatException("--launch: the command is empty");
        }

        if (!_words.Any(w => w.Contains(PortPlaceholder, StringComparison.Ordinal) || w.Contains(AddressPlaceholder, StringComparison.Ordinal)))
        {
            throw new FormatException(
                $"--launch '{commandLine}': the command must contain {PortPlaceholder} or {AddressPlaceholder}, where the kit puts the loopback port it picked for the server");
        }

        CommandLine = commandLine;
        StartTimeout = startTimeout;
    }

    /// <summary>The --launch text as given.</summary>
    public string CommandLine { get; }

    /// <summary>How long a start may take until the server accepts connections.</summary>
    public TimeSpan StartTimeout { get; }

    /// <summary>How long a stopped server gets between SIGTERM and SIGKILL.</summary>
    public TimeSpan StopGrace { get; init; } = TimeSpan.FromSeconds(5);

    public string Name => $"launched: {CommandLine}";

    /// <summary>Null: a launched server is reached again with --launch, not --target.</summary>
    public string? TargetArgument => null;

    /// <summary>Where the running server listens; null before the first start.</summary>
    public TransportAddress? Address => _address;

    /// <summary>How many times the server was started (1 + restarts).</summary>
    public int Starts { get; private set; }

    /// <summary>
    /// When the current server process showed it was going down: the earlier of the arrival of a
    /// runtime's crash text on its output and its exit; null while neither happened. A crash can
    /// take a while to finish (a runtime formats its stack trace while the server still accepts
    /// connections), so this tells which scenario was running when it began.
    /// </summary>
    public DateTime? DownSinceUtc
    {
        get
        {
            var text = Interlocked.Read(ref _crashTextAt);
            DateTime? exited = null;
            try
            {
                if (_process is { HasExited: true } process)
                {
                    exited = process.ExitTime.ToUniversalTime();
                }
            }
            catch (Exception e) when (e is InvalidOperationException or NotSupportedException)
            {
                // No exit time known: the crash text, if any, still dates the crash.
            }

            DateTime? crashText = text == 0 ? null : new DateTime(text, DateTimeKind.Utc);
            return crashText is null ? exited : exited is null || crashText < exited ? crashText : exited;
        }
    }

    /// <summary>Waits up to <paramref name="limit"/> for the server process to end; true when it did.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan limit, CancellationToken cancellationToken)
    {
        if (_process is not { } process)
        {
            return false;
        }

        try
        {
            await process.WaitForExitAsync(cancellationToken).WaitAsync(limit, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return process.HasExited;
        }
    }

    /// <summary>The last lines the current server process wrote to stdout and stderr.</summary>
    public string OutputTail
    {
        get
        {
            lock (_output)
            {
                return string.Join('\n', _output.Skip(Math.Max(0, _output.Count - CrashEvidence.TailLines)));
            }
        }
    }

    private string AllOutput
    {
        get
        {
            lock (_output)
            {
                return string.Join('\n', _output);
            }
        }
    }

    public async Task<Stream> ConnectAsync(CancellationToken cancellationToken)
    {
        var address = await EnsureStartedAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await Connector.ConnectAsync(address, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            throw new TargetUnreachableException(Name, $"{address}: {e.Message}", e);
        }
    }

    /// <summary>
    /// Null while the server runs and accepts connections; otherwise what happened to it: its exit
    /// status and last output, or that it stopped accepting connections.
    /// </summary>
    public async Task<string?> CheckAsync(CancellationToken cancellationToken)
    {
        var process = _process;
        var address = _address;
        if (process is null || address is null)
        {
            return null;
        }

        if (process.HasExited)
        {
            return Describe(process);
        }

        var refused = await TryConnectAsync(address, TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
        if (refused is null)
        {
            return null;
        }

        // It may be on its way out: give it a moment so the report can show how it ended.
        try
        {
            await process.WaitForExitAsync(cancellationToken).WaitAsync(TimeSpan.FromMilliseconds(500), cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }

        return process.HasExited
            ? Describe(process)
            : $"the launched server no longer accepts connections on {address} ({refused}) although its process is still running" + OutputSuffix();
    }

    /// <summary>Stops the server and starts it again on a new port; null on success, otherwise why it did not come up.</summary>
    public async Task<string?> RestartAsync(CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await StopAsync().ConfigureAwait(false);
            return await StartAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _lock.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _lock.WaitAsync().ConfigureAwait(false);
        try
        {
            await StopAsync().ConfigureAwait(false);
        }
        finally
        {
            _lock.Release();
        }
    }

    public override string ToString() => Name;

    private async Task<TransportAddress> EnsureStartedAsync(CancellationToken cancellationToken)
    {
        if (_process is not null && _address is { } running)
        {
            return running;
        }

        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_process is null)
            {
                if (await StartAsync(cancellationToken).ConfigureAwait(false) is { } error)
                {
                    throw new TargetUnreachableException(Name, error);
                }
            }

            return _address!;
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Starts the server and waits until it accepts a connection; null on success, otherwise why not.</summary>
    private async Task<string?> StartAsync(CancellationToken cancellationToken)
    {
        var port = FreePort();
        var address = TransportAddress.Tcp("127.0.0.1", port);
        var words = _words.Select(w => w.Replace(PortPlaceholder, port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace(AddressPlaceholder, address.ToString(), StringComparison.Ordinal)).ToList();
        var info = new ProcessStartInfo(Setsid ?? words[0])
        {
            UseShellExecute = false,
            // Kept open and never written: a server that reads stdin must not see end of input.
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            CreateNoWindow = true,
        };
        foreach (var word in Setsid is null ? words.Skip(1) : words)
        {
            info.ArgumentList.Add(word);
        }

        var output = new Queue<string>();
        var process = new Process { StartInfo = info };
        Interlocked.Exchange(ref _crashTextAt, 0);
        process.OutputDataReceived += (_, e) => Receive(output, e.Data);
        process.ErrorDataReceived += (_, e) => Receive(output, e.Data);
        try
        {
            process.Start();
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            process.Dispose();
            return $"--launch: cannot start '{words[0]}': {e.Message}";
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        _ownGroup = Setsid is not null;
        _output = output;
        _address = address;
        Starts++;

        var clock = Stopwatch.StartNew();
        string? lastError = null;
        while (clock.Elapsed < StartTimeout)
        {
            if (process.HasExited)
            {
                // Let the output readers catch up with what it printed before it ended (bounded:
                // something it started may still hold the pipes open).
                try
                {
                    await process.WaitForExitAsync(cancellationToken).WaitAsync(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                }

                return $"--launch: the server exited before it accepted a connection on {address} ({CrashEvidence.DescribeExit(process.ExitCode)})" + OutputSuffix();
            }

            lastError = await TryConnectAsync(address, TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
            if (lastError is null)
            {
                return null;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken).ConfigureAwait(false);
        }

        await StopAsync().ConfigureAwait(false);
        return $"--launch: the server did not accept a connection on {address} within {StartTimeout.TotalSeconds:0.#} s " +
               $"(last attempt: {lastError}); does the command put {PortPlaceholder} or {AddressPlaceholder} where the server takes its listen address? " +
               "(--launch-timeout sets the limit)" + OutputSuffix();
    }
}
