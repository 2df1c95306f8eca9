using System.Buffers;
using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text.Json;
using Zrpc.Frames;
using Zrpc.Messages;
using Zrpc.Transport;

namespace Zrpc.Rpc;

/// <summary>
/// Serves registered endpoints. Each connection is served on its own, one request at a time
/// (RPC-10); every peer misbehaviour ends only that connection (TRANS-2) and is logged, never thrown.
/// </summary>
public sealed class RpcServer
{
    private readonly ConcurrentDictionary<string, Endpoint> _endpoints = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<long, ServerConnection> _open = new();
    private long _connectionCounter;
    private long _jsonBytesInUse;
    private long _jsonPeak;
    private long _jsonCallsInFlight;
    private long _lastTrim;

    /// <summary>How long a connection must have been idle before it may be closed to make room at the connection limit.</summary>
    internal static readonly TimeSpan MinIdleToMakeRoom = TimeSpan.FromSeconds(1);

    /// <summary>JSON request bodies of at least this size are not taken from the shared pool, which would keep them.</summary>
    private const int PooledJsonLimit = 1024 * 1024;

    /// <summary>A peak of buffered JSON above this is given back to the system once the bodies are gone.</summary>
    private const long TrimAfterPeak = 64L * 1024 * 1024;

    /// <summary>Bytes held by MarshaledJSON request bodies being decoded, over all connections.</summary>
    public long JsonBytesInUse => Interlocked.Read(ref _jsonBytesInUse);

    public RpcServer()
        : this(new RpcServerOptions())
    {
    }

    public RpcServer(RpcServerOptions options)
    {
        Options = options ?? throw new ArgumentNullException(nameof(options));
    }

    public RpcServerOptions Options { get; }

    public IReadOnlyCollection<string> EndpointNames => _endpoints.Keys.ToArray();

