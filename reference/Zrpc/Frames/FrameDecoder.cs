namespace Zrpc.Frames;

/// <summary>
/// The frame layer's rules over bytes already received: collects the six header bytes, validates
/// the header, bounds runs of empty frames and counts the payload down. No I/O and no clock, so
/// every rule here can be checked on bytes alone; <see cref="FrameReader"/> feeds it.
/// </summary>
internal sealed class FrameDecoder
{
    private readonly byte[] _header = new byte[FrameLimits.HeaderSize];
    private int _filled;
    private int _emptyRun;

    /// <summary>
    /// Zero-length frames that may follow one another inside a message before it is a protocol
    /// error (MSG-7); 0 turns the bound off. An endless run of empty frames makes no progress yet
    /// never waits, so neither a read timeout nor the rate floor would end it.
    /// </summary>
    public int MaxEmptyFramesInARow { get; set; } = FrameLimits.MaxEmptyFramesInARow;

    /// <summary>The last complete header, until the next one starts.</summary>
    public FrameHeader? Current { get; private set; }

    /// <summary>Payload bytes of the current frame not consumed yet (0 for RST: its payload is never read, FRAME-8).</summary>
    public long PayloadRemaining { get; private set; }

    /// <summary>A message has begun and its end frame has not come yet.</summary>
    public bool MessageOpen { get; private set; }

    /// <summary>Header bytes collected so far.</summary>
    public int HeaderFilled => _filled;

    public bool HeaderComplete => _filled == FrameLimits.HeaderSize;

    /// <summary>Where the next header bytes go when they are read straight in.</summary>
    public Memory<byte> HeaderRest => _header.AsMemory(_filled);

    /// <summary>The bytes that come next belong to a message already begun: part of a header, a payload or a later frame.</summary>
    public bool InsideMessage => _filled > 0 || MessageOpen || PayloadRemaining > 0;

    /// <summary>Between messages, with nothing of the next frame received.</summary>
    public bool AtMessageBoundary => !MessageOpen && _filled == 0 && PayloadRemaining == 0;

    public void StartHeader()
    {
        if (PayloadRemaining != 0)
        {
            throw new InvalidOperationException($"the previous frame still has {PayloadRemaining} unread payload bytes");
        }

        Current = null;
        _filled = 0;
    }

    /// <summary>Copies as many header bytes as are missing from <paramref name="bytes"/>; returns how many it took.</summary>
    public int TakeHeaderBytes(ReadOnlySpan<byte> bytes)
    {
        int take = Math.Min(bytes.Length, FrameLimits.HeaderSize - _filled);
        bytes[..take].CopyTo(_header.AsSpan(_filled));
        _filled += take;
        return take;
    }

    /// <summary>Counts bytes read straight into <see cref="HeaderRest"/>.</summary>
    public void HeaderBytesRead(int n) => _filled += n;

    /// <summary>Validates the complete header (FRAME-2/6/10, MSG-7) and makes it <see cref="Current"/>.</summary>
    public FrameHeader AcceptHeader()
    {
        var header = FrameHeader.Parse(_header);
        header.Validate();
        if (header.Length == 0 && !header.End && header.Type != FrameType.Rst)
        {
            if (++_emptyRun > MaxEmptyFramesInARow && MaxEmptyFramesInARow > 0)
            {
                throw new ProtocolException(RequirementId.Msg7, $"more than {MaxEmptyFramesInARow} zero-length frames in a row inside a message");
            }
        }
        else
        {
            _emptyRun = 0;
        }

        Current = header;
        PayloadRemaining = header.Type == FrameType.Rst ? 0 : header.Length;
        MessageOpen = header.Type != FrameType.Rst && !header.End;
        return header;
    }

    public void PayloadConsumed(int n) => PayloadRemaining -= n;

    /// <summary>The stream ended; null when that is clean (at a frame boundary, FRAME-11).</summary>
    public ProtocolException? EndOfStream()
    {
        if (PayloadRemaining > 0)
        {
            return new ProtocolException(RequirementId.Frame11, $"end of stream with {PayloadRemaining} payload bytes of {Current} missing");
        }

        return _filled == 0
            ? null
            : new ProtocolException(RequirementId.Frame11, $"end of stream after {_filled} of {FrameLimits.HeaderSize} frame header bytes");
    }
}
