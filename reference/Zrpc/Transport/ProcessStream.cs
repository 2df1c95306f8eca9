using System.Diagnostics;

namespace Zrpc.Transport;

/// <summary>
/// A connection to a child process over its standard streams (TRANS-1: "a pair of pipes such as a
/// child process's stdin/stdout"): reads come from the child's stdout, writes go to its stdin. The
/// child's stderr is collected in a bounded buffer (<see cref="StandardErrorText"/>) so it can be
/// shown when the call fails, and never mixes with the protocol bytes.
/// Disposing closes the child's stdin (its end of stream, CONN-3), waits up to
/// <see cref="ExitGracePeriod"/> for it to exit, then kills its whole process tree; the child runs
/// in a process group of its own, and whatever of that group is left then is ended too.
/// </summary>
public sealed class ProcessStream : Stream
{
    /// <summary>How much of the child's stderr is kept (the most recent bytes).</summary>
    public const int StandardErrorCapacity = 64 * 1024;

    private readonly Process _process;
    private readonly DuplexStream _pipes;
    private readonly Stream _stdinEnd;
    private readonly BoundedTailBuffer _stderr = new(StandardErrorCapacity);
    private readonly Task _stderrPump;
    private readonly Action<string>? _stderrLine;
    private int _disposed;

    private ProcessStream(Process process, Action<string>? stderrLine)
    {
        _process = process;
        ProcessId = process.Id;
        _stderrLine = stderrLine;
        _stdinEnd = PipeEnd(process.StandardInput.BaseStream, FileAccess.Write);
        _pipes = new DuplexStream(PipeEnd(process.StandardOutput.BaseStream, FileAccess.Read), _stdinEnd);
        _stderrPump = Task.Run(PumpStandardErrorAsync);
    }

    /// <summary>
    /// The child's end of a pipe as a <see cref="PipeEndStream"/> (no allocation per read, reads
    /// that honour cancellation), or the runtime's own stream where that cannot serve it. The
    /// runtime's stream keeps owning the descriptor and closes it.
    /// </summary>
    private static Stream PipeEnd(Stream runtimeStream, FileAccess access)
    {
        if (runtimeStream is System.IO.Pipes.PipeStream pipe && PipeEndStream.IsPollable((int)pipe.SafePipeHandle.DangerousGetHandle()))
        {
            PipeSize.TryEnlarge(pipe.SafePipeHandle);
            return new PipeEndStream(pipe.SafePipeHandle, access, ownsHandle: false);
        }

        return runtimeStream;
    }

    /// <summary>
    /// Starts <paramref name="command"/> with <paramref name="arguments"/> (no shell involved).
    /// Throws <see cref="IOException"/> when the program cannot be started.
    /// </summary>
    /// <param name="standardErrorLine">Optional: also receives the child's stderr, decoded, chunk by chunk as it arrives.</param>
    public static ProcessStream Start(string command, IEnumerable<string> arguments, Action<string>? standardErrorLine = null)
    {
        // A child that forks and exits leaves its children out of reach of a process-tree kill;
        // a process group of its own keeps them reachable. setsid(1) makes one (a new session,
        // so the child also has no controlling terminal to stop on) and then execs the command
        // in its own process, so the child's pid is the group's id.
        string? setsid = OperatingSystem.IsWindows() ? null : SetsidProgram.Value;
        var startInfo = new ProcessStartInfo(setsid ?? command)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            CreateNoWindow = true,
        };
        if (setsid is not null)
        {
            // setsid would report a missing program only on the child's stderr, after the start.
            startInfo.ArgumentList.Add(ResolveProgram(command) ?? throw new IOException($"cannot start '{command}': no such program (PATH searched)"));
        }
        foreach (var argument in arguments) startInfo.ArgumentList.Add(argument);

