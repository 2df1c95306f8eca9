using Zrpc.Spec;
using System.Buffers.Binary;
using Zrpc.Conformance.Adapters;

namespace Zrpc.Conformance.Steps.Wire;

/// <summary>How the implementation ended (or did not end) a connection the kit was watching.</summary>
public sealed record EndObservation(bool SawRst, byte[]? RstBytes, InputEnd End, FrameInfo? UnexpectedFrame, int StrayBytes)
{
    public string Describe() => (SawRst, End) switch
    {
        (true, InputEnd.Closed or InputEnd.Reset) => "RST, then close",
        (false, InputEnd.Closed) => "close without RST",
        (false, InputEnd.Reset) => "abortive close (connection reset) without RST",
        (true, InputEnd.TimedOut) => "RST, but the connection stayed open",
        _ => "nothing: the connection stayed open",
    };
}

/// <summary>
/// One connection to the implementation under test, as the steps use it: exact bytes out, frames
/// in, every read and write bounded by the step timeout.
/// </summary>
public sealed class KitConnection(ConformanceConnection connection, TimeSpan stepTimeout, Action onProgress) : IAsyncDisposable
{
    const int MaxFramesRemembered = 100_000;
    readonly WireInput _input = new(connection.Stream, onProgress);
    readonly List<FrameInfo> _framesReceived = [];

    public string Label => connection.Label;
    public ConformanceConnection Raw => connection;
    public TimeSpan StepTimeout => stepTimeout;
    public IReadOnlyList<FrameInfo> FramesReceived => _framesReceived;
    public int RequestsAwaitingResponse { get; set; }
    public bool Ended { get; private set; }

    /// <summary>Why sending failed, when the implementation closed the connection under the kit's feet.</summary>
    public string? SendFailure { get; private set; }

    public async Task SendAsync(ReadOnlyMemory<byte> bytes)
    {
        // Once the peer has closed, later sends are moot: the next check step judges what it saw.
        if (SendFailure is not null) return;
        try
        {
            await connection.Stream.WriteAsync(bytes).AsTask().WaitAsync(stepTimeout);
            await connection.Stream.FlushAsync().WaitAsync(stepTimeout);
            onProgress();
        }
        catch (TimeoutException)
        {
            throw new UnattributedFailure(
                $"the implementation did not take {bytes.Length} bytes from connection {Label} within {stepTimeout.TotalSeconds:0.#} s: it stopped reading");
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException || e.InnerException is System.Net.Sockets.SocketException)
        {
            SendFailure = $"connection {Label} failed while the kit was sending ({e.Message}): the implementation had closed it";
        }
    }

    /// <summary>Sends an Octets body of the kit's pattern, generated as it goes (never whole in memory).</summary>
    public async Task SendOctetsAsync(long length, int frameSize)
    {
        const int batch = 1 << 20;
        var buffer = new byte[Math.Max(batch, frameSize) + WireConstants.FrameHeaderSize * 2];
        var used = 0;
        long offset = 0;
        do
        {
            var size = (int)Math.Min(frameSize, length - offset);
            var end = offset + size == length;
            if (used + WireConstants.FrameHeaderSize + size > buffer.Length)
            {
                await SendAsync(buffer.AsMemory(0, used));
                used = 0;
            }
            FrameBytes.WriteHeader(buffer.AsSpan(used), WireConstants.Data, end ? (byte)1 : (byte)0, (uint)size);
            OctetPattern.Fill(buffer.AsSpan(used + WireConstants.FrameHeaderSize, size), offset);
            used += WireConstants.FrameHeaderSize + size;
            offset += size;
            if (end) break;
        } while (true);
        await SendAsync(buffer.AsMemory(0, used));
    }

    public Task CloseOutputAsync() => connection.CloseOutputAsync();

    /// <summary>
    /// Reads one whole response: its Header message and, for status OK, its Data message.
    /// <paramref name="requirement"/> is what the calling step checks: a response that never
    /// arrives (the connection ended, an RST, a timeout) fails that requirement. What is wrong with
    /// the bytes themselves (frame layer, header syntax) names the requirement those bytes break.
    /// </summary>
    public async Task<Response> ReadResponseAsync(int keepBodyBytes, string context, string? requirement = null, bool headerOnly = false)
    {
        try
        {
            return await ReadResponseCoreAsync(keepBodyBytes, context, headerOnly);
        }
        catch (UnattributedFailure e) when (requirement is not null)
        {
            throw e.Of(RequirementId.Of(requirement));
        }
    }

