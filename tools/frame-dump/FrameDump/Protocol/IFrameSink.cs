using FrameDump.Tcp;
using Zrpc.Frames;

namespace FrameDump.Protocol;

/// <summary>How a frame's payload ended.</summary>
public enum FrameCompletion
{
    /// <summary>Every payload byte was seen.</summary>
    Complete,

    /// <summary>The frame boundaries are known but some payload bytes were lost in a capture gap.</summary>
    PayloadLost,

    /// <summary>The stream ended before the payload was complete.</summary>
    Truncated,

    /// <summary>The decoder gave up on the frame (gap across a frame boundary, or an illegal length).</summary>
    Abandoned,
}

/// <summary>Frame-level events of one direction, in stream order.</summary>
public interface IFrameSink
{
    void FrameStarted(FrameHeader header, long offset, DateTime time);

    void FramePayload(ReadOnlySpan<byte> chunk);

    void FramePayloadLost(long count);

    void FrameEnded(FrameCompletion completion, DateTime time);

    /// <summary>The bytes break <paramref name="requirement"/>; <paramref name="detail"/> says how, without the id.</summary>
    void Violation(RequirementId requirement, string detail, long offset, DateTime time);

    void Notice(string message, long offset, DateTime time);

    void Gap(long missing, long offset, DateTime time, bool lostSync);

    void Resynchronised(long skipped, long offset, DateTime time);

    void StreamEnded(StreamEndReason reason, long offset, DateTime time);
}
