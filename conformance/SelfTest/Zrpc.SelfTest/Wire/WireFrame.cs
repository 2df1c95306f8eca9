namespace Zrpc.SelfTest.Wire;

/// <summary>A frame header as the mutant reads or writes it (its own idea of the length byte order).</summary>
internal readonly record struct WireFrame(byte Type, byte Flag, uint Length)
{
    public const byte Header = 0x01;
    public const byte Data = 0x02;
    public const byte Rst = 0xFF;
}

/// <summary>
/// One step of what the server's real frame reader is shown, or of what goes back to the peer:
/// bytes to hand over, a number of payload bytes to pass through unchanged, or bytes written
/// straight back to the peer.
/// </summary>
internal readonly record struct Segment(byte[]? Bytes, long PassThrough, byte[]? Reply)
{
    public static Segment Emit(byte[] bytes) => new(bytes, 0, null);

    public static Segment Pass(long count) => new(null, count, null);

    public static Segment Answer(byte[] bytes) => new(null, 0, bytes);
}

/// <summary>
/// What a wire-level mutant changes. One instance per connection (rules may keep state).
/// Null members mean "as the reference does".
/// </summary>
internal sealed class WireRules
{
    /// <summary>Reads and writes frame lengths big-endian (against FRAME-1).</summary>
    public bool BigEndianLengths { get; init; }

    /// <summary>Turns an incoming frame into what the reference reader gets to see.</summary>
    public Func<WireFrame, IEnumerable<Segment>>? Inbound { get; init; }

    /// <summary>Rewrites the end flag of every outgoing frame.</summary>
    public Func<byte, byte>? OutboundFlag { get; init; }

    /// <summary>Rewrites the content of every outgoing Header message.</summary>
    public Func<byte[], byte[]>? OutboundHeader { get; init; }

    /// <summary>Re-frames outgoing Data messages into frames of at most this many bytes.</summary>
    public int? DataFrameLimit { get; init; }

    /// <summary>Sends the last content byte of an outgoing Data message in a frame without the end flag, then an empty end frame.</summary>
    public bool SeparateEndFrame { get; init; }

    /// <summary>The 2017 header writer (spec A.3): a Header message of exactly 4096 bytes is followed by an extra empty end-flagged Header frame.</summary>
    public bool ExtraHeaderFrameAtLimit { get; init; }

    /// <summary>Drops the last byte of every Octets body sent (a server's response, a client's request).</summary>
    public bool DropLastOctetsByte { get; init; }

    /// <summary>
    /// Takes end of stream inside an incoming Data frame for the end of the body: the payload that
    /// arrived is handed over as a complete frame with the end flag set (against FRAME-11, CONN-4).
    /// Each Data frame (at most 4 MiB) is held until its payload is complete.
    /// </summary>
    public bool EndOfStreamEndsDataFrame { get; init; }

    /// <summary>Never writes an RST frame (profile fa4d209 requires one at teardown, FACONN-1 and FACLI-3).</summary>
    public bool DropRst { get; init; }

    /// <summary>Outgoing Header messages (sent as one frame) for which this is true are not written at all.</summary>
    public Func<byte[], bool>? DropHeader { get; init; }

    /// <summary>Bytes written right after an outgoing Header message with this content, or null for none.</summary>
    public Func<byte[], byte[]?>? AfterHeader { get; init; }

    public bool ReframesData => DataFrameLimit is not null || SeparateEndFrame || DropLastOctetsByte;

    /// <summary>The frame header bytes for this rule set's byte order.</summary>
    public byte[] Encode(byte type, byte flag, uint length)
    {
        var bytes = new byte[6];
        bytes[0] = type;
        bytes[1] = flag;
        if (BigEndianLengths)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(2), length);
        }
        else
        {
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(2), length);
        }

        return bytes;
    }

    /// <summary>The header the reference reader expects (always little-endian: it is the correct reader).</summary>
    public static byte[] ForReader(byte type, byte flag, uint length)
    {
        var bytes = new byte[6];
        bytes[0] = type;
        bytes[1] = flag;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(2), length);
        return bytes;
    }

    /// <summary>The frame unchanged, as the reference reader gets it.</summary>
    public static IEnumerable<Segment> Unchanged(WireFrame frame)
    {
        yield return Segment.Emit(ForReader(frame.Type, frame.Flag, frame.Length));
        if (frame.Type != WireFrame.Rst && frame.Length > 0)
        {
            yield return Segment.Pass(frame.Length);
        }
    }
}
