namespace FrameDump.Tcp;

/// <summary>Why a direction's byte stream ended.</summary>
public enum StreamEndReason
{
    Fin,
    Reset,
    EndOfCapture,

    /// <summary>
    /// The connection was still open but is no longer tracked (idle too long, or too many open
    /// connections): like the end of the capture, nothing is known about what came after.
    /// </summary>
    Evicted,
}

/// <summary>Receives one direction of a connection as an ordered byte stream.</summary>
public interface IStreamConsumer
{
    /// <summary>The next in-order bytes; <paramref name="time"/> is when the segment holding them was captured.</summary>
    void OnData(ReadOnlySpan<byte> data, DateTime time);

    /// <summary><paramref name="missing"/> bytes were never captured at this point of the stream.</summary>
    void OnGap(long missing, DateTime time);

    void OnEnd(StreamEndReason reason, DateTime time);
}
