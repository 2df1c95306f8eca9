using System.Buffers;
using System.Text.Json;
using Zrpc.Frames;
using Zrpc.Messages;

namespace Zrpc.Rpc;

/// <summary>
/// Client side of one connection: one exchange at a time (RPC-10 without pipelining). A
/// <see cref="Stream"/> response must be read to its end or disposed before the next call; a
/// call made earlier fails with <see cref="InvalidOperationException"/>. Any protocol error,
/// timeout or cancellation ends the connection; later calls fail.
/// </summary>
public sealed partial class RpcClient : IRpcClient
{
    private readonly Stream _connection;
    private readonly RpcClientOptions _options;
    private readonly FrameReader _frameReader;
    private readonly FrameWriter _frameWriter;
    private readonly MessageReader _reader;
    private readonly MessageWriter _writer;
    private readonly RpcClientHooks _hooks;
    private int _inCall;
    private CancellationTokenSource? _callTimeout;
    private volatile bool _ended;
    private bool _disposed;

    public RpcClient(Stream connection)
        : this(connection, new RpcClientOptions())
    {
    }

    public RpcClient(Stream connection, RpcClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(connection);
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _hooks = options.Hooks;
        connection = _hooks.WrapConnection(connection);
        _connection = connection;
        var frameReader = new FrameReader(connection, FrameReader.ConnectionReadAhead) { ReadTimeout = options.ReadTimeout };
        _frameReader = frameReader;
        _frameWriter = new FrameWriter(connection);
        // The whole response header within the read timeout of its first byte, as the server
        // bounds a request header: a trickling or endless header must not hold a call for ever (CONN-5).
        _reader = new MessageReader(frameReader) { HeaderMessageTimeout = options.ReadTimeout };
        _writer = new MessageWriter(_frameWriter);
    }

    /// <summary>True once the connection has been ended (error, timeout, RST or dispose).</summary>
    public bool IsEnded => _ended;

    public async Task<TResponse> CallAsync<TRequest, TResponse>(string endpoint, TRequest request, CancellationToken ct)
    {
        DataType accept = RpcJson.DataTypeOf(typeof(TResponse));
        RpcResponse response;
        if (RpcJson.IsOctets(typeof(TRequest)))
        {
            response = await CallRawAsync(endpoint, DataType.Octets, accept, (Stream?)(object?)request ?? Stream.Null, ct).ConfigureAwait(false);
        }
        else
        {
            byte[] json = RpcJson.Serialize(request, typeof(TRequest));
            response = await CallRawAsync(endpoint, DataType.MarshaledJson, accept, json, ct).ConfigureAwait(false);
        }

        if (!response.IsOk)
        {
            throw new RpcStatusException((Status)response.Header.Error, response.Header.ErrorMessage); // CLI-1
        }

        if (accept == DataType.Octets)
        {
            return (TResponse)(object)response.Body;
        }

        var buffered = (MemoryStream)response.Body;
        try
        {
            return (TResponse)RpcJson.Deserialize(buffered.GetBuffer().AsSpan(0, (int)buffered.Length), typeof(TResponse))!;
        }
        catch (JsonException ex)
        {
            throw new ProtocolException(RequirementId.Rpc7, $"cannot decode the MarshaledJSON response body of {endpoint}: {ex.Message}", ex);
        }
    }

    /// <summary>Sends a request with an Octets (or any streamed) body; see <see cref="CallRawAsync(string, DataType, DataType, ReadOnlyMemory{byte}, CancellationToken)"/>.</summary>
    public Task<RpcResponse> CallRawAsync(string endpoint, DataType body, DataType accept, Stream requestBody, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(requestBody);
        return CallCoreAsync(endpoint, body, accept, requestBody, default, ct);
    }

    /// <summary>
    /// Sends one request with the given header values and body bytes, exactly as given. Returns the
    /// response header whatever its status (a non-OK response has an empty body); status 0 (CLI-2),
    /// an OK DataType different from <paramref name="accept"/> (CLI-3) and broken bodies (CLI-4)
    /// throw <see cref="ProtocolException"/> and end the connection. A MarshaledJSON (or None)
    /// response body is read whole within the call timeout; an Octets body is streamed.
    /// </summary>
    public Task<RpcResponse> CallRawAsync(string endpoint, DataType body, DataType accept, ReadOnlyMemory<byte> requestBody, CancellationToken ct)
        => CallCoreAsync(endpoint, body, accept, null, requestBody, ct);

