using Zrpc.Spec;
using System.CommandLine;
using System.Net.Sockets;
using Zrpc.Rpc;
using Zrpc.Transport;

namespace Zrpc.Cli;

/// <summary>
/// <c>zrpc call</c>: one request to any endpoint of any server, like grpcurl. The response body goes
/// to stdout (JSON indented) or to a file; diagnostics go to stderr; the exit code tells the outcome.
/// </summary>
internal static class CallCommand
{
    private const int CopyChunk = 1024 * 1024;

    /// <summary>The library client's defaults, which the command's defaults show.</summary>
    private static readonly RpcClientOptions ClientDefaults = new();

    /// <summary>A call that has not finished after the client's call timeout is given up unless the user asks for longer (CLI-6).</summary>
    public static double DefaultTimeoutSeconds => ClientDefaults.CallTimeout.TotalSeconds;

    public static Command Create()
    {
        var connect = AddressOption.Create("--connect", "-c",
            "Server to call: tcp://HOST:PORT, unix:///PATH, or exec:COMMAND ARGS (start COMMAND and talk over its stdin/stdout; " +
            "quote ARGS like a shell).",
            TransportKind.Tcp, TransportKind.Unix, TransportKind.Exec);
        var endpoint = new Argument<string>("ENDPOINT") { Description = "Endpoint name, e.g. Echo." };
        var json = new Option<string>("--json", "-d") { Description = "Request body: this JSON text (sent as MarshaledJSON).", HelpName = "text" };
        var jsonFile = new Option<string>("--json-file") { Description = "Request body: JSON read from this file ('-' = stdin).", HelpName = "file" };
        var octetsIn = new Option<string>("--octets-in")
        {
            Description = "Request body: the bytes of this file ('-' = stdin), sent as Octets. " +
                          "Without any body option, JSON is read from stdin.",
            HelpName = "file|-",
        };
        var octetsOut = new Option<string>("--octets-out")
        {
            Description = "Write an Octets response body to this file ('-' = stdout); implies --accept octets. " +
                          "The body goes to a new file beside it that replaces FILE only once the body is complete, " +
                          "so a failed or killed call leaves FILE as it was (CLI-4); a device or FIFO is written directly.",
            HelpName = "file|-",
        };
        var accept = new Option<string>("--accept")
        {
            Description = "Response body type to ask for: json, octets or none. Default: octets with --octets-out, else json.",
            HelpName = "json|octets|none",
        };
        accept.AcceptOnlyFromAmong("json", "octets", "none");
        var verbose = new Option<bool>("--verbose", "-v")
        {
            Description = "Show the request and response headers, body sizes and an exec server's stderr on stderr.",
        };
        var timeout = new Option<double>("--timeout")
        {
            Description = "Give up when the call has not finished after this many seconds (CLI-6); 0 = no limit. " +
                          "Raise it for long transfers.",
            DefaultValueFactory = _ => DefaultTimeoutSeconds,
            HelpName = "seconds",
        };
        var readTimeout = new Option<double>("--read-timeout")
        {
            Description = "Give up when a frame or message stays incomplete this long (CONN-5); 0 = no limit.",
            DefaultValueFactory = _ => ClientDefaults.ReadTimeout.TotalSeconds,
            HelpName = "seconds",
        };

        var profile = ProfileOption.Create("of the connection");
        var command = new Command("call",
            "Call ENDPOINT once and print the response. JSON responses are printed indented to stdout; Octets go to " +
            "--octets-out or stdout. " + ExitCodes.HelpText)
        {
            connect, endpoint, json, jsonFile, octetsIn, octetsOut, accept, verbose, timeout, readTimeout, profile,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            CallSettings settings;
            try
            {
                settings = CallSettings.Create(
                    parseResult.GetRequiredValue(connect), parseResult.GetRequiredValue(endpoint),
                    parseResult.GetValue(json), parseResult.GetValue(jsonFile), parseResult.GetValue(octetsIn),
                    parseResult.GetValue(octetsOut), parseResult.GetValue(accept), parseResult.GetValue(verbose),
                    parseResult.GetValue(timeout), parseResult.GetValue(readTimeout), Console.IsInputRedirected);
            }
            catch (UsageException e)
            {
                Console.Error.WriteLine($"zrpc call: {e.Message}");
                return ExitCodes.Usage;
            }
            if (ProfileOption.Read(parseResult, profile, "call") is not { } chosenProfile) return ExitCodes.Usage;
            return await RunAsync(settings with { Profile = chosenProfile }, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    private static async Task<int> RunAsync(CallSettings settings, CancellationToken outer)
    {
        byte[]? jsonBody;
        try
        {
            jsonBody = await ReadJsonBodyAsync(settings, outer).ConfigureAwait(false);
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"zrpc call: {e.Message}");
            return ExitCodes.Usage;
        }
        catch (IOException e)
        {
            Console.Error.WriteLine($"zrpc call: cannot read the request body: {e.Message}");
            return ExitCodes.Usage;
        }

        using var termination = new Termination(outer);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(termination.Token);
        if (settings.Timeout != Timeout.InfiniteTimeSpan) deadline.CancelAfter(settings.Timeout);

        Stream? connection = null;
        int exitCode;
        try
        {
            Action<string>? childStderr = settings.Verbose ? text => Console.Error.Write(text) : null;
            connection = await Connector.ConnectAsync(settings.Address, childStderr, deadline.Token).ConfigureAwait(false);
            // A stalled peer must not outlive the deadline even where a read ignores cancellation.
            await using var unblock = deadline.Token.Register(() => connection.Dispose());
            exitCode = await CallAsync(settings, connection, jsonBody, deadline.Token).ConfigureAwait(false);
        }
        catch (Exception) when (deadline.IsCancellationRequested)
        {
            exitCode = termination.Signalled ? ExitCodes.Interrupted : ExitCodes.ProtocolOrTransport;
            Console.Error.WriteLine(termination.Signalled
                ? "zrpc call: interrupted"
                : $"zrpc call: no complete response within {settings.Timeout.TotalSeconds:0.###} s (CLI-6; --timeout SECONDS, 0 = no limit)");
        }
        catch (UsageException e)
        {
            exitCode = ExitCodes.Usage;
            Console.Error.WriteLine($"zrpc call: {e.Message}");
        }
        catch (ProtocolException e)
        {
            exitCode = ExitCodes.ProtocolOrTransport;
            Console.Error.WriteLine($"zrpc call: protocol error [{e.RequirementId}]: {e.Message}");
        }
        catch (LocalLimitException e)
        {
            exitCode = ExitCodes.ProtocolOrTransport;
            Console.Error.WriteLine($"zrpc call: {e.Message}");
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            exitCode = ExitCodes.ProtocolOrTransport;
            Console.Error.WriteLine($"zrpc call: transport error talking to {settings.Address}: {e.Message}");
        }

        if (connection is not null)
        {
            try
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
            {
                // Closing a connection the peer already dropped; the outcome is decided.
            }
        }
        // After disposal the child has exited, so its stderr is complete.
        if (exitCode == ExitCodes.ProtocolOrTransport) ReportChildStderr(connection, settings);
        return exitCode;
    }

    private static async Task<int> CallAsync(CallSettings settings, Stream connection, byte[]? jsonBody, CancellationToken cancellationToken)
    {
        var request = new RpcHeader(settings.Endpoint, settings.Profile.Wire(settings.RequestType), settings.Profile.Wire(settings.Accept), 0, "");
        if (settings.Verbose) Console.Error.WriteLine($"> {System.Text.Encoding.UTF8.GetString(request.ToCanonicalBytes()).TrimEnd('\n')}");

        var call = new RawCall(connection, settings.ReadTimeout);
        long sentBytes = 0;
        var response = await call.ExchangeAsync(request, async (body, ct) =>
        {
            if (jsonBody is not null)
            {
                await body.WriteAsync(jsonBody, ct).ConfigureAwait(false);
                sentBytes = jsonBody.Length;
                return;
            }
            await using var source = settings.Body == BodySource.OctetsStdin
                ? Console.OpenStandardInput()
                : new FileStream(settings.BodyArgument!, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
            if (body is Zrpc.Messages.DataMessageWriteStream message)
            {
                // Read straight into the frame buffer: one copy of every byte fewer than through a buffer of our own.
                await message.CopyFromAsync(source, ct).ConfigureAwait(false);
                sentBytes = message.BytesWritten;
            }
            else
            {
                sentBytes = await CopyAsync(source, body, ct).ConfigureAwait(false);
            }
        }, cancellationToken).ConfigureAwait(false);

        if (settings.Verbose) Console.Error.WriteLine($"< {response.HeaderText}");
        var header = response.Header;
        if (header.Error != (ulong)Status.Ok)
        {
            string status = Enum.IsDefined(typeof(Status), header.Error) ? $"{(Status)header.Error} ({header.Error})" : $"unknown status {header.Error}";
            Console.Error.WriteLine($"zrpc call: {settings.Endpoint} failed with {status}: {header.ErrorMessage}");
            await CloseAsync(settings, call, response, cancellationToken).ConfigureAwait(false);
            return ExitCodes.ErrorStatus;
        }

        var body = response.Body!;
        long received;
        switch (settings.Accept)
        {
            case DataType.MarshaledJson:
                {
                    string? pretty = await JsonBodies.ReadPrettyAsync(body, cancellationToken).ConfigureAwait(false);
                    if (pretty is null) throw new ProtocolException(RequirementId.Rpc7, "the MarshaledJSON response body is not one valid JSON value");
                    await response.RequestSent.ConfigureAwait(false);
                    Console.Out.WriteLine(pretty);
                    Console.Out.Flush();
                    received = (body as Zrpc.Messages.DataMessageReadStream)?.BytesRead ?? -1;
                    break;
                }
            case DataType.Octets:
                received = await WriteOctetsAsync(settings, body, cancellationToken).ConfigureAwait(false);
                await response.RequestSent.ConfigureAwait(false);
                break;
            default:
                {
                    // A None body carries nothing for the user; it must still end properly (CLI-4).
                    received = await CopyAsync(body, Stream.Null, cancellationToken).ConfigureAwait(false);
                    await response.RequestSent.ConfigureAwait(false);
                    break;
                }
        }

        if (settings.Verbose) Console.Error.WriteLine($"sent {sentBytes} body bytes, received {received} ({settings.Accept})");
        await CloseAsync(settings, call, response, cancellationToken).ConfigureAwait(false);
        return ExitCodes.Ok;
    }

    /// <summary>
    /// Profile fa4d209: the Close handshake once the call is over (FACLI-1). The call's outcome is
    /// decided already, so a failed close is reported as a warning and leaves the exit code alone.
    /// </summary>
    private static async Task CloseAsync(CallSettings settings, RawCall call, RawResponse response, CancellationToken cancellationToken)
    {
        if (settings.Profile != Profile.Fa4d209) return;
        try
        {
            // The Close request follows the whole request body (an error answer may come before it is sent).
            await response.RequestSent.ConfigureAwait(false);
            await call.CloseAsync(CloseHandshake.AnswerWait, cancellationToken).ConfigureAwait(false);
            if (settings.Verbose) Console.Error.WriteLine("closed: Close answered OK, RST sent (FACLI-3)");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Console.Error.WriteLine($"zrpc call: warning: the Close handshake failed: {e.Message}");
        }
    }

    private static async Task<long> WriteOctetsAsync(CallSettings settings, Stream body, CancellationToken cancellationToken)
    {
        if (settings.OctetsToStdout)
        {
            await using var stdout = Console.OpenStandardOutput();
            return await CopyAsync(body, stdout, cancellationToken).ConfigureAwait(false);
        }

        await using var output = OctetsOutput.Open(settings.OctetsOut!);
        long n = await CopyAsync(body, output.Stream, cancellationToken).ConfigureAwait(false);
        await output.CommitAsync(cancellationToken).ConfigureAwait(false);
        return n;
    }

    private static async Task<byte[]?> ReadJsonBodyAsync(CallSettings settings, CancellationToken cancellationToken)
    {
        switch (settings.Body)
        {
            case BodySource.JsonText:
                return JsonBodies.ToRequestBody(System.Text.Encoding.UTF8.GetBytes(settings.BodyArgument!), "--json");
            case BodySource.JsonFile:
                return JsonBodies.ToRequestBody(await File.ReadAllBytesAsync(settings.BodyArgument!, cancellationToken).ConfigureAwait(false),
                    $"--json-file {settings.BodyArgument}");
            case BodySource.JsonStdin:
                {
                    using var buffer = new MemoryStream();
                    await using (var stdin = Console.OpenStandardInput())
                    {
                        await stdin.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
                    }
                    return JsonBodies.ToRequestBody(buffer.ToArray(), "the JSON on stdin");
                }
            default:
                return null;
        }
    }

    // The next chunk is read while the last one is written: a file write is a thread-pool hop on Unix.
    private static Task<long> CopyAsync(Stream from, Stream to, CancellationToken cancellationToken)
        => Zrpc.IO.OverlappedCopy.CopyAsync(from, to, cancellationToken, CopyChunk);

    private static void ReportChildStderr(Stream? connection, CallSettings settings)
    {
        // With -v the child's stderr was already shown live.
        if (settings.Verbose || connection is not ProcessStream process) return;
        string text = process.StandardErrorText;
        if (text.Length > 0) Console.Error.Write($"zrpc call: stderr of '{settings.Address}':\n{text}{(text.EndsWith('\n') ? "" : "\n")}");
    }
}