    /// <summary>
    /// Registers a handler. A <see cref="Stream"/> request type means an Octets request body, a
    /// <see cref="Stream"/> response type an Octets response body; any other type is MarshaledJSON.
    /// </summary>
    public void Register<TRequest, TResponse>(string name, Func<TRequest, CancellationToken, Task<TResponse>> handler)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(handler);
        var endpoint = new Endpoint(name, typeof(TRequest), typeof(TResponse),
            async (request, ct) => await handler((TRequest)request!, ct).ConfigureAwait(false));
        if (!_endpoints.TryAdd(name, endpoint))
        {
            throw new InvalidOperationException($"already set up an endpoint for '{name}'");
        }
    }

    internal bool TryGetEndpoint(string name, out Endpoint endpoint) => _endpoints.TryGetValue(name, out endpoint!);

    /// <summary>
    /// Accepts connections until the listener has no more (or <paramref name="ct"/> fires) and
    /// serves them concurrently (TRANS-3), at most <see cref="RpcServerOptions.MaxConnections"/> at
    /// once. When <paramref name="ct"/> fires it shuts down gracefully: it stops accepting, closes
    /// idle connections, lets calls in flight finish within <see cref="RpcServerOptions.ShutdownGrace"/>,
    /// then ends the rest with RST (CONN-1). Returns once every connection has ended.
    /// </summary>
    public async Task ServeAsync(IConnectionListener listener, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(listener);
        var running = new ConcurrentDictionary<Task, byte>();
        using var hard = new CancellationTokenSource();
        // One timer for the whole server: send timeouts (CONN-8) and giving memory back after peaks.
        var sweepEvery = Options.SendTimeout == Timeout.InfiniteTimeSpan
            ? TimeSpan.FromSeconds(1)
            : TimeSpan.FromTicks(Math.Clamp(Options.SendTimeout.Ticks / 4, TimeSpan.FromMilliseconds(50).Ticks, TimeSpan.FromSeconds(1).Ticks));
        await using var sweeper = new Timer(_ => Sweep(), null, sweepEvery, sweepEvery);
        try
        {
            while (!ct.IsCancellationRequested)
            {
                Stream? connection;
                try
                {
                    connection = await listener.AcceptAsync(ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    break;
                }
                catch (Exception ex)
                {
                    Log($"accept failed: {ex.Message}");
                    break;
                }

                if (connection is null)
                {
                    break;
                }

                if (running.Count >= Options.MaxConnections && !MakeRoom())
                {
                    Log($"connection limit of {Options.MaxConnections} reached and no connection is idle: closing a new connection at once");
                    await connection.DisposeAsync().ConfigureAwait(false);
                    continue;
                }

                var task = Options.ThreadPerConnection && connection is NetworkStream network
                    ? OwnThread.Run(() => ServeConnectionCoreAsync(new BlockingSocketStream(network.Socket), hard.Token, ct), "zrpc connection")
                    : Task.Run(() => ServeConnectionCoreAsync(connection, hard.Token, ct), CancellationToken.None);
                running.TryAdd(task, 0);
                _ = task.ContinueWith(t => running.TryRemove(t, out _), TaskScheduler.Default);
            }
        }
        finally
        {
            var all = Task.WhenAll(running.Keys);
            if (!all.IsCompleted)
            {
                Log($"shutting down: {running.Count} connection(s) open; calls in flight get {Options.ShutdownGrace.TotalSeconds:0.#} s");
                if (await Task.WhenAny(all, Task.Delay(Options.ShutdownGrace, CancellationToken.None)).ConfigureAwait(false) != all)
                {
                    Log("shutdown grace over: ending the remaining connections (RST, close)");
                    await hard.CancelAsync().ConfigureAwait(false);
                }
            }

            await all.ConfigureAwait(false);
        }
    }

    /// <summary>
    /// At the connection limit: closes the connection idle longest (CONN-6), so that silent or idle
    /// connections cannot keep new clients out. False when every connection is inside a request.
    /// </summary>
    private bool MakeRoom()
    {
        ServerConnection? oldest = null;
        // A client between two calls is idle for a moment only; it is not what fills the slots.
        long idleBefore = System.Diagnostics.Stopwatch.GetTimestamp() - (long)(MinIdleToMakeRoom.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
        foreach (var open in _open.Values)
        {
            if (open.Evictable && Volatile.Read(ref open.IdleSince) < idleBefore && (oldest is null || Volatile.Read(ref open.IdleSince) < Volatile.Read(ref oldest.IdleSince)))
            {
                oldest = open;
            }
        }

        if (oldest is null || !oldest.CloseToMakeRoom())
        {
            return false;
        }

        Log($"connection limit of {Options.MaxConnections} reached: closing connection {oldest.Id}, idle longest, for a new one");
        return true;
    }

    private void Sweep()
    {
        long now = System.Diagnostics.Stopwatch.GetTimestamp();
        if (Options.SendTimeout != Timeout.InfiniteTimeSpan)
        {
            long limit = (long)(Options.SendTimeout.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
            foreach (var open in _open.Values)
            {
                long since = Volatile.Read(ref open.WriteSince);
                if (since != 0 && now - since > limit)
                {
                    open.CloseForSendTimeout();
                }
            }
        }

        // After a peak of large JSON bodies the runtime keeps the memory for reuse; once they are
        // all gone, a compacting collection returns it to the system (at most every 30 s). Gone
        // means no JSON call in flight, not merely no body being decoded: the decoded value and
        // its answer outlive the decode buffer, and a collection while they live would leave them
        // behind until some later full collection, which on an idle server never comes.
        if (Interlocked.Read(ref _jsonCallsInFlight) == 0 && Interlocked.Read(ref _jsonPeak) >= TrimAfterPeak
            && now - Interlocked.Read(ref _lastTrim) > 30 * System.Diagnostics.Stopwatch.Frequency)
        {
            Interlocked.Exchange(ref _jsonPeak, 0);
            Interlocked.Exchange(ref _lastTrim, now);
            GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        }
    }

    /// <summary>Takes <paramref name="bytes"/> from the server-wide JSON budget; false when it would go past it.</summary>
    private bool ReserveJson(long bytes)
    {
        long total = Interlocked.Add(ref _jsonBytesInUse, bytes);
        if (total > Options.MaxJsonBodiesTotal)
        {
            Interlocked.Add(ref _jsonBytesInUse, -bytes);
            return false;
        }

        long peak;
        while (total > (peak = Interlocked.Read(ref _jsonPeak)) && Interlocked.CompareExchange(ref _jsonPeak, total, peak) != peak)
        {
        }

        return true;
    }

    private void ReleaseJson(long bytes) => Interlocked.Add(ref _jsonBytesInUse, -bytes);

    /// <summary>
    /// Serves one connection until end of stream, RST or a protocol error, then disposes it. Never
    /// throws for peer misbehaviour; cancellation ends the connection quietly.
    /// </summary>
    public Task ServeConnectionAsync(Stream connection, CancellationToken ct) =>
        ServeConnectionCoreAsync(connection, ct, CancellationToken.None);

    /// <param name="ct">Ends the connection at once (with RST if a call is in flight).</param>
    /// <param name="stopping">Graceful stop: close now if idle, else after the current call.</param>
    private async Task ServeConnectionCoreAsync(Stream connection, CancellationToken ct, CancellationToken stopping)
    {
        ArgumentNullException.ThrowIfNull(connection);
        long id = Interlocked.Increment(ref _connectionCounter);
        Log($"connection {id}: open");
        connection = Options.Hooks.WrapConnection(connection);
        var frameReader = new FrameReader(connection, FrameReader.ConnectionReadAhead)
        {
            ReadTimeout = Options.ReadTimeout,
            IdleTimeout = Shorter(Options.FirstRequestTimeout, Options.IdleTimeout),
        };
        var open = new ServerConnection(id, connection, frameReader);
        var frameWriter = new FrameWriter(new SendWatchStream(connection, open));
        var requests = new MessageReader(frameReader) { HeaderMessageTimeout = Options.ReadTimeout };
        var session = new ServerSession(this, open, requests, new MessageWriter(frameWriter));
        var raw = connection;
        _open[id] = open;
        // An idle connection is closed the moment a graceful stop begins; a busy one finishes its call.
        using var onStop = stopping.Register(() =>
        {
            if (!session.InRequest)
            {
                raw.Dispose();
            }
        });
        try
        {
            bool first = true;
            while (!stopping.IsCancellationRequested && await session.ServeRequestAsync(ct).ConfigureAwait(false))
            {
                if (first)
                {
                    frameReader.IdleTimeout = Options.IdleTimeout;
                    first = false;
                }
            }

            Log(stopping.IsCancellationRequested ? $"connection {id}: closed by shutdown" : $"connection {id}: closed by peer");
        }
        catch (Exception) when (open.ClosedBecause is { } reason)
        {
            Log($"connection {id}: {reason}");
        }
        catch (IdleTimeoutException ex) when (session.RequestsServed == 0 && frameReader.IdleTimeout == Options.FirstRequestTimeout)
        {
            Log($"connection {id}: no request within {Options.FirstRequestTimeout.TotalSeconds:0.###} s of connecting (CONN-7); closing");
            _ = ex;
        }
        catch (IdleTimeoutException ex)
        {
            Log($"connection {id}: {ex.Message}; closing");
        }
        catch (Exception) when (stopping.IsCancellationRequested && !session.InRequest && !ct.IsCancellationRequested)
        {
            Log($"connection {id}: idle at shutdown; closed");
        }
        catch (ConnectionResetException ex)
        {
            Log($"connection {id}: {ex.Message}; closing");
        }
        catch (ProtocolException ex)
        {
            Log($"connection {id}: protocol error [{ex.RequirementId}]: {ex.Message}; sending RST and closing (CONN-1)");
            await TrySendRstAsync(frameWriter).ConfigureAwait(false);
        }
        catch (HandlerStreamException ex)
        {
            Log($"connection {id}: response body failed after the OK header: {ex.InnerException?.Message}; sending RST and closing (SRV-11)");
            await TrySendRstAsync(frameWriter).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            Log($"connection {id}: server shutting down; sending RST and closing (CONN-1)");
            await TrySendRstAsync(frameWriter).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Log($"connection {id}: I/O failure: {ex.GetType().Name}: {ex.Message}; closing");
        }
        finally
        {
            if (Options.Profile == Profile.Fa4d209)
            {
                await CloseHandshake.ServerTeardownAsync(frameWriter, frameReader, connection, Options.HangupWait).ConfigureAwait(false); // FACONN-1..3
            }

            try
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                Log($"connection {id}: error while closing: {ex.Message}");
            }

            frameReader.Dispose();
            _open.TryRemove(id, out _);
            Log($"connection {id}: closed");
        }
    }

    private static TimeSpan Shorter(TimeSpan a, TimeSpan b) =>
        a == Timeout.InfiniteTimeSpan ? b : b == Timeout.InfiniteTimeSpan ? a : a < b ? a : b;

    internal void Log(string line)
    {
        var log = Options.Log;
        if (log is null)
        {
            return;
        }

        try
        {
            // Peers put text into many of these lines (endpoint names, messages): one line stays one line.
            log(LogText.Clean(line, LogText.MaxLineChars, escapeBackslash: false));
        }
        catch
        {
            // A broken log sink must not take connections down.
        }
    }

    private static async Task TrySendRstAsync(FrameWriter writer)
    {
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await writer.WriteRstAsync(cts.Token).ConfigureAwait(false);
        }
        catch
        {
            // Best effort (CONN-1: closing alone is conforming too).
        }
    }

    /// <summary>The handler's Octets response stream failed after the OK header went out (SRV-11).</summary>
    internal sealed class HandlerStreamException(Exception inner) : Exception("the handler's response stream failed", inner);

    /// <summary>
    /// A hostile body can nest far deeper than any real request; checking the depth with a
    /// token scan first bounds the decoder's work and stack.
    /// </summary>
    private static bool TooDeep(ReadOnlySpan<byte> json, int maxDepth)
    {
        if (json.Length <= maxDepth)
        {
            return false; // every level takes at least one byte
        }

        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = int.MaxValue, AllowTrailingCommas = false });
        try
        {
            while (reader.Read())
            {
                if (reader.CurrentDepth >= maxDepth)
                {
                    return true;
                }
            }
        }
        catch (JsonException)
        {
            // Malformed JSON is the decoder's to report, with its own message.
        }

        return false;
    }

    /// <summary>
    /// The first string of <paramref name="json"/> (as written, quoted) with an escaped surrogate
    /// that is not part of a pair (\uD800), or null. Such a string decodes to no valid text, and the
    /// decoder would let it through to fail only when the response is encoded: a client's bad
    /// body reported as the server's fault (RPC-13).
    /// </summary>
    private static string? LoneSurrogateEscape(ReadOnlySpan<byte> json)
    {
        if (json.IndexOf("\\u"u8) < 0)
        {
            return null; // no \u escape at all: the common case costs one scan
        }

        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = int.MaxValue });
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType is JsonTokenType.String or JsonTokenType.PropertyName && reader.ValueIsEscaped)
                {
                    try
                    {
                        reader.GetString();
                    }
                    catch (InvalidOperationException)
                    {
                        return Quoted(reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan);
                    }
                }
            }
        }
        catch (JsonException)
        {
            // Malformed JSON is the decoder's to report, with its own message.
        }

        return null;
    }

    private static string Quoted(ReadOnlySpan<byte> raw) =>
        "\"" + System.Text.Encoding.UTF8.GetString(raw.Length <= 40 ? raw : raw[..40]) + (raw.Length <= 40 ? "\"" : "…\"");

    /// <summary>The state of one connection: reads a request, answers it.</summary>
    private sealed class ServerSession(RpcServer server, ServerConnection open, MessageReader reader, MessageWriter writer)
    {
        private readonly long id = open.Id;

        /// <summary>Requests whose header was read on this connection.</summary>
        public int RequestsServed { get; private set; }

        private static readonly byte[] OkJsonHeader = RpcHeader.Ok(DataType.MarshaledJson).ToCanonicalBytes();

        /// <summary>True from a request's header until its response is out; false while idle between requests.</summary>
        public bool InRequest => Volatile.Read(ref _inRequest);

        private bool _inRequest;

        /// <summary>The request being served has a MarshaledJSON body and is counted in the server's JSON calls in flight.</summary>
        private bool _jsonCall;

        /// <summary>Serves one request; false when the peer ended the connection at a request boundary (CONN-3).</summary>
        public async Task<bool> ServeRequestAsync(CancellationToken ct)
        {
            var headerBytes = await reader.ReadHeaderMessageAsync(ct).ConfigureAwait(false);
            if (headerBytes is null)
            {
                if (reader.ResetReceived)
                {
                    server.Log($"connection {id}: RST at a request boundary (CONN-3)");
                }

                return false;
            }

            Volatile.Write(ref _inRequest, true);
            Volatile.Write(ref open.IdleSince, 0);
            RequestsServed++;
            try
            {
                return await HandleRequestAsync(headerBytes.Value, ct).ConfigureAwait(false);
            }
            finally
            {
                if (_jsonCall)
                {
                    _jsonCall = false;
                    Interlocked.Decrement(ref server._jsonCallsInFlight);
                }

                Volatile.Write(ref open.IdleSince, System.Diagnostics.Stopwatch.GetTimestamp());
                Volatile.Write(ref _inRequest, false);
            }
        }

        private async Task<bool> HandleRequestAsync(ReadOnlyMemory<byte> headerBytes, CancellationToken ct)
        {

            // Malformed → ProtocolException → RST and close, never an error response (SRV-10).
            var header = server.Options.Hooks.ParseRequestHeader(headerBytes.Span);
            var profile = server.Options.Profile;
            if (CloseHandshake.IsControlRequest(profile, header))
            {
                return await AnswerControlRequestAsync(header, ct).ConfigureAwait(false); // FASRV-1: no body, no endpoint
            }

            var body = reader.OpenDataMessageStream();
            reader.Frames.StartRateFloor(server.Options.MinRequestBodyRate, server.Options.ReadTimeout);

            if (!server.TryGetEndpoint(header.Endpoint, out var endpoint))
            {
                await RejectAsync(body, Status.RequestError, Endpoint.Unregistered(header.Endpoint), ct).ConfigureAwait(false); // SRV-1
                return true;
            }

            if (header.DataType != profile.Wire(endpoint.RequestType))
            {
                await RejectAsync(body, Status.RequestError, endpoint.WrongDataType(header.DataType, profile), ct).ConfigureAwait(false); // SRV-2
                return true;
            }

            if (header.Accept != profile.Wire(endpoint.ResponseType))
            {
                await RejectAsync(body, Status.RequestError, endpoint.WrongAccept(header.Accept, profile), ct).ConfigureAwait(false); // SRV-3
                return true;
            }

            object? request;
            if (endpoint.RequestType == DataType.Octets)
            {
                request = body;
            }
            else
            {
                // Counted until the response is out (ServeRequestAsync): the decoded value and its
                // answer live that long, and the server gives memory back only when none does.
                _jsonCall = true;
                Interlocked.Increment(ref server._jsonCallsInFlight);
                var (decoded, decodeError) = await DecodeJsonBodyAsync(body, server.Options.Hooks.JsonBodySource(body, reader.Frames), endpoint.RequestClrType, ct).ConfigureAwait(false);
                if (decodeError is not null)
                {
                    await RejectAsync(body, Status.RequestError, decodeError, ct).ConfigureAwait(false); // SRV-4 / SRV-12
                    return true;
                }

                request = decoded;
            }

            object? response;
            try
            {
                response = await endpoint.InvokeAsync(request, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (body.Fault is null && !(ex is OperationCanceledException && ct.IsCancellationRequested))
            {
                await RejectAsync(body, Status.Error, ex.Message, ct).ConfigureAwait(false); // SRV-5
                return true;
            }
            catch (Exception) when (body.Fault is ProtocolException fault)
            {
                // The request body itself broke (truncated, RST, bad frame): a connection error (CONN-4).
                throw fault;
            }

            // The request must be consumed before anything is answered (SRV-7); a body that breaks
            // here (truncated, RST) rethrows and ends the connection without an OK (CONN-4).
            try
            {
                if (server.Options.Hooks.DrainAfterHandler(body))
                {
                    await body.DrainAsync(ct).ConfigureAwait(false);
                }
            }
            catch
            {
                await DisposeQuietlyAsync(response as Stream).ConfigureAwait(false);
                throw;
            }

            if (endpoint.ResponseType == DataType.MarshaledJson)
            {
                byte[] json;
                try
                {
                    json = RpcJson.Serialize(response, endpoint.ResponseClrType);
                }
                catch (Exception ex)
                {
                    await RespondErrorAsync(Status.ServerError, $"cannot marshal response: {ex.Message}", ct).ConfigureAwait(false); // SRV-6
                    return true;
                }

                // Header and body in one write: one segment per response.
                await writer.WriteHeaderAndDataMessageAsync(profile == Profile.P6ab05ee ? OkJsonHeader : Profiles.OkHeader(profile, DataType.MarshaledJson), json, ct).ConfigureAwait(false);
                return true;
            }

            if (response is not Stream octets)
            {
                await RespondErrorAsync(Status.ServerError, "handler returned no response stream", ct).ConfigureAwait(false); // SRV-6
                return true;
            }

            await using (octets.ConfigureAwait(false))
            {
                await writer.WriteHeaderMessageAsync(Profiles.OkHeader(profile, DataType.Octets), ct).ConfigureAwait(false);
                await SendOctetsAsync(octets, ct).ConfigureAwait(false);
            }

            return true;
        }

        /// <summary>Profile fa4d209: answers a control request; false after Close, so that the connection is torn down (FASRV-2, FASRV-3).</summary>
        private async Task<bool> AnswerControlRequestAsync(RpcHeader header, CancellationToken ct)
        {
            var (answer, close) = CloseHandshake.Answer(header);
            await writer.WriteHeaderMessageAsync(answer.ToCanonicalBytes(), ct).ConfigureAwait(false);
            server.Log(close ? $"connection {id}: Close request answered; RST and close follow (FASRV-3)" : $"connection {id}: unregistered control endpoint {header.Endpoint} (FASRV-2)");
            return !close;
        }

        private async Task SendOctetsAsync(Stream source, CancellationToken ct)
        {
            var message = writer.OpenDataMessage();
            try
            {
                while (true)
                {
                    // The handler's stream reads straight into the frame buffer: no copy in between.
                    var space = await message.GetFrameSpaceAsync(ct).ConfigureAwait(false);
                    int n;
                    try
                    {
                        n = await source.ReadAsync(space, ct).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (!(ex is OperationCanceledException && ct.IsCancellationRequested))
                    {
                        // Never put the end flag on a partial body (SRV-11).
                        message.Abort();
                        throw new HandlerStreamException(ex);
                    }

                    if (n == 0)
                    {
                        break;
                    }

                    message.Advance(n);
                }

                await message.CompleteAsync(ct).ConfigureAwait(false);
            }
            finally
            {
                message.Abort();
            }
        }

        private async Task<(object? Value, string? Error)> DecodeJsonBodyAsync(DataMessageReadStream body, Stream source, Type type, CancellationToken ct)
        {
            long limit = server.Options.MaxJsonBody;
            // Pooled and grown by doubling: a fresh 64 KiB writer per call would be most of a call's allocation.
            // Big buffers are not pooled (the pool would keep them after a peak), and all buffers
            // together stay within the server's JSON budget.
            byte[] buffer = Array.Empty<byte>();
            long reserved = 0;
            int length = 0;
            try
            {
                while (true)
                {
                    if (buffer.Length - length < 1024)
                    {
                        // Only the growth is counted: the old buffer goes as soon as it is copied.
                        int size = buffer.Length == 0 ? 4096 : (int)Math.Min((long)buffer.Length * 2, Array.MaxLength);
                        if (!server.ReserveJson(size - buffer.Length))
                        {
                            ReturnJsonBuffer(buffer);
                            buffer = Array.Empty<byte>();
                            server.ReleaseJson(reserved);
                            reserved = 0;
                            await body.DrainAsync(ct).ConfigureAwait(false);
                            return (null, BudgetExceeded(body));
                        }

                        reserved += size - buffer.Length;
                        byte[] grown = size <= PooledJsonLimit ? ArrayPool<byte>.Shared.Rent(size) : GC.AllocateUninitializedArray<byte>(size);
                        buffer.AsSpan(0, length).CopyTo(grown);
                        ReturnJsonBuffer(buffer);
                        buffer = grown;
                    }

                    int n = await source.ReadAsync(buffer.AsMemory(length), ct).ConfigureAwait(false);
                    if (n == 0)
                    {
                        break;
                    }

                    if (length + (long)n > limit)
                    {
                        await body.DrainAsync(ct).ConfigureAwait(false);
                        return (null, $"cannot decode marshaled JSON: body of {body.BytesRead} bytes exceeds the server's {limit}-byte limit (SRV-12)");
                    }

                    length += n;
                }

                if (!System.Text.Unicode.Utf8.IsValid(buffer.AsSpan(0, length)))
                {
                    return (null, "cannot decode marshaled JSON: the body is not valid UTF-8 (RPC-13)");
                }

                if (LoneSurrogateEscape(buffer.AsSpan(0, length)) is { } escape)
                {
                    return (null, $"cannot decode marshaled JSON: the string {escape} has an escaped surrogate that is not part of a pair (RPC-13)");
                }

                if (TooDeep(buffer.AsSpan(0, length), server.Options.MaxJsonDepth))
                {
                    return (null, $"cannot decode marshaled JSON: nested deeper than the server's limit of {server.Options.MaxJsonDepth} (SRV-12)");
                }

                try
                {
                    return (RpcJson.Deserialize(buffer.AsSpan(0, length), type), null);
                }
                catch (JsonException ex)
                {
                    return (null, $"cannot decode marshaled JSON: {ex.Message}");
                }
                catch (Exception ex) when (ex is NotSupportedException or ArgumentException or InvalidOperationException or FormatException)
                {
                    return (null, $"cannot decode marshaled JSON: {ex.Message}");
                }
            }
            finally
            {
                ReturnJsonBuffer(buffer);
                server.ReleaseJson(reserved);
            }
        }

        private string BudgetExceeded(DataMessageReadStream body) =>
            $"cannot decode marshaled JSON: body of {body.BytesRead} bytes does not fit in the server's memory for JSON bodies now ({server.Options.MaxJsonBodiesTotal} bytes over all connections) (SRV-12)";

        private static void ReturnJsonBuffer(byte[] buffer)
        {
            if (buffer.Length is > 0 and <= PooledJsonLimit)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        private async Task RejectAsync(DataMessageReadStream body, Status status, string message, CancellationToken ct)
        {
            if (server.Options.Hooks.DrainRejectedBody(body))
            {
                await body.DrainAsync(ct).ConfigureAwait(false);
            }

            await RespondErrorAsync(status, message, ct).ConfigureAwait(false);
        }

        private async Task RespondErrorAsync(Status status, string message, CancellationToken ct)
        {
            server.Log($"connection {id}: answering status {(ulong)status}: {LogText.Clean(message)}");
            await writer.WriteHeaderMessageAsync(server.Options.Hooks.EncodeFailure(status, message), ct).ConfigureAwait(false);
            await writer.Frames.FlushAsync(ct).ConfigureAwait(false);
        }

        private static async ValueTask DisposeQuietlyAsync(Stream? stream)
        {
            if (stream is null)
            {
                return;
            }

            try
            {
                await stream.DisposeAsync().ConfigureAwait(false);
            }
            catch
            {
                // Already failing the connection.
            }
        }
    }
}