    async Task<Response> ReadResponseCoreAsync(int keepBodyBytes, string context, bool headerOnly)
    {
        var headerFrames = new List<FrameInfo>();
        var header = new MemoryStream();
        while (true)
        {
            var frame = await ReadFrameHeaderAsync($"{context}: the {(headerFrames.Count == 0 ? "first" : "next")} frame of the response header");
            headerFrames.Add(frame);
            if (frame.Type == WireConstants.Rst)
                throw new UnattributedFailure($"{context}: the implementation sent RST instead of a response");
            RequirementViolation.Require(frame.Type == WireConstants.Header, "RPC-3",
                () => $"{context}: expected a Header frame starting the response, got {frame}");
            RequirementViolation.Require(header.Length + frame.Length <= WireConstants.MaxHeaderMessage, "MSG-5",
                () => $"{context}: the response header grows past 4096 bytes ({header.Length} + {frame.Length})");
            await ReadPayloadAsync(frame.Length, chunk => header.Write(chunk), context);
            if (frame.EndFlag != 0) break;
        }
        var headerBytes = header.ToArray();
        var parsed = HeaderJson.TryRead(headerBytes, out var problem, out var broken)
            ?? throw new RequirementViolation(broken, $"{context}: {problem}; header bytes: {Hex(headerBytes)}");

        if (parsed.Status != WireConstants.StatusOk || headerOnly)
            return new Response { HeaderBytes = headerBytes, HeaderFrames = headerFrames, Header = parsed };

        var body = new BodyCollector(keepBodyBytes);
        var bodyFrames = new List<FrameInfo>();
        var truncatedList = false;
        while (true)
        {
            var frame = await ReadFrameHeaderAsync($"{context}: the {(bodyFrames.Count == 0 ? "first" : "next")} frame of the OK response's body");
            if (bodyFrames.Count < MaxFramesRemembered) bodyFrames.Add(frame); else truncatedList = true;
            if (frame.Type == WireConstants.Rst)
                throw new RequirementViolation("CLI-4", $"{context}: the implementation sent RST after {body.Length} body bytes, before the body's last frame");
            RequirementViolation.Require(frame.Type == WireConstants.Data, "RPC-3",
                () => $"{context}: expected a Data frame of the OK response's body, got {frame}");
            await ReadPayloadAsync(frame.Length, body.Append, context);
            if (frame.EndFlag != 0) break;
        }
        return new Response
        {
            HeaderBytes = headerBytes,
            HeaderFrames = headerFrames,
            Header = parsed,
            BodyFrames = bodyFrames,
            BodyFramesTruncated = truncatedList,
            Body = body,
        };
    }

    async Task<FrameInfo> ReadFrameHeaderAsync(string what)
    {
        var end = await _input.EnsureAsync(WireConstants.FrameHeaderSize, stepTimeout);
        if (end != InputEnd.None)
            throw new UnattributedFailure($"expected {what}, but {DescribeEnd(end)}" +
                (_input.Buffered > 0 ? $" after a partial frame header {Hex(_input.BufferedSpan.ToArray())}" : "") +
                (SendFailure is null ? "" : $"; earlier, {SendFailure}"));
        var span = _input.BufferedSpan[..WireConstants.FrameHeaderSize].ToArray().AsSpan();
        var frame = new FrameInfo(span[0], span[1], BinaryPrimitives.ReadUInt32LittleEndian(span[2..]));
        _input.Consume(WireConstants.FrameHeaderSize);
        if (_framesReceived.Count < MaxFramesRemembered) _framesReceived.Add(frame);
        if (frame.Type == WireConstants.Rst) return frame;
        RequirementViolation.Require(frame.EndFlag <= 1, "FRAME-3",
            () => $"the implementation sent a frame with end flag 0x{frame.EndFlag:X2}; senders write 0x00 or 0x01 ({frame})");
        // A length that only makes sense read big-endian is the commonest framing mistake (FRAME-1).
        if (frame.Length > WireConstants.MaxPayload && BinaryPrimitives.ReverseEndianness(frame.Length) <= WireConstants.MaxPayload)
            throw new RequirementViolation("FRAME-1",
                $"the implementation sent a frame whose length field {Hex(span[2..6].ToArray())} reads {frame.Length} little-endian and {BinaryPrimitives.ReverseEndianness(frame.Length)} big-endian: frame lengths are little-endian ({frame})");
        RequirementViolation.Require(frame.Length <= WireConstants.MaxPayload, "FRAME-5",
            () => $"the implementation sent a frame longer than 4 MiB ({frame})");
        RequirementViolation.Require(frame.Type is WireConstants.Header or WireConstants.Data, "FRAME-2",
            () => $"the implementation sent a frame of type {WireConstants.TypeName(frame.Type)} ({frame})");
        return frame;
    }

