using System.Buffers.Binary;
using Zrpc.Frames;
using Zrpc.Rpc;

namespace Zrpc.SelfTest.Wire;

/// <summary>A whole frame as a client mutant received it. RST and over-long frames carry no payload.</summary>
internal sealed record InboundFrame(byte Type, byte Flag, uint Length, byte[] Payload)
{
    public static InboundFrame Of(byte type, byte flag, byte[] payload) => new(type, flag, (uint)payload.Length, payload);
}

/// <summary>
/// What a client mutant has shown its (correct) reader so far, that is, what the defective
/// client believes: whether a response body is due, of which type, and the JSON body so far.
/// </summary>
internal sealed class ResponseView
{
    private const int JsonKept = 1 << 20;
    private readonly MemoryStream _header = new();
    private readonly MemoryStream _json = new();
    private bool _jsonComplete = true;

    /// <summary>True after an OK response header until its body's end-flagged frame.</summary>
    public bool ExpectingData { get; private set; }

    /// <summary>The last complete response header, or null when none was shown or it did not parse.</summary>
    public RpcHeader? LastHeader { get; private set; }

    /// <summary>The frame type the client is waiting for next.</summary>
    public byte ExpectedType => ExpectingData ? WireFrame.Data : WireFrame.Header;

    public bool BodyIsJson => ExpectingData && LastHeader?.DataType == (byte)DataType.MarshaledJson;

    /// <summary>The JSON body shown so far followed by <paramref name="next"/>; null once it outgrew what is kept.</summary>
    public byte[]? JsonBodyWith(ReadOnlySpan<byte> next)
    {
        if (!_jsonComplete || _json.Length + next.Length > JsonKept)
        {
            return null;
        }

        var all = new byte[_json.Length + next.Length];
        _json.GetBuffer().AsSpan(0, (int)_json.Length).CopyTo(all);
        next.CopyTo(all.AsSpan((int)_json.Length));
        return all;
    }

    /// <summary>Follows one frame handed to the client (<paramref name="payload"/> empty when not held).</summary>
    public void Shown(byte type, byte flag, ReadOnlySpan<byte> payload)
    {
        if (type == WireFrame.Header && !ExpectingData)
        {
            if (_header.Length + payload.Length <= 2 * FrameLimits.MaxHeaderMessage)
            {
                _header.Write(payload);
            }

            if (flag != 0)
            {
                try
                {
                    LastHeader = RpcHeader.Parse(_header.GetBuffer().AsSpan(0, (int)_header.Length));
                }
                catch (ProtocolException)
                {
                    LastHeader = null;
                }

                _header.SetLength(0);
                _json.SetLength(0);
                _jsonComplete = true;
                ExpectingData = LastHeader?.Error == (ulong)Status.Ok;
            }
        }
        else if (type == WireFrame.Data && ExpectingData)
        {
            if (_jsonComplete && _json.Length + payload.Length <= JsonKept)
            {
                _json.Write(payload);
            }
            else
            {
                _jsonComplete = false;
            }

            if (flag != 0)
            {
                ExpectingData = false;
            }
        }
    }
}

/// <summary>What a client mutant's reader gets wrong. One instance per connection (rules may keep state).</summary>
internal sealed class ResponseRules
{
    /// <summary>The frames the client's reader is shown instead of one received frame (none: dropped).</summary>
    public Func<InboundFrame, ResponseView, IEnumerable<InboundFrame>>? Frame { get; init; }

    /// <summary>Hands a frame longer than 4 MiB over as legal frames of the same type, waiting for its payload (against FRAME-6).</summary>
    public bool SplitOversize { get; init; }

    /// <summary>
    /// Takes what one read returns for the whole frame header or payload, as a reader that never
    /// completes a short read does: missing header bytes count as zero, a short payload ends the
    /// frame, and the bytes that arrive later are read as the next frame (against MSG-2).
    /// </summary>
    public bool ShortReadIsWhole { get; init; }

    /// <summary>A frame shown to the client when the connection reaches end of stream at a frame boundary.</summary>
    public Func<ResponseView, InboundFrame?>? AtEndOfStream { get; init; }
}

