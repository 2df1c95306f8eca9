using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Zrpc.Conformance.Adapters;
using Zrpc.Conformance.Steps.Wire;

namespace Zrpc.Conformance.ClientRole;

/// <summary>
/// The kit in the server role: a loopback listener for one scenario. For every request it reads
/// the whole request first (recording it byte by byte), then performs the answer the scenario
/// scripted for that request number, exactly as told. Requests are numbered over all connections
/// in the order they complete. Every byte passes through the scenario's traffic log.
/// </summary>
public sealed partial class FakeServer : IAsyncDisposable
{
    private static readonly byte[] Pattern = BuildPattern();
    private readonly TargetContext _context;
    private readonly IReadOnlyDictionary<int, ScriptedAnswer> _answers;
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _connections = [];
    private readonly List<ReceivedRequest> _requests = [];
    private readonly List<ReceivedRequest> _controlRequests = [];

    /// <summary>The key of <c>answers</c> under which a scenario scripts the answer to a Close request (profile fa4d209).</summary>
    public const int CloseAnswerKey = -1;

    /// <summary>How long the kit watches a client after answering its Close request (FACLI-2 and FACLI-3 are judged on it).</summary>
    public static readonly TimeSpan AfterCloseWatch = TimeSpan.FromSeconds(3);
    private readonly object _gate = new();
    private Task? _acceptLoop;
    private int _connectionCount;
    private int _requestCount;

    public FakeServer(TargetContext context, IReadOnlyDictionary<int, ScriptedAnswer> answers)
    {
        _context = context;
        _answers = answers;
    }

    /// <summary>tcp://127.0.0.1:PORT, the value of {address}.</summary>
    public string Address { get; private set; } = "";

    public int ConnectionCount => Volatile.Read(ref _connectionCount);

    public IReadOnlyList<ReceivedRequest> Requests
    {
        get { lock (_gate) return _requests.ToList(); }
    }

    /// <summary>Control requests (profile fa4d209), in the order they arrived; they are not numbered with the calls' requests.</summary>
    public IReadOnlyList<ReceivedRequest> ControlRequests
    {
        get { lock (_gate) return _controlRequests.ToList(); }
    }

    public void Start()
    {
        _listener.Start();
        Address = $"tcp://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";
        _acceptLoop = AcceptLoopAsync();
    }

