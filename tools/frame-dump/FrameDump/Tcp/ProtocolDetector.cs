using Zrpc.Frames;

namespace FrameDump.Tcp;

/// <summary>
/// Decides from a stream's first bytes whether it is this protocol: a first frame that is a
/// Header frame with a small length and a payload that opens a JSON object.
/// </summary>
public static class ProtocolDetector
{
    /// <summary>Bytes needed to decide: a frame header plus the payload's first byte.</summary>
    public const int BytesNeeded = FrameLimits.HeaderSize + 1;

    public static bool LooksLikeHeaderFrame(ReadOnlySpan<byte> start)
    {
        if (start.Length < BytesNeeded)
        {
            return false;
        }

        var header = FrameHeader.Parse(start);
        return header.RawType == (byte)FrameType.Header
            && header.RawEndFlag <= 1
            && header.Length is >= 2 and <= FrameLimits.MaxHeaderMessage
            && IsJsonObjectStart(start[FrameLimits.HeaderSize..]);
    }

    private static bool IsJsonObjectStart(ReadOnlySpan<byte> payload)
    {
        foreach (byte b in payload)
        {
            if (b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
            {
                continue;
            }

            return b == (byte)'{';
        }

        return false;
    }
}
