using Zrpc.Spec;
using System.Text;
using Zrpc.Frames;
using Zrpc.Messages;
using Zrpc.Rpc;

namespace Zrpc.Cli;

/// <summary>
/// One request/response exchange with raw headers and bodies, so any endpoint of any server can be
/// called without knowing its types. The request is sent while the response is awaited: a server
/// that answers early with an error status (SRV-1..SRV-4) is reported even if it stops reading.
/// </summary>
internal sealed class RawCall
{
    private readonly MessageReader _reader;
    private readonly MessageWriter _writer;

    public RawCall(Stream connection, TimeSpan readTimeout)
    {
        // The same bounds as the server's: the whole response header within the read timeout of
        // its first byte (a 69-byte header trickled over 69 s is refused), and runs of empty frames
        // bounded (MSG-7), so a hostile server cannot hold the call with frames that carry nothing.
        _reader = new MessageReader(new FrameReader(connection) { ReadTimeout = readTimeout }) { HeaderMessageTimeout = readTimeout };
        _writer = new MessageWriter(new FrameWriter(connection));
    }

    /// <summary>
    /// Sends the request (RPC-1) and returns the checked response header (CLI-2, CLI-3). For OK the
    /// body is the returned <see cref="RawResponse.Body"/>, to be read to its end (CLI-4).
    /// </summary>
    public async Task<RawResponse> ExchangeAsync(RpcHeader request, Func<Stream, CancellationToken, Task> writeBody, CancellationToken cancellationToken)
    {
        var sending = Task.Run(() => SendAsync(request, writeBody, cancellationToken), CancellationToken.None);
        ReadOnlyMemory<byte>? headerBytes;
        try
        {
            headerBytes = await _reader.ReadHeaderMessageAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // The send may have failed first and caused this; report the send's error if it has one.
            await ThrowIfFaultedAsync(sending).ConfigureAwait(false);
            throw;
        }

        if (headerBytes is null)
        {
            await ThrowIfFaultedAsync(sending).ConfigureAwait(false);
            throw new ProtocolException(RequirementId.Conn3, _reader.ResetReceived
                ? "the server reset the connection (RST) instead of answering"
                : "the server closed the connection without answering");
        }

        var header = RpcHeader.Parse(headerBytes.Value.Span);
        var response = new RawResponse(header, Encoding.UTF8.GetString(headerBytes.Value.Span).TrimEnd('\n'), sending);
        if (header.Error == (ulong)Status.Unset)
            throw new ProtocolException(RequirementId.Cli2, $"the response status is 0 (unset), which is not a valid response: {response.HeaderText}");
        if (header.Error != (ulong)Status.Ok) return response; // no body follows (RPC-3, CLI-1)
        if (header.DataType != request.Accept)
            throw new ProtocolException(RequirementId.Cli3,
                $"the OK response carries DataType {header.DataType} but the request asked for Accept {request.Accept}");

        response.Body = _reader.OpenDataMessage();
        return response;
    }

    /// <summary>Profile fa4d209: the client's side of the Close handshake (FACLI-1 .. FACLI-4); see <see cref="CloseHandshake.ClientCloseAsync"/>.</summary>
    public Task CloseAsync(TimeSpan wait, CancellationToken cancellationToken)
        => CloseHandshake.ClientCloseAsync(_reader, _writer, wait, cancellationToken);

    private async Task SendAsync(RpcHeader request, Func<Stream, CancellationToken, Task> writeBody, CancellationToken cancellationToken)
    {
        await _writer.WriteHeaderMessageAsync(request.ToCanonicalBytes(), cancellationToken).ConfigureAwait(false);
        var body = _writer.OpenDataMessage();
        await writeBody(body, cancellationToken).ConfigureAwait(false);
        await body.CompleteAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task ThrowIfFaultedAsync(Task sending)
    {
        if (sending.IsFaulted) await sending.ConfigureAwait(false);
    }
}

/// <summary>A response header as received, and its body when the status is OK.</summary>
internal sealed class RawResponse(RpcHeader header, string headerText, Task requestSent)
{
    public RpcHeader Header { get; } = header;

    /// <summary>The header's JSON as it came over the wire (for -v).</summary>
    public string HeaderText { get; } = headerText;

    /// <summary>Completes when the whole request body has been sent.</summary>
    public Task RequestSent { get; } = requestSent;

    /// <summary>The response body (only for status OK); reads return 0 only after its end frame.</summary>
    public Stream? Body { get; set; }
}
