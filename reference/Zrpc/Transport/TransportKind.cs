namespace Zrpc.Transport;

/// <summary>The kinds of byte stream the protocol runs over (TRANS-1).</summary>
public enum TransportKind
{
    /// <summary><c>tcp://host:port</c></summary>
    Tcp,
    /// <summary><c>unix:///absolute/path</c> — a Unix stream socket.</summary>
    Unix,
    /// <summary><c>stdio</c> — this process's stdin (read) and stdout (write).</summary>
    Stdio,
    /// <summary><c>exec:COMMAND ARGS</c> — a child process's stdout (read) and stdin (write).</summary>
    Exec,
}
