using System.Buffers;
using System.Buffers.Binary;

namespace Zrpc.Frames;

/// <summary>
/// The 6-byte frame header (FRAME-1). Keeps the raw bytes so that unknown types and odd end
/// flags can be represented and reported; <see cref="Validate"/> decides what is legal.
/// </summary>
public readonly record struct FrameHeader(byte RawType, byte RawEndFlag, uint Length)
{
    public FrameType Type => (FrameType)RawType;

    /// <summary>Every non-zero flag byte means "set" (FRAME-4).</summary>
    public bool End => RawEndFlag != 0;

    public bool IsKnownType => RawType is (byte)FrameType.Header or (byte)FrameType.Data
        or (byte)FrameType.Trailer or (byte)FrameType.Rst;

    /// <summary>The RST frame exactly as a sender must write it: FF 01 00 00 00 00 (FRAME-9).</summary>
    public static FrameHeader Rst => new((byte)FrameType.Rst, 1, 0);

    /// <summary>Decodes six bytes without any validation.</summary>
    public static FrameHeader Parse(ReadOnlySpan<byte> sixBytes)
    {
        if (sixBytes.Length < FrameLimits.HeaderSize)
        {
            throw new ArgumentException($"a frame header needs {FrameLimits.HeaderSize} bytes, got {sixBytes.Length}", nameof(sixBytes));
        }

        return new FrameHeader(sixBytes[0], sixBytes[1], BinaryPrimitives.ReadUInt32LittleEndian(sixBytes.Slice(2, 4)));
    }

    /// <summary>Reads a header when six bytes are available; leaves the reader untouched otherwise.</summary>
    public static bool TryRead(ref SequenceReader<byte> reader, out FrameHeader header)
    {
        Span<byte> buffer = stackalloc byte[FrameLimits.HeaderSize];
        if (!reader.TryCopyTo(buffer))
        {
            header = default;
            return false;
        }

        reader.Advance(FrameLimits.HeaderSize);
        header = Parse(buffer);
        return true;
    }

    public void WriteTo(Span<byte> destination)
    {
        if (destination.Length < FrameLimits.HeaderSize)
        {
            throw new ArgumentException($"a frame header needs {FrameLimits.HeaderSize} bytes", nameof(destination));
        }

        destination[0] = RawType;
        destination[1] = RawEndFlag;
        BinaryPrimitives.WriteUInt32LittleEndian(destination.Slice(2, 4), Length);
    }

    /// <summary>
    /// Builds a header a sender may send: the flag is written as exactly 0 or 1 (FRAME-3), the
    /// length is bounded (FRAME-5) and Trailer is never produced (FRAME-10).
    /// </summary>
    public static FrameHeader Create(FrameType type, bool end, int length)
    {
        if (type == FrameType.Trailer)
        {
            throw new ArgumentException("the Trailer frame type is reserved and must not be sent (FRAME-10)", nameof(type));
        }

        if (type == FrameType.Rst)
        {
            return Rst;
        }

        if (type is not (FrameType.Header or FrameType.Data))
        {
            throw new ArgumentException($"unknown frame type 0x{(byte)type:x2} (FRAME-2)", nameof(type));
        }

        if ((uint)length > FrameLimits.MaxPayload)
        {
            throw new ArgumentOutOfRangeException(nameof(length), length, $"a frame payload must be 0..{FrameLimits.MaxPayload} bytes (FRAME-5)");
        }

        return new FrameHeader((byte)type, end ? (byte)1 : (byte)0, (uint)length);
    }

    /// <summary>
    /// Decides from the header alone whether the frame is acceptable. RST is recognised by its
    /// type first, whatever its flag and length (FRAME-8).
    /// </summary>
    public void Validate()
    {
        if (RawType == (byte)FrameType.Rst)
        {
            return;
        }

        if (!IsKnownType)
        {
            throw new ProtocolException(RequirementId.Frame2, $"unknown frame type 0x{RawType:x2}");
        }

        if (RawType == (byte)FrameType.Trailer)
        {
            throw new ProtocolException(RequirementId.Frame10, "received a Trailer frame (type 0x03), which is reserved");
        }

        if (Length > FrameLimits.MaxPayload)
        {
            throw new ProtocolException(RequirementId.Frame6, $"frame length {Length} exceeds the {FrameLimits.MaxPayload}-byte limit");
        }
    }

    public override string ToString() => $"frame(type=0x{RawType:x2}, end=0x{RawEndFlag:x2}, length={Length})";
}
