using Zrpc.Frames;

namespace FrameDump.Tcp;

/// <summary>
/// Decides from a stream's first bytes whether it is this protocol. Two openings qualify: a Header
/// frame with a small length whose payload opens a JSON object (every call starts so), or an RST
/// frame (type 0xFF, end flag 0 or 1, length 0), which is all a peer sends that gives up on a
/// connection before its first call. The openings of the protocols that replaced this one in
/// later zrepl versions (<see cref="FrameDump.Protocol.LaterProtocols"/>) qualify too, so that such
/// a connection is listed with its label rather than skipped as unknown.
/// </summary>
public static class ProtocolDetector
{
    /// <summary>Bytes needed to decide on a Header frame: a frame header plus the payload's first byte.</summary>
    public const int BytesNeeded = FrameLimits.HeaderSize + 1;

    public enum Verdict
    {
        NeedMore,
        Protocol,
        NotProtocol,
    }

    /// <summary>
    /// Classifies a direction's first bytes; <paramref name="ended"/> says no more bytes will come,
    /// so that an undecided prefix becomes <see cref="Verdict.NotProtocol"/>.
    /// </summary>
    public static Verdict Classify(ReadOnlySpan<byte> start, bool ended)
    {
        var verdict = Check(start);
        return verdict == Verdict.NeedMore && ended ? Verdict.NotProtocol : verdict;
    }

    private static Verdict Check(ReadOnlySpan<byte> start)
    {
        if (start.IsEmpty)
        {
            return Verdict.NeedMore;
        }

        switch (FrameDump.Protocol.LaterProtocols.Classify(start, ended: false).Verdict)
        {
            case FrameDump.Protocol.LaterProtocols.Verdict.NeedMore:
                return Verdict.NeedMore;
            case FrameDump.Protocol.LaterProtocols.Verdict.NetsshMessage or FrameDump.Protocol.LaterProtocols.Verdict.Other:
                return Verdict.Protocol;
        }

        if (start[0] == (byte)FrameType.Rst)
        {
            // Five fixed bytes: no text protocol opens so, and Telnet's IAC (0xFF) is never followed by 0x00 or 0x01.
            for (int i = 1; i < Math.Min(start.Length, FrameLimits.HeaderSize); i++)
            {
                if (i == 1 ? start[i] > 1 : start[i] != 0)
                {
                    return Verdict.NotProtocol;
                }
            }

            return start.Length >= FrameLimits.HeaderSize ? Verdict.Protocol : Verdict.NeedMore;
        }

        if (start[0] != (byte)FrameType.Header)
        {
            return Verdict.NotProtocol;
        }

        if (start.Length >= 2 && start[1] > 1)
        {
            return Verdict.NotProtocol;
        }

        if (start.Length < BytesNeeded)
        {
            return Verdict.NeedMore;
        }

        var header = FrameHeader.Parse(start);
        if (header.Length is < 2 or > FrameLimits.MaxHeaderMessage)
        {
            return Verdict.NotProtocol;
        }

        return JsonObjectStart(start[FrameLimits.HeaderSize..]);
    }

    private static Verdict JsonObjectStart(ReadOnlySpan<byte> payload)
    {
        foreach (byte b in payload)
        {
            if (b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
            {
                continue;
            }

            return b == (byte)'{' ? Verdict.Protocol : Verdict.NotProtocol;
        }

        return Verdict.NeedMore;
    }
}
