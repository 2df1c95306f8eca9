namespace Zrpc.Transport;

/// <summary>
/// Yields exactly one connection: this process's stdin (read) and stdout (write), as when the
/// server is started by a client over a pipe or SSH (TRANS-1). The next <see cref="AcceptAsync"/>
/// waits until that connection is disposed and then returns null, so a serve loop ends when its
/// only peer has gone. Nothing else in the process may write to stdout: it is the wire.
/// </summary>
public sealed class StdioConnectionListener : IConnectionListener
{
    private readonly Func<Stream> _openInput;
    private readonly Func<Stream> _openOutput;
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _handedOut;

    public StdioConnectionListener()
        : this(OpenStandardInput, OpenStandardOutput)
    {
    }

    // Pipes and sockets (what ssh and a parent process give) are served through the socket engine:
    // reads that honour cancellation and allocate nothing; a file or terminal keeps the console streams.
    private static Stream OpenStandardInput() => PipeEndStream.IsPollable(0)
        ? new PipeEndStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(Enlarged(0), ownsHandle: false), FileAccess.Read, ownsHandle: false)
        : Console.OpenStandardInput();

    private static Stream OpenStandardOutput() => PipeEndStream.IsPollable(1)
        ? new PipeEndStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(Enlarged(1), ownsHandle: false), FileAccess.Write, ownsHandle: false)
        : Console.OpenStandardOutput();

    /// <summary>A pipe from a parent that did not enlarge it holds 64 KiB; a socket is left as it is.</summary>
    private static int Enlarged(int descriptor)
    {
        PipeSize.TryEnlarge(descriptor);
        return descriptor;
    }

    /// <summary>For tests: the streams that stand in for stdin and stdout.</summary>
    public StdioConnectionListener(Func<Stream> openInput, Func<Stream> openOutput)
    {
        _openInput = openInput;
        _openOutput = openOutput;
    }

    public async ValueTask<Stream?> AcceptAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (_finished.Task.IsCompleted) return null;
        if (Interlocked.Exchange(ref _handedOut, 1) == 0)
        {
            return new DuplexStream(_openInput(), _openOutput(), onDisposed: () =>
            {
                _finished.TrySetResult();
                return ValueTask.CompletedTask;
            });
        }
        await _finished.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        return null;
    }

    public ValueTask DisposeAsync()
    {
        _finished.TrySetResult();
        return ValueTask.CompletedTask;
    }
}
