using Zrpc.Frames;

namespace FrameDump.Protocol;

/// <summary>
/// What counts as a plausible frame header when looking for the frame boundary again. Only
/// strong signatures: six random bytes inside an Octets body must not pass for a frame.
/// A Header frame (flag 0/1, length up to the 4096-byte header limit, payload opening a JSON
/// object), an RST exactly as FRAME-9 writes it, or a full canonical 4 MiB Data frame (MSG-4).
/// </summary>
public static class ResyncScanner
{
    public const int WindowSize = FrameLimits.HeaderSize + 1;

    public enum Verdict
    {
        NeedMore,
        Reject,
        Accept,
    }

    public static Verdict Check(ReadOnlySpan<byte> window)
    {
        if (window.IsEmpty)
        {
            return Verdict.NeedMore;
        }

        return window[0] switch
        {
            (byte)FrameType.Header => CheckHeader(window),
            (byte)FrameType.Rst => CheckExact(window, [0xFF, 0x01, 0x00, 0x00, 0x00, 0x00]),
            (byte)FrameType.Data => CheckExact(window, [0x02, 0x00, 0x00, 0x00, 0x40, 0x00]),
            _ => Verdict.Reject,
        };
    }

    private static Verdict CheckHeader(ReadOnlySpan<byte> window)
    {
        if (window.Length >= 2 && window[1] > 1)
        {
            return Verdict.Reject;
        }

        if (window.Length < WindowSize)
        {
            return Verdict.NeedMore;
        }

        var header = FrameHeader.Parse(window);
        return header.Length is >= 2 and <= FrameLimits.MaxHeaderMessage && window[FrameLimits.HeaderSize] == (byte)'{'
            ? Verdict.Accept
            : Verdict.Reject;
    }

    private static Verdict CheckExact(ReadOnlySpan<byte> window, ReadOnlySpan<byte> expected)
    {
        int n = Math.Min(window.Length, expected.Length);
        if (!window[..n].SequenceEqual(expected[..n]))
        {
            return Verdict.Reject;
        }

        return window.Length >= expected.Length ? Verdict.Accept : Verdict.NeedMore;
    }
}