    async Task ReadPayloadAsync(uint length, Action<ReadOnlySpan<byte>> sink, string context)
    {
        long remaining = length;
        while (remaining > 0)
        {
            if (_input.Buffered == 0)
            {
                var end = await _input.FillAsync(stepTimeout);
                if (end != InputEnd.None)
                    throw new UnattributedFailure(
                        $"{context}: a frame announced {length} payload bytes, but after {length - remaining} {DescribeEnd(end)}");
            }
            var take = (int)Math.Min(remaining, _input.Buffered);
            sink(_input.BufferedSpan[..take]);
            _input.Consume(take);
            remaining -= take;
        }
    }

    /// <summary>
    /// Watches for the end of the connection: an optional RST frame, then end of stream. Anything
    /// else the implementation sends is reported, not swallowed.
    /// </summary>
    public async Task<EndObservation> ObserveEndAsync(TimeSpan wait)
    {
        var deadline = DateTime.UtcNow + wait;
        var sawRst = false;
        byte[]? rstBytes = null;
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            if (left < TimeSpan.Zero) left = TimeSpan.Zero;
            if (_input.Buffered >= WireConstants.FrameHeaderSize && !sawRst)
            {
                var span = _input.BufferedSpan;
                var frame = new FrameInfo(span[0], span[1], BinaryPrimitives.ReadUInt32LittleEndian(span[2..]));
                if (frame.Type != WireConstants.Rst)
                    return new EndObservation(false, null, InputEnd.None, frame, _input.Buffered);
                sawRst = true;
                rstBytes = span[..WireConstants.FrameHeaderSize].ToArray();
                _input.Consume(WireConstants.FrameHeaderSize);
                continue;
            }
            if (sawRst && _input.Buffered > 0)
                return new EndObservation(true, rstBytes, InputEnd.None, null, _input.Buffered);
            var end = await _input.FillAsync(left);
            if (end != InputEnd.None)
            {
                Ended = end is InputEnd.Closed or InputEnd.Reset;
                return new EndObservation(sawRst, rstBytes, end, null, _input.Buffered);
            }
        }
    }

    /// <summary>The next <paramref name="count"/> bytes as they come, or fewer when the input ends or the step times out.</summary>
    public async Task<byte[]> ReadRawAsync(int count)
    {
        await _input.EnsureAsync(count, stepTimeout);
        var take = Math.Min(count, _input.Buffered);
        var bytes = _input.BufferedSpan[..take].ToArray();
        _input.Consume(take);
        return bytes;
    }

    /// <summary>True when nothing arrives within <paramref name="wait"/>; the pending read is kept.</summary>
    public async Task<(bool quiet, InputEnd end)> ExpectSilenceAsync(TimeSpan wait)
    {
        if (_input.Buffered > 0) return (false, InputEnd.None);
        var end = await _input.FillAsync(wait);
        return (end == InputEnd.TimedOut, end);
    }

    public static string DescribeEnd(InputEnd end) => end switch
    {
        InputEnd.Closed => "the implementation closed the connection",
        InputEnd.Reset => "the connection was reset",
        InputEnd.TimedOut => "nothing arrived within the step timeout",
        _ => "bytes arrived",
    };

    public static string Hex(ReadOnlySpan<byte> bytes, int max = 64) =>
        Convert.ToHexString(bytes[..Math.Min(max, bytes.Length)]).ToLowerInvariant() + (bytes.Length > max ? $"… ({bytes.Length} bytes)" : "");

    public ValueTask DisposeAsync() => connection.DisposeAsync();
}
