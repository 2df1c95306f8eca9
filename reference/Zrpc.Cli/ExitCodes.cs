namespace Zrpc.Cli;

/// <summary>Process exit codes of the zrpc command, as documented in its help.</summary>
internal static class ExitCodes
{
    /// <summary>The call returned status OK / the server stopped cleanly.</summary>
    public const int Ok = 0;

    /// <summary>The server answered with an error status (RequestError, ServerError, Error; CLI-1).</summary>
    public const int ErrorStatus = 1;

    /// <summary>The command line was wrong (unknown option, bad address, missing body, ...).</summary>
    public const int Usage = 2;

    /// <summary>The connection failed, or the peer broke the protocol (CLI-2, CLI-3, CLI-4, CONN-*).</summary>
    public const int ProtocolOrTransport = 3;

    /// <summary>Interrupted by Ctrl-C / SIGTERM before the call finished (128 + SIGINT).</summary>
    public const int Interrupted = 130;

    public const string HelpText =
        "Exit codes: 0 OK; 1 the server answered with an error status (RequestError, ServerError, Error); " +
        "2 usage error; 3 protocol or transport error; 130 interrupted.";
}