        var process = new Process { StartInfo = startInfo };
        try
        {
            process.Start();
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            process.Dispose();
            throw new IOException($"cannot start '{command}': {e.Message}", e);
        }
        return new ProcessStream(process, standardErrorLine) { _ownGroup = setsid is not null };
    }

    private static readonly Lazy<string?> SetsidProgram = new(() =>
        new[] { "/usr/bin/setsid", "/bin/setsid" }.FirstOrDefault(IsExecutableFile));

    private static bool IsExecutableFile(string path) =>
        FileKinds.Of(path, followLinks: true) == FileKind.Regular
        && (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;

    /// <summary>The program execvp would run for <paramref name="command"/>, or null.</summary>
    private static string? ResolveProgram(string command)
    {
        if (command.Contains('/')) return IsExecutableFile(command) ? command : null;
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':'))
        {
            string candidate = Path.Combine(directory.Length == 0 ? "." : directory, command);
            if (IsExecutableFile(candidate)) return candidate;
        }
        return null;
    }

    /// <summary>True when the child leads a process group of its own (its pid is the group id).</summary>
    private bool _ownGroup;

    /// <summary>How long <see cref="DisposeAsync"/> waits for the child to exit on its own after its stdin closed.</summary>
    public TimeSpan ExitGracePeriod { get; set; } = TimeSpan.FromSeconds(5);

    public int ProcessId { get; }

    public bool HasExited => Volatile.Read(ref _disposed) != 0 ? _exitCode is not null : _process.HasExited;

    /// <summary>The child's exit code; null while it runs (after disposal: its code, or null if it could not be reaped).</summary>
    public int? ExitCode => Volatile.Read(ref _disposed) != 0 ? _exitCode : _process.HasExited ? _process.ExitCode : null;

    private int? _exitCode;

    /// <summary>The last <see cref="StandardErrorCapacity"/> bytes of the child's stderr, as text.</summary>
    public string StandardErrorText => _stderr.ToText();

    /// <summary>Completes when the child has exited.</summary>
    public Task WaitForExitAsync(CancellationToken cancellationToken = default) => _process.WaitForExitAsync(cancellationToken);

    /// <summary>
    /// Closes the child's stdin only, so it reads end of stream while its answer can still be read
    /// from stdout: the pipe equivalent of a TCP half-close.
    /// </summary>
    public void CloseStandardInput()
    {
        try
        {
            // Our end first: it holds a reference that would keep the descriptor open.
            _stdinEnd.Dispose();
            _process.StandardInput.BaseStream.Dispose();
        }
        catch (IOException)
        {
            // The child already closed its end (it exited): nothing left to signal.
        }
    }

    private async Task PumpStandardErrorAsync()
    {
        var buffer = new byte[8192];
        var stream = _process.StandardError.BaseStream;
        var decoder = System.Text.Encoding.UTF8.GetDecoder();
        var chars = new char[System.Text.Encoding.UTF8.GetMaxCharCount(buffer.Length)];
        try
        {
            int n;
            while ((n = await stream.ReadAsync(buffer).ConfigureAwait(false)) > 0)
            {
                _stderr.Append(buffer.AsSpan(0, n));
                if (_stderrLine is not null)
                {
                    int c = decoder.GetChars(buffer, 0, n, chars, 0);
                    if (c > 0) _stderrLine(new string(chars, 0, c));
                }
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // The pipe broke because we are tearing the child down; what was read is kept.
        }
    }

    public override bool CanRead => _pipes.CanRead;
    public override bool CanWrite => _pipes.CanWrite;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    public override int Read(byte[] buffer, int offset, int count) => _pipes.Read(buffer, offset, count);
    public override int Read(Span<byte> buffer) => _pipes.Read(buffer);
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        _pipes.ReadAsync(buffer, offset, count, cancellationToken);
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        _pipes.ReadAsync(buffer, cancellationToken);

    public override void Write(byte[] buffer, int offset, int count) => _pipes.Write(buffer, offset, count);
    public override void Write(ReadOnlySpan<byte> buffer) => _pipes.Write(buffer);
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        _pipes.WriteAsync(buffer, offset, count, cancellationToken);
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        _pipes.WriteAsync(buffer, cancellationToken);

    public override void Flush() => _pipes.Flush();
    public override Task FlushAsync(CancellationToken cancellationToken) => _pipes.FlushAsync(cancellationToken);

    protected override void Dispose(bool disposing)
    {
        if (disposing) DisposeAsync().AsTask().GetAwaiter().GetResult();
        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        try
        {
            try
            {
                _stdinEnd.Dispose();
                _process.StandardInput.BaseStream.Dispose();
            }
            catch (IOException)
            {
                // The child already closed its stdin (it exited): nothing left to signal.
            }

            using (var grace = new CancellationTokenSource(ExitGracePeriod))
            {
                try
                {
                    await _process.WaitForExitAsync(grace.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    KillTree();
                }
            }
            if (!_process.HasExited)
            {
                KillTree();
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            }
            await EndGroupAsync().ConfigureAwait(false);
        }
        finally
        {
            await _pipes.DisposeAsync().ConfigureAwait(false);
            // A grandchild may still hold stderr open; do not wait for it forever.
            try
            {
                await _stderrPump.WaitAsync(TimeSpan.FromSeconds(1)).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
            }
            if (_process.HasExited) _exitCode = _process.ExitCode;
            _process.Dispose();
            GC.SuppressFinalize(this);
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SysKill(int pid, int signal);

    /// <summary>
    /// Ends what is left of the child's process group once the child is gone: processes it forked
    /// and left behind get SIGTERM, and SIGKILL if they are still there a second later.
    /// </summary>
    private async Task EndGroupAsync()
    {
        if (!_ownGroup) return;
        const int SigTerm = 15, SigKill = 9;
        if (SysKill(-ProcessId, SigTerm) != 0) return; // ESRCH: the group is empty
        for (int i = 0; i < 50; i++)
        {
            await Task.Delay(20).ConfigureAwait(false);
            if (SysKill(-ProcessId, 0) != 0) return;
        }
        SysKill(-ProcessId, SigKill);
    }

    private void KillTree()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // It exited between the check and the kill.
        }
    }
}
