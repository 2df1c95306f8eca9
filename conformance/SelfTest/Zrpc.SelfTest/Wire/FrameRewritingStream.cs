using System.Buffers.Binary;
using Zrpc.Rpc;

namespace Zrpc.SelfTest.Wire;

/// <summary>
/// Sits between the connection and the (correct) reference server and makes it behave like a
/// server with a frame-level defect: incoming frames are re-encoded into what the defective reader
/// would have understood, outgoing frames into what the defective writer would have sent.
/// Memory stays bounded: payloads pass through, only a Header message (at most 4096 bytes) or one
/// re-framed Data frame (at most 4 MiB) is held.
/// </summary>
internal sealed class FrameRewritingStream(Stream inner, WireRules rules) : DelegatingStream(inner)
{
    private readonly Queue<Segment> _inbound = new();
    private readonly byte[] _inHeader = new byte[6];
    private readonly PendingBytes _pending = new();
    private bool _inEnded;

    private readonly byte[] _outHeader = new byte[6];
    private int _outHeaderFill;
    private WireFrame _outFrame;
    private long _outRemaining;
    private readonly MemoryStream _outHeaderContent = new();
    private bool _nextDataIsOctets;
    private byte[]? _dataBuffer;
    private int _dataLength;

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
                    _inEnded = true;
                }

                return n;
            }

            if (_inbound.TryDequeue(out var segment))
            {
                if (segment.Reply is not null)
                {
                    await Inner.WriteAsync(segment.Reply, cancellationToken).ConfigureAwait(false);
                    await Inner.FlushAsync(cancellationToken).ConfigureAwait(false);
                }
                else if (segment.Bytes is { Length: > 0 })
                {
                    _pending.Emit(segment.Bytes);
                }
                else
                {
                    _pending.PassThrough(segment.PassThrough);
                }

                continue;
            }

            if (_inEnded)
            {
                return 0;
            }

            int filled = 0;
            while (filled < 6)
            {
                int n = await Inner.ReadAsync(_inHeader.AsMemory(filled), cancellationToken).ConfigureAwait(false);
                if (n == 0)
                {
                    break;
                }

                filled += n;
            }

            if (filled < 6)
            {
                // Hand over what arrived so the reader itself sees the truncated header (FRAME-11).
                _inEnded = true;
                if (filled > 0)
                {
                    _inbound.Enqueue(Segment.Emit(_inHeader.AsSpan(0, filled).ToArray()));
                }

                continue;
            }

            uint length = rules.BigEndianLengths
                ? BinaryPrimitives.ReadUInt32BigEndian(_inHeader.AsSpan(2))
                : BinaryPrimitives.ReadUInt32LittleEndian(_inHeader.AsSpan(2));
            var frame = new WireFrame(_inHeader[0], _inHeader[1], length);
            if (rules.EndOfStreamEndsDataFrame && frame.Type == WireFrame.Data && frame.Length is > 0 and <= Frames.FrameLimits.MaxPayload)
            {
                await HoldDataFrameAsync(frame, cancellationToken).ConfigureAwait(false);
                continue;
            }

            foreach (var step in (rules.Inbound ?? WireRules.Unchanged)(frame))
            {
                _inbound.Enqueue(step);
            }
        }
    }

    /// <summary>Reads a Data frame's payload whole; when the stream ends first, what came is passed on as the body's last frame.</summary>
    private async ValueTask HoldDataFrameAsync(WireFrame frame, CancellationToken cancellationToken)
    {
        var payload = new byte[frame.Length];
        int got = 0;
        while (got < payload.Length)
        {
            int n = await Inner.ReadAsync(payload.AsMemory(got), cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                break;
            }

            got += n;
        }

        bool cut = got < payload.Length;
        _inEnded |= cut;
        _inbound.Enqueue(Segment.Emit(WireRules.ForReader(WireFrame.Data, cut ? (byte)1 : frame.Flag, (uint)got)));
        if (got > 0)
        {
            _inbound.Enqueue(Segment.Emit(payload[..got]));
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (buffer.Length > 0)
        {
            if (_outHeaderFill < 6)
            {
                int take = Math.Min(6 - _outHeaderFill, buffer.Length);
                buffer.Span[..take].CopyTo(_outHeader.AsSpan(_outHeaderFill));
                _outHeaderFill += take;
                buffer = buffer[take..];
                if (_outHeaderFill == 6)
                {
                    // The reference writer is correct: its lengths are little-endian.
                    _outFrame = new WireFrame(_outHeader[0], _outHeader[1], BinaryPrimitives.ReadUInt32LittleEndian(_outHeader.AsSpan(2)));
                    _outRemaining = _outFrame.Type == WireFrame.Rst ? 0 : _outFrame.Length;
                    if (_outFrame.Type == WireFrame.Rst && rules.DropRst)
                    {
                        _outHeaderFill = 0;
                        continue;
                    }

                    await BeginOutboundFrameAsync(cancellationToken).ConfigureAwait(false);
                    if (_outRemaining == 0)
                    {
                        await EndOutboundFrameAsync(cancellationToken).ConfigureAwait(false);
                    }
                }

                continue;
            }

            int part = (int)Math.Min(_outRemaining, buffer.Length);
            await OutboundPayloadAsync(buffer[..part], cancellationToken).ConfigureAwait(false);
            _outRemaining -= part;
            buffer = buffer[part..];
            if (_outRemaining == 0)
            {
                await EndOutboundFrameAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private bool Reframing => _outFrame.Type == WireFrame.Data && (rules.DataFrameLimit is not null || rules.SeparateEndFrame || (rules.DropLastOctetsByte && _nextDataIsOctets));

    private async ValueTask BeginOutboundFrameAsync(CancellationToken ct)
    {
        if (_outFrame.Type == WireFrame.Header)
        {
            _outHeaderContent.SetLength(0);
            return;
        }

        if (Reframing)
        {
            return;
        }

        await WriteFrameHeaderAsync(_outFrame.Type, _outFrame.Flag, _outFrame.Length, ct).ConfigureAwait(false);
    }

    private async ValueTask OutboundPayloadAsync(ReadOnlyMemory<byte> payload, CancellationToken ct)
    {
        if (_outFrame.Type == WireFrame.Header)
        {
            _outHeaderContent.Write(payload.Span);
            return;
        }

        if (!Reframing)
        {
            await Inner.WriteAsync(payload, ct).ConfigureAwait(false);
            return;
        }

        int limit = rules.DataFrameLimit ?? Frames.FrameLimits.MaxPayload;
        _dataBuffer ??= new byte[limit];
        while (payload.Length > 0)
        {
            if (_dataLength == limit)
            {
                await WriteDataFrameAsync(end: false, ct).ConfigureAwait(false);
            }

            int take = Math.Min(limit - _dataLength, payload.Length);
            payload.Span[..take].CopyTo(_dataBuffer.AsSpan(_dataLength));
            _dataLength += take;
            payload = payload[take..];
        }
    }

    private async ValueTask EndOutboundFrameAsync(CancellationToken ct)
    {
        _outHeaderFill = 0;
        bool end = _outFrame.Flag != 0;
        if (_outFrame.Type == WireFrame.Header)
        {
            byte[] content = _outHeaderContent.ToArray();
            if (end)
            {
                NoteResponse(content);
                content = rules.OutboundHeader?.Invoke(content) ?? content;
                if (rules.DropHeader?.Invoke(content) == true)
                {
                    return;
                }
            }

            await WriteFrameHeaderAsync(WireFrame.Header, _outFrame.Flag, (uint)content.Length, ct).ConfigureAwait(false);
            await Inner.WriteAsync(content, ct).ConfigureAwait(false);
            if (end && rules.ExtraHeaderFrameAtLimit && content.Length == Frames.FrameLimits.MaxHeaderMessage)
            {
                await WriteFrameHeaderAsync(WireFrame.Header, 1, 0, ct).ConfigureAwait(false);
            }

            if (end && rules.AfterHeader?.Invoke(content) is { } after)
            {
                await Inner.WriteAsync(after, ct).ConfigureAwait(false);
            }

            return;
        }

        if (!Reframing || !end)
        {
            return;
        }

        if (rules.DropLastOctetsByte && _nextDataIsOctets && _dataLength > 0)
        {
            _dataLength--;
        }

        if (rules.SeparateEndFrame && _dataLength > 0)
        {
            await WriteDataFrameAsync(end: false, ct).ConfigureAwait(false);
        }

        await WriteDataFrameAsync(end: true, ct).ConfigureAwait(false);
        _nextDataIsOctets = false;
    }

    private void NoteResponse(byte[] content)
    {
        try
        {
            // An OK response or (for client mutants) a request (Error 0) is followed by a body of its DataType.
            var header = RpcHeader.Parse(content);
            _nextDataIsOctets = header.Error <= 1 && header.DataType == 3;
        }
        catch (ProtocolException)
        {
            _nextDataIsOctets = false;
        }
    }

    private async ValueTask WriteDataFrameAsync(bool end, CancellationToken ct)
    {
        await WriteFrameHeaderAsync(WireFrame.Data, end ? (byte)1 : (byte)0, (uint)_dataLength, ct).ConfigureAwait(false);
        if (_dataLength > 0)
        {
            await Inner.WriteAsync(_dataBuffer.AsMemory(0, _dataLength), ct).ConfigureAwait(false);
        }

        _dataLength = 0;
    }

    private ValueTask WriteFrameHeaderAsync(byte type, byte flag, uint length, CancellationToken ct)
    {
        if (rules.OutboundFlag is { } rewrite)
        {
            flag = rewrite(flag);
        }

        return Inner.WriteAsync(rules.Encode(type, flag, length), ct);
    }
}
