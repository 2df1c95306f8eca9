using Zrpc.Frames;
using Zrpc.Messages;

namespace Zrpc.Rpc;

/// <summary>
/// The control requests and the Close handshake of profile fa4d209 (spec/profile-fa4d209.md,
/// sections 4 to 7), for both roles. The 6ab05ee profile has neither.
/// </summary>
internal static class CloseHandshake
{
    /// <summary>The only control endpoint (FARPC-4).</summary>
    public const string CloseEndpoint = "Close";

    /// <summary>How long the released client (zrepl 0.0.3) waits for the Close answer (FACLI-2).</summary>
    public static readonly TimeSpan AnswerWait = TimeSpan.FromSeconds(1);

    /// <summary>How long the released server (zrepl 0.0.3) waits after its RST for the client (FACONN-2, FACONN-3).</summary>
    public static readonly TimeSpan HangupWait = TimeSpan.FromSeconds(1);

    /// <summary>The Close request header (FARPC-2): Endpoint "Close", DataType 2, Accept 2.</summary>
    public static RpcHeader CloseRequest { get; } = new(CloseEndpoint, Profiles.Fa4d209Control, Profiles.Fa4d209Control, 0, "");

    /// <summary>The OK answer to Close (FASRV-3, FARPC-3): DataType 2, no body.</summary>
    public static RpcHeader CloseAnswer { get; } = new("", Profiles.Fa4d209Control, 0, (ulong)Status.Ok, "");

    /// <summary>Whether a request header is a control request of <paramref name="profile"/>: DataType 2 in fa4d209 (FASRV-1).</summary>
    public static bool IsControlRequest(Profile profile, RpcHeader header)
        => profile == Profile.Fa4d209 && header.DataType == Profiles.Fa4d209Control;

    /// <summary>
    /// The answer to a control request and whether the server stops serving after it: Close gets
    /// the OK Control answer (FASRV-3); any other name RequestError (FASRV-2). Accept is ignored.
    /// </summary>
    public static (RpcHeader Answer, bool Close) Answer(RpcHeader request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return string.Equals(request.Endpoint, CloseEndpoint, StringComparison.Ordinal) // RPC-12
            ? (CloseAnswer, true)
            : (RpcHeader.Failure(Status.RequestError, $"unregistered control endpoint {request.Endpoint}"), false);
    }

    /// <summary>
    /// The server's side of teardown in profile fa4d209: RST unless one was sent already
    /// (FACONN-1), then wait up to <paramref name="wait"/> for the client's first byte or end of
    /// stream (FACONN-3). The caller closes the connection afterwards (FACONN-2). Never throws.
    /// </summary>
    public static async Task ServerTeardownAsync(FrameWriter writer, FrameReader reader, TimeSpan wait)
        => await ServerTeardownAsync(writer, reader, null, wait).ConfigureAwait(false);

    /// <summary>
    /// As <see cref="ServerTeardownAsync(FrameWriter, FrameReader, TimeSpan)"/>; after a protocol
    /// error has broken <paramref name="reader"/>, the wait reads one byte from
    /// <paramref name="connection"/> instead, as the released server does.
    /// </summary>
    public static async Task ServerTeardownAsync(FrameWriter writer, FrameReader reader, Stream? connection, TimeSpan wait)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(reader);
        if (!writer.ResetSent)
        {
            try
            {
                using var rstTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await writer.WriteRstAsync(rstTimeout.Token).ConfigureAwait(false);
            }
            catch
            {
                return; // the connection no longer takes writes: nothing to wait for
            }
        }

        if (wait <= TimeSpan.Zero)
        {
            return;
        }

        if (reader.BufferedCount > 0)
        {
            return; // the client has sent something already
        }

        using var waitTimeout = new CancellationTokenSource(wait);
        Task read;
        try
        {
            // The client's RST arrives as one 6-byte frame header, so waiting for a frame header is
            // waiting for its first byte; end of stream returns at once. The released server does
            // not look at what arrives, and neither does this.
            read = reader.ReadHeaderAsync(waitTimeout.Token).AsTask();
            if (read.IsFaulted && connection is not null)
            {
                // A reader broken by a protocol error (or stopped inside a frame) refuses to read;
                // one byte straight from the connection serves the same purpose.
                _ = read.Exception;
                read = connection.ReadAsync(new byte[1], waitTimeout.Token).AsTask();
            }
        }
        catch
        {
            return;
        }

        // Some transports (a process's stdin) ignore cancellation: the delay bounds the wait
        // (FACONN-2), and closing the connection afterwards ends the read.
        await Task.WhenAny(read, Task.Delay(wait, CancellationToken.None)).ConfigureAwait(false);
        _ = read.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
    }

    /// <summary>
    /// The client's side of the Close handshake (FACLI-1 to FACLI-4): sends the Close request,
    /// reads the answer within <paramref name="wait"/> and, if it is the OK Control answer, sends
    /// RST. The caller closes the connection afterwards in every case. Throws
    /// <see cref="RpcStatusException"/> for a non-OK answer, <see cref="ProtocolException"/> for an
    /// OK answer with another DataType (CLI-3), <see cref="TimeoutException"/> when no answer came
    /// in time, <see cref="ConnectionResetException"/> for an RST instead of the answer.
    /// </summary>
    public static async Task ClientCloseAsync(MessageReader reader, MessageWriter writer, TimeSpan wait, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(writer);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        if (wait != Timeout.InfiniteTimeSpan)
        {
            timeout.CancelAfter(wait);
        }

        ReadOnlyMemory<byte>? answerBytes;
        try
        {
            await writer.WriteHeaderMessageAsync(CloseRequest.ToCanonicalBytes(), timeout.Token).ConfigureAwait(false); // FARPC-2: no Data message
            answerBytes = await reader.ReadHeaderMessageAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            throw new TimeoutException($"no answer to the Close request within {wait.TotalSeconds:0.###} s (FACLI-2)");
        }

        if (answerBytes is null)
        {
            if (reader.ResetReceived)
            {
                throw new ConnectionResetException("the server reset the connection instead of answering Close");
            }

            throw new ProtocolException(RequirementId.Facli4, "the server closed the connection instead of answering Close");
        }

        var answer = RpcHeader.Parse(answerBytes.Value.Span);
        if (answer.Error == (ulong)Status.Unset)
        {
            throw new ProtocolException(RequirementId.Cli2, "the Close answer has status 0 (unset)");
        }

        if (answer.Error != (ulong)Status.Ok)
        {
            throw new RpcStatusException((Status)answer.Error, answer.ErrorMessage); // FACLI-4: a failed close
        }

        if (answer.DataType != Profiles.Fa4d209Control)
        {
            throw new ProtocolException(RequirementId.Cli3, $"the OK Close answer has DataType {answer.DataType}, not 2 (Control) as FACLI-4 requires");
        }

        // FACLI-3: RST after the answer; whatever the server sends next (its own RST) stays unread.
        using var rstTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await writer.Frames.WriteRstAsync(rstTimeout.Token).ConfigureAwait(false);
    }
}