    private async Task<RpcResponse> CallCoreAsync(string endpoint, DataType body, DataType accept, Stream? octets, ReadOnlyMemory<byte> bytes, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        byte[] header = new RpcHeader(endpoint, _options.Profile.Wire(body), _options.Profile.Wire(accept), 0, "").ToCanonicalBytes();
        if (header.Length > FrameLimits.MaxHeaderMessage)
        {
            header = _hooks.RequestHeaderOverLimit(header, endpoint);
        }

        EnterCall();
        bool handedOut = false;
        // One timeout source per client, re-armed per call (calls never overlap): a linked source
        // and its timer per call are a good part of a small call's allocation.
        var timeout = _callTimeout is not null && _callTimeout.TryReset() ? _callTimeout : (_callTimeout = new CancellationTokenSource());
        var link = ct.CanBeCanceled ? ct.UnsafeRegister(static s => ((CancellationTokenSource)s!).Cancel(), timeout) : default;
        try
        {
            // Bytes left over from the previous response answer no request of ours (CLI-5).
            // Only what the read-ahead already holds is seen; a later arrival is caught as a
            // mismatched next response at best, which is why CLI-5 is a SHOULD.
            if (_frameReader.BufferedCount > 0)
            {
                throw new ProtocolException(RequirementId.Cli5, $"the server sent {_frameReader.BufferedCount} bytes while no request was outstanding");
            }

            if (octets is not null)
            {
                await _writer.WriteHeaderMessageAsync(header, ct).ConfigureAwait(false);
                await SendOctetsAsync(octets, ct).ConfigureAwait(false);
            }
            else
            {
                // Header and a small body in one write: one segment per request.
                await _writer.WriteHeaderAndDataMessageAsync(header, bytes, ct).ConfigureAwait(false);
            }

            if (_options.CallTimeout != Timeout.InfiniteTimeSpan)
            {
                timeout.CancelAfter(_options.CallTimeout);
            }

            var responseBytes = await _reader.ReadHeaderMessageAsync(timeout.Token).ConfigureAwait(false);
            if (responseBytes is null)
            {
                if (_reader.ResetReceived)
                {
                    throw new ConnectionResetException("the server reset the connection instead of responding");
                }

                throw new ProtocolException(RequirementId.Cli4, "the server closed the connection instead of responding");
            }

            var response = _hooks.ParseResponseHeader(responseBytes.Value.Span, accept);
            if (response.Error == (ulong)Status.Unset)
            {
                throw new ProtocolException(RequirementId.Cli2, "the response status is 0 (unset)");
            }

            if (response.Error != (ulong)Status.Ok)
            {
                // No body follows an error response (RPC-3/RPC-6).
                return new RpcResponse(response, Stream.Null);
            }

            if (response.DataType != _options.Profile.Wire(accept))
            {
                throw new ProtocolException(RequirementId.Cli3, $"the OK response has DataType {response.DataType}, but the request's Accept was {_options.Profile.Wire(accept)}");
            }

            var data = _reader.OpenDataMessageStream();
            if (accept == DataType.Octets)
            {
                handedOut = true;
                return new RpcResponse(response, new ResponseBodyStream(this, data));
            }

            return new RpcResponse(response, await ReadWholeBodyAsync(data, timeout.Token).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            await EndConnectionAsync(sendRst: true).ConfigureAwait(false);
            throw new TimeoutException($"no complete response to {endpoint} within {_options.CallTimeout} (CLI-6); the connection was ended");
        }
        catch (ConnectionResetException)
        {
            await EndConnectionAsync(sendRst: false).ConfigureAwait(false);
            throw;
        }
        catch
        {
            await EndConnectionAsync(sendRst: true).ConfigureAwait(false);
            throw;
        }
        finally
        {
            link.Dispose();
            if (_options.CallTimeout != Timeout.InfiniteTimeSpan)
            {
                // Disarm: an idle client must not be cancelled later by a timer of a finished call.
                timeout.CancelAfter(Timeout.InfiniteTimeSpan);
            }

            if (!handedOut)
            {
                ExitCall();
            }
        }
    }

    private async Task SendOctetsAsync(Stream source, CancellationToken ct)
    {
        var message = _writer.OpenDataMessage();
        try
        {
            // Read straight into the frame buffer: no copy between the source's bytes and the socket.
            await message.CopyFromAsync(source, ct).ConfigureAwait(false);
            await message.CompleteAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            // Without completion no end flag is sent; the caller ends the connection.
            message.Abort();
        }
    }

    private async Task<MemoryStream> ReadWholeBodyAsync(DataMessageReadStream data, CancellationToken ct)
    {
        var buffer = new MemoryStream();
        byte[] chunk = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            int n;
            while ((n = await data.ReadAsync(chunk, ct).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + n > _options.MaxJsonBody)
                {
                    throw new LocalLimitException($"the response body exceeds the client's {_options.MaxJsonBody}-byte limit for MarshaledJSON (RpcClientOptions.MaxJsonBody)");
                }

                buffer.Write(chunk, 0, n);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }

        buffer.Position = 0;
        return buffer;
    }

    private void EnterCall()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_ended)
        {
            throw new InvalidOperationException("the connection has ended; create a new client");
        }

        if (Interlocked.CompareExchange(ref _inCall, 1, 0) != 0)
        {
            throw new InvalidOperationException("a call is in progress on this connection: read the previous response stream to its end or dispose it before the next call");
        }
    }

    private void ExitCall() => Volatile.Write(ref _inCall, 0);

    private async Task EndConnectionAsync(bool sendRst)
    {
        if (_ended)
        {
            return;
        }

        _ended = true;
        if (sendRst)
        {
            try
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await _frameWriter.WriteRstAsync(cts.Token).ConfigureAwait(false);
            }
            catch
            {
                // Closing alone is conforming too (CONN-1).
            }
        }

        try
        {
            await _connection.DisposeAsync().ConfigureAwait(false);
        }
        catch
        {
            // Nothing more to do with a dead connection.
        }

        _frameReader.Dispose();
    }

    /// <summary>
    /// Ends the connection as the profile says (<see cref="CloseAsync"/>), without reporting a
    /// failed Close handshake.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        try
        {
            await CloseAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The connection is closed in any case; only CloseAsync's caller learns why the handshake failed.
        }
        finally
        {
            _disposed = true;
        }
    }
}
