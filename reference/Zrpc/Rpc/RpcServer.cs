using System.Buffers;
using System.Collections.Concurrent;
using System.Net.Sockets;
using Zrpc.Frames;
using Zrpc.Messages;
using Zrpc.Transport;

namespace Zrpc.Rpc;

/// <summary>
/// Serves registered endpoints. Each connection is served on its own, one request at a time
/// (RPC-10); every peer misbehaviour ends only that connection (TRANS-2) and is logged, never thrown.
/// </summary>
public sealed partial class RpcServer
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

    /// <summary>The name of the threads that serve a connection of their own.</summary>
    public const string ThreadName = "zrpc connection";

    private int _onOwnThreads;

    /// <summary>
    /// Connections of <see cref="ServeAsync"/> being served on a thread of their own
    /// (<see cref="RpcServerOptions.ConnectionThreading"/>); a connection leaves the count once it has closed.
    /// </summary>
    public int ConnectionsOnOwnThreads => Volatile.Read(ref _onOwnThreads);

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

                bool ownThread = connection is NetworkStream && TakeThread();
                Task task;
                if (ownThread)
                {
                    var socket = ((NetworkStream)connection).Socket;
                    task = OwnThread.Run(() => ServeConnectionCoreAsync(new BlockingSocketStream(socket), hard.Token, ct, ownThread: true), ThreadName);
                    _ = task.ContinueWith(_ => Interlocked.Decrement(ref _onOwnThreads), TaskScheduler.Default);
                }
                else
                {
                    task = Task.Run(() => ServeConnectionCoreAsync(connection, hard.Token, ct), CancellationToken.None);
                }

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
    /// Whether the connection just accepted gets a thread of its own (<see cref="RpcServerOptions.ConnectionThreading"/>);
    /// when it does, it is counted in <see cref="ConnectionsOnOwnThreads"/> until it ends.
    /// </summary>
    private bool TakeThread()
    {
        switch (Options.ConnectionThreading)
        {
            case ConnectionThreading.ThreadPerConnection:
                Interlocked.Increment(ref _onOwnThreads);
                return true;
            case ConnectionThreading.Auto:
                if (Interlocked.Increment(ref _onOwnThreads) <= Options.ThreadedConnections)
                {
                    return true;
                }

                Interlocked.Decrement(ref _onOwnThreads);
                return false;
            default:
                return false;
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
    /// <param name="ownThread">
    /// The connection has this thread to itself: each request is waited for here, so that a
    /// handler that awaits real asynchronous work does not carry the connection's later blocking
    /// reads onto the thread pool when it resumes there.
    /// </param>
    private async Task ServeConnectionCoreAsync(Stream connection, CancellationToken ct, CancellationToken stopping, bool ownThread = false)
    {
        ArgumentNullException.ThrowIfNull(connection);
        long id = Interlocked.Increment(ref _connectionCounter);
        Log(ownThread ? $"connection {id}: open (thread of its own)" : $"connection {id}: open");
        connection = Options.Hooks.WrapConnection(connection);
        var timeouts = new ReadTimeouts
        {
            ReadTimeout = Options.ReadTimeout,
            IdleTimeout = Shorter(Options.FirstRequestTimeout, Options.IdleTimeout),
        };
        var frameReader = new FrameReader(connection, FrameReader.ConnectionReadAhead, timeouts);
        var open = new ServerConnection(id, connection, frameReader);
        var frameWriter = new FrameWriter(new SendWatchStream(connection, open));
        var requests = new MessageReader(frameReader) { HeaderMessageTimeout = Options.ReadTimeout };
        var session = new ServerSession(this, open, requests, timeouts, new MessageWriter(frameWriter));
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
            while (!stopping.IsCancellationRequested
                   && (ownThread ? session.ServeRequestAsync(ct).GetAwaiter().GetResult() : await session.ServeRequestAsync(ct).ConfigureAwait(false)))
            {
                if (first)
                {
                    timeouts.IdleTimeout = Options.IdleTimeout;
                    first = false;
                }
            }

            Log(stopping.IsCancellationRequested ? $"connection {id}: closed by shutdown" : $"connection {id}: closed by peer");
        }
        catch (Exception) when (open.ClosedBecause is { } reason)
        {
            Log($"connection {id}: {reason}");
        }
        catch (IdleTimeoutException ex) when (session.RequestsServed == 0 && timeouts.IdleTimeout == Options.FirstRequestTimeout)
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
}