    /// <summary>Waits (bounded) until every connection's handler has finished, e.g. after the driver exited.</summary>
    public async Task WaitForConnectionsAsync(TimeSpan limit)
    {
        Task[] running;
        lock (_gate) running = _connections.ToArray();
        await Task.WhenAny(Task.WhenAll(running), Task.Delay(limit)).ConfigureAwait(false);
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            socket.NoDelay = true;
            var number = Interlocked.Increment(ref _connectionCount);
            var connection = _context.Adopt($"client#{number}", new NetworkStream(socket, ownsSocket: true));
            lock (_gate) _connections.Add(Task.Run(() => ServeAsync(connection, socket, number)));
        }
    }

    private async Task ServeAsync(ConformanceConnection connection, Socket socket, int connectionNumber)
    {
        var stream = connection.Stream;
        var log = _context.Traffic;
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var request = await ReadRequestAsync(stream, connection.Label, connectionNumber).ConfigureAwait(false);
                if (request is null) return;
                if (request.IsControl && request.Problem is null)
                {
                    if (await AnswerControlAsync(request, stream, socket, connection.Label).ConfigureAwait(false)) return;
                    continue;
                }

                if (request.Problem is not null)
                {
                    log.RecordEvent(connection.Label, null, $"request {request.Number} is malformed: {request.Problem}; the kit ends the connection");
                    await stream.WriteAsync(WireConstants.CanonicalRst, _stop.Token).ConfigureAwait(false);
                    return;
                }

                if (!_answers.TryGetValue(request.Number, out var answer))
                {
                    log.RecordEvent(connection.Label, null, $"the scenario scripted no answer to request {request.Number}: the kit sends RST and closes");
                    _context.Note($"request {request.Number} was not expected by the scenario (no scripted answer); the kit reset the connection");
                    await stream.WriteAsync(WireConstants.CanonicalRst, _stop.Token).ConfigureAwait(false);
                    request.AnswerSentAt = Stopwatch.GetTimestamp();
                    return;
                }

                log.RecordEvent(connection.Label, null, $"answering request {request.Number} as scripted");
                // Consecutive byte actions go out in one write, so that what the scenario sends
                // together (a response and unsolicited bytes after it, CLI-5) arrives together.
                var pending = new MemoryStream();
                foreach (var action in answer.Actions)
                {
                    if (action is SendBytes bytes)
                    {
                        pending.Write(bytes.Bytes);
                        continue;
                    }

                    if (pending.Length > 0)
                    {
                        await stream.WriteAsync(pending.GetBuffer().AsMemory(0, (int)pending.Length), _stop.Token).ConfigureAwait(false);
                        pending.SetLength(0);
                    }

                    switch (action)
                    {
                        case SendPatternBody body:
                            await SendPatternAsync(stream, body.Length).ConfigureAwait(false);
                            break;
                        case Pause pause:
                            await stream.FlushAsync(_stop.Token).ConfigureAwait(false);
                            log.RecordEvent(connection.Label, null, $"the kit pauses for {pause.Duration.TotalMilliseconds:0} ms");
                            await Task.Delay(pause.Duration, _stop.Token).ConfigureAwait(false);
                            break;
                        case CloseConnection:
                            request.AnswerSentAt = Stopwatch.GetTimestamp();
                            socket.Shutdown(SocketShutdown.Send);
                            log.RecordEvent(connection.Label, TrafficDirection.Sent, "end of stream (the kit closed the connection)");
                            await DiscardUntilEndAsync(stream).ConfigureAwait(false);
                            return;
                        case AbortConnection:
                            request.AnswerSentAt = Stopwatch.GetTimestamp();
                            socket.LingerState = new LingerOption(true, 0);
                            log.RecordEvent(connection.Label, TrafficDirection.Sent, "TCP reset (the kit aborted the connection)");
                            socket.Close();
                            return;
                        case Stall:
                            request.AnswerSentAt = Stopwatch.GetTimestamp();
                            log.RecordEvent(connection.Label, null, "the kit stalls: it sends nothing more and waits for the client");
                            await DiscardUntilEndAsync(stream).ConfigureAwait(false);
                            return;
                    }
                }

                if (pending.Length > 0)
                {
                    await stream.WriteAsync(pending.GetBuffer().AsMemory(0, (int)pending.Length), _stop.Token).ConfigureAwait(false);
                }

                request.AnswerSentAt = Stopwatch.GetTimestamp();
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The client went away; the traffic log has recorded how.
        }
    }

    /// <summary>Reads one request; null at a clean end (end of stream or RST where a request starts).</summary>
    private async Task<ReceivedRequest?> ReadRequestAsync(Stream stream, string label, int connectionNumber)
    {
        var frameHeader = new byte[WireConstants.FrameHeaderSize];
        ReceivedRequest? request = null;
        var header = new MemoryStream();
        while (true)
        {
            var got = await ReadUpToAsync(stream, frameHeader).ConfigureAwait(false);
            if (got == 0 && request is null) return null;
            request ??= NewRequest(label, connectionNumber);
            if (got < frameHeader.Length)
                return Fail(request, $"end of stream inside the request (after {got} of 6 frame header bytes)");
            var frame = Parse(frameHeader);
            if (frame.Type == WireConstants.Rst)
            {
                if (header.Length == 0 && request.HeaderFrames.Count == 0)
                {
                    Forget(request);
                    return null; // CONN-3: a client may end a connection with RST
                }

                return Fail(request, "RST inside the request's Header message");
            }

            if (frame.Type != WireConstants.Header)
                return Fail(request, $"a {WireConstants.TypeName(frame.Type)} frame where a request's Header frame was expected (RPC-1, MSG-3)");
            request.HeaderFrames.Add(frame);
            if (header.Length + frame.Length > WireConstants.MaxHeaderMessage)
                return Fail(request, $"the request Header message grows past 4096 bytes (MSG-5){EndianHint(frame, WireConstants.MaxHeaderMessage)}", EndianRequirement(frame, WireConstants.MaxHeaderMessage) ?? "MSG-5");
            var payload = new byte[frame.Length];
            if (await ReadUpToAsync(stream, payload).ConfigureAwait(false) < payload.Length)
                return Fail(request, "end of stream inside a Header frame payload");
            header.Write(payload);
            if (frame.EndFlag != 0) break;
        }

        request.HeaderContent = header.ToArray();
        if (KitProfiles.Current == KitProfile.Fa4d209 && HeaderJson.TryRead(request.HeaderContent, out _) is { DataType: WireConstants.DataTypeControl } control)
        {
            // FARPC-1: a control request is its Header message alone.
            lock (_gate)
            {
                _requests.Remove(request);
                _requestCount--;
                _controlRequests.Add(request);
            }

            request.IsControl = true;
            request.ControlEndpoint = control.Endpoint;
            request.ReceivedAt = Stopwatch.GetTimestamp();
            return request;
        }

        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var chunk = new byte[1 << 20];
        while (true)
        {
            if (await ReadUpToAsync(stream, frameHeader).ConfigureAwait(false) < frameHeader.Length)
                return Fail(request, "end of stream before the request body's last frame (RPC-1)");
            var frame = Parse(frameHeader);
            if (frame is { Type: WireConstants.Header, Length: 0 } && request.BodyFrameCount == 0 && request.HeaderContent.Length == WireConstants.MaxHeaderMessage)
                return Fail(request, "an empty Header frame right after a complete 4096-byte Header message: a header is one frame (MSG-4; the 2017 writer's extra frame, spec A.3)", "MSG-4");
            if (frame.Type != WireConstants.Data)
                return Fail(request, $"a {WireConstants.TypeName(frame.Type)} frame where the request body's Data frame was expected (RPC-1, MSG-3)");
            request.BodyFrameCount++;
            if (request.BodyFrames.Count < ReceivedRequest.FramesKept) request.BodyFrames.Add(frame);
            if (frame.Length > WireConstants.MaxPayload)
                return Fail(request, $"a Data frame of {frame.Length} bytes, over 4 MiB (FRAME-5){EndianHint(frame, WireConstants.MaxPayload)}", EndianRequirement(frame, WireConstants.MaxPayload));
            var left = (int)frame.Length;
            while (left > 0)
            {
                var n = await ReadUpToAsync(stream, chunk.AsMemory(0, Math.Min(left, chunk.Length))).ConfigureAwait(false);
                if (n == 0) return Fail(request, "end of stream inside a Data frame payload");
                sha.AppendData(chunk, 0, n);
                var room = ReceivedRequest.BodyBytesKept - (int)request.BodyPrefix.Length;
                if (room > 0) request.BodyPrefix.Write(chunk, 0, Math.Min(room, n));
                request.BodyLength += n;
                left -= n;
                _context.ReportProgress();
            }

            if (frame.EndFlag != 0) break;
        }

        request.BodySha256 = Convert.ToHexStringLower(sha.GetHashAndReset());
        return request;
    }

    /// <summary>
    /// Answers a control request: Close as the scenario scripted it (by default the canonical
    /// answer and RST, FASRV-3), then watches what the client does; any other name is refused
    /// (FASRV-2). True when the connection is over.
    /// </summary>
    private async Task<bool> AnswerControlAsync(ReceivedRequest request, Stream stream, Socket socket, string label)
    {
        var log = _context.Traffic;
        if (request.ControlEndpoint != "Close")
        {
            log.RecordEvent(label, null, $"control request for \"{request.ControlEndpoint}\": the kit refuses it (FASRV-2)");
            await stream.WriteAsync(FrameBytes.CanonicalMessage(WireConstants.Header,
                ScriptedAnswer.ResponseHeader(WireConstants.StatusRequestError, WireConstants.DataTypeUnset, $"unregistered control endpoint {request.ControlEndpoint}")), _stop.Token).ConfigureAwait(false);
            request.AnswerSentAt = Stopwatch.GetTimestamp();
            return false;
        }

        var stall = false;
        if (_answers.TryGetValue(CloseAnswerKey, out var scripted))
        {
            log.RecordEvent(label, null, "answering the Close request as scripted");
            foreach (var action in scripted.Actions)
            {
                switch (action)
                {
                    case SendBytes bytes:
                        await stream.WriteAsync(bytes.Bytes, _stop.Token).ConfigureAwait(false);
                        break;
                    case Stall:
                        stall = true;
                        log.RecordEvent(label, null, "the kit does not answer the Close request and waits for the client");
                        break;
                }
            }
        }
        else
        {
            log.RecordEvent(label, null, "answering the Close request: the canonical answer, then RST (FASRV-3)");
            await stream.WriteAsync((byte[])[.. FrameBytes.CanonicalMessage(WireConstants.Header, CloseAnswer), .. WireConstants.CanonicalRst], _stop.Token).ConfigureAwait(false);
        }

        request.AnswerSentAt = Stopwatch.GetTimestamp();
        await WatchAfterCloseAsync(request, stream, stall ? AfterCloseWatch + TimeSpan.FromSeconds(2) : AfterCloseWatch).ConfigureAwait(false);
        socket.Close();
        return true;
    }

    /// <summary>The canonical OK answer to Close (FASRV-3).</summary>
    public static readonly byte[] CloseAnswer = "{\"Endpoint\":\"\",\"DataType\":2,\"Accept\":0,\"Error\":1,\"ErrorMessage\":\"\"}\n"u8.ToArray();

    private async Task WatchAfterCloseAsync(ReceivedRequest request, Stream stream, TimeSpan limit)
    {
        using var watch = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        watch.CancelAfter(limit);
        var buffer = new byte[4096];
        try
        {
            while (true)
            {
                var n = await stream.ReadAsync(buffer, watch.Token).ConfigureAwait(false);
                if (n == 0)
                {
                    request.AfterAnswerEnd = "end of stream";
                    break;
                }

                var room = 64 - (int)request.AfterAnswer.Length;
                if (room > 0) request.AfterAnswer.Write(buffer, 0, Math.Min(room, n));
            }
        }
        catch (OperationCanceledException)
        {
            request.AfterAnswerEnd = null;
            return;
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            request.AfterAnswerEnd = "connection reset";
        }

        request.EndedAt = Stopwatch.GetTimestamp();
    }

    private ReceivedRequest NewRequest(string label, int connectionNumber)
    {
        lock (_gate)
        {
            var request = new ReceivedRequest { Number = ++_requestCount, Connection = label, ConnectionNumber = connectionNumber };
            _requests.Add(request);
            return request;
        }
    }

    private void Forget(ReceivedRequest request)
    {
        lock (_gate)
        {
            _requests.Remove(request);
            _requestCount--;
        }
    }

    private static ReceivedRequest Fail(ReceivedRequest request, string problem, string? requirement = null)
    {
        request.Problem = problem;
        request.ProblemRequirement = requirement;
        return request;
    }

    // A length that only makes sense read big-endian points at the commonest framing mistake.
    private static bool ReadsBigEndian(FrameSeen frame, long limit) => BinaryPrimitives.ReverseEndianness(frame.Length) <= limit;

    private static string EndianHint(FrameSeen frame, long limit)
        => ReadsBigEndian(frame, limit)
            ? $"; read big-endian the length would be {BinaryPrimitives.ReverseEndianness(frame.Length)}: frame lengths are little-endian (FRAME-1)"
            : "";

    private static string? EndianRequirement(FrameSeen frame, long limit) => ReadsBigEndian(frame, limit) ? "FRAME-1" : null;

    private static FrameSeen Parse(byte[] header) => new(header[0], header[1], BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(2)));

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        if (_acceptLoop is not null) await _acceptLoop.ConfigureAwait(false);
        await WaitForConnectionsAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        _stop.Dispose();
    }
}