/// <summary>
/// Sits between the connection and the (correct) reference client and makes it behave like a
/// client with a reader defect: each received frame is turned into what the defective reader
/// would have understood. Requests pass unchanged. Memory stays bounded: at most one frame of at
/// most 4 MiB is held; longer frames are never read whole.
/// </summary>
internal sealed class ResponseRewritingStream(Stream inner, ResponseRules rules) : DelegatingStream(inner)
{
    private readonly Queue<(byte[]? Bytes, long Pass)> _queue = new();
    private readonly ResponseView _view = new();
    private readonly byte[] _frameHeader = new byte[FrameLimits.HeaderSize];
    private readonly PendingBytes _pending = new();
    private bool _ended;
    private bool _raw;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.Length == 0)
        {
            return 0;
        }

        while (true)
        {
            if (_pending.Any)
            {
                int n = await _pending.ReadAsync(Inner, buffer, cancellationToken).ConfigureAwait(false);
                if (n == 0)
                {
                    _ended = true;
                }

                return n;
            }

            if (_queue.TryDequeue(out var item))
            {
                if (item.Bytes is { Length: > 0 } bytes)
                {
                    _pending.Emit(bytes);
                }
                else
                {
                    _pending.PassThrough(item.Pass);
                }

                continue;
            }

            if (_ended)
            {
                return 0;
            }

            if (_raw)
            {
                return await Inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            }

            await ReadNextFrameAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task ReadNextFrameAsync(CancellationToken ct)
    {
        int filled;
        if (rules.ShortReadIsWhole)
        {
            Array.Clear(_frameHeader);
            filled = await Inner.ReadAsync(_frameHeader, ct).ConfigureAwait(false);
            filled = filled == 0 ? 0 : _frameHeader.Length;
        }
        else
        {
            filled = await ReadUpToAsync(_frameHeader, ct).ConfigureAwait(false);
        }

        if (filled == 0)
        {
            _ended = true;
            if (rules.AtEndOfStream?.Invoke(_view) is { } last)
            {
                Show(last);
            }

            return;
        }

        if (filled < _frameHeader.Length)
        {
            // The reader itself must see the truncated frame header (FRAME-11).
            _ended = true;
            _queue.Enqueue((_frameHeader.AsSpan(0, filled).ToArray(), 0));
            return;
        }

        byte type = _frameHeader[0];
        byte flag = _frameHeader[1];
        uint length = BinaryPrimitives.ReadUInt32LittleEndian(_frameHeader.AsSpan(2));
        if (type == WireFrame.Rst)
        {
            ShowAll(new InboundFrame(type, flag, length, []));
            return;
        }

        if (length > FrameLimits.MaxPayload)
        {
            if (!rules.SplitOversize)
            {
                // The correct reader rejects it from the header alone; nothing after it matters.
                _queue.Enqueue((_frameHeader.ToArray(), 0));
                _raw = true;
                return;
            }

            long left = length;
            while (left > 0)
            {
                uint piece = (uint)Math.Min(left, FrameLimits.MaxPayload);
                left -= piece;
                byte pieceFlag = left == 0 ? flag : (byte)0;
                _queue.Enqueue((WireRules.ForReader(type, pieceFlag, piece), 0));
                _queue.Enqueue((null, piece));
                _view.Shown(type, pieceFlag, []);
            }

            return;
        }

        byte[] payload = length == 0 ? [] : new byte[length];
        if (rules.ShortReadIsWhole && payload.Length > 0)
        {
            int once = await Inner.ReadAsync(payload, ct).ConfigureAwait(false);
            if (once == 0)
            {
                // End of stream inside the payload: the reader must see the truncated frame (FRAME-11).
                _ended = true;
                _queue.Enqueue((_frameHeader.ToArray(), 0));
                return;
            }

            ShowAll(once == payload.Length ? new InboundFrame(type, flag, length, payload) : InboundFrame.Of(type, flag, payload[..once]));
            return;
        }

        int got = await ReadUpToAsync(payload, ct).ConfigureAwait(false);
        if (got < payload.Length)
        {
            // End of stream inside the payload: the reader must see the truncated frame (FRAME-11).
            _ended = true;
            _queue.Enqueue((_frameHeader.ToArray(), 0));
            _queue.Enqueue((payload.AsSpan(0, got).ToArray(), 0));
            return;
        }

        ShowAll(new InboundFrame(type, flag, length, payload));
    }

    private void ShowAll(InboundFrame frame)
    {
        foreach (var shown in rules.Frame?.Invoke(frame, _view) ?? [frame])
        {
            Show(shown);
        }
    }

    private void Show(InboundFrame frame)
    {
        _view.Shown(frame.Type, frame.Flag, frame.Payload);
        _queue.Enqueue((WireRules.ForReader(frame.Type, frame.Flag, frame.Length), 0));
        if (frame.Payload.Length > 0)
        {
            _queue.Enqueue((frame.Payload, 0));
        }
    }

    private async Task<int> ReadUpToAsync(Memory<byte> buffer, CancellationToken ct)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = await Inner.ReadAsync(buffer[total..], ct).ConfigureAwait(false);
            if (n == 0)
            {
                break;
            }

            total += n;
        }

        return total;
    }
}
