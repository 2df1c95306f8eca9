using FrameDump.Tcp;
using Zrpc;
using Zrpc.Frames;

namespace FrameDump.Protocol;

/// <summary>
/// Splits one direction's reassembled byte stream into frames with the reference library's
/// <see cref="FrameHeader"/> (parse and validation are not duplicated here). Payload bytes are
/// passed through in chunks and never buffered. After a gap that crosses a frame boundary, or an
/// illegal frame header, it scans for the next plausible frame header and resumes there.
/// </summary>
public sealed class FrameStreamDecoder : IStreamConsumer
{
    private readonly IFrameSink sink;
    private readonly byte[] header = new byte[FrameLimits.HeaderSize];
    private readonly byte[] window = new byte[ResyncScanner.WindowSize];
    private State state;
    private int headerFill;
    private long headerOffset;
    private DateTime headerTime;
    private long payloadRemaining;
    private int windowFill;
    private long skipped;
    private long position;

    /// <param name="synchronised">True when the stream is known to start at a frame boundary (the handshake was captured).</param>
    public FrameStreamDecoder(IFrameSink sink, bool synchronised)
    {
        this.sink = sink;
        state = synchronised ? State.Header : State.Scanning;
    }

    private enum State
    {
        Header,
        Payload,
        Scanning,
        Ended,
    }

    /// <summary>
    /// Counts <paramref name="bytes"/> that were taken off the stream in front of this decoder (a
    /// transport preamble, or a later protocol that is only labelled), so that offsets stay those
    /// of the stream.
    /// </summary>
    public void Advance(long bytes) => position += bytes;

    /// <summary>Stream offset of the next byte.</summary>
    public long Position => position;

    public bool Synchronised => state is State.Header or State.Payload;

    public void OnData(ReadOnlySpan<byte> data, DateTime time)
    {
        while (!data.IsEmpty && state != State.Ended)
        {
            int used = state switch
            {
                State.Header => TakeHeader(data, time),
                State.Payload => TakePayload(data, time),
                _ => TakeScanning(data, time),
            };
            data = data[used..];
        }
    }

    public void OnGap(long missing, DateTime time)
    {
        if (state == State.Ended)
        {
            return;
        }

        bool keepsSync = state == State.Payload && payloadRemaining >= missing;
        if (keepsSync)
        {
            sink.Gap(missing, position, time, lostSync: false);
            // The gap lies inside one frame's payload: its boundaries are still known.
            sink.FramePayloadLost(missing);
            payloadRemaining -= missing;
            position += missing;
            if (payloadRemaining == 0)
            {
                sink.FrameEnded(FrameCompletion.PayloadLost, time);
                state = State.Header;
            }

            return;
        }

        if (state == State.Payload)
        {
            sink.FramePayloadLost(payloadRemaining);
            sink.FrameEnded(FrameCompletion.Abandoned, time);
        }

        sink.Gap(missing, position, time, lostSync: state != State.Scanning);
        position += missing;
        StartScanning();
    }

    public void OnEnd(StreamEndReason reason, DateTime time)
    {
        if (state == State.Ended)
        {
            return;
        }

        if (state == State.Header && headerFill > 0)
        {
            Report(reason, RequirementId.Frame11, $"stream ended after {headerFill} of {FrameLimits.HeaderSize} frame header bytes", headerOffset, time);
        }
        else if (state == State.Payload)
        {
            Report(reason, RequirementId.Frame11, $"stream ended {payloadRemaining} bytes before the end of the frame payload", headerOffset, time);
            sink.FrameEnded(FrameCompletion.Truncated, time);
        }
        else if (state == State.Scanning && skipped + windowFill > 0)
        {
            sink.Notice($"{skipped + windowFill} bytes at the end of the stream hold no recognisable frame header", position - windowFill, time);
        }

        state = State.Ended;
        sink.StreamEnded(reason, position, time);
    }

    private void Report(StreamEndReason reason, RequirementId requirement, string detail, long offset, DateTime time)
    {
        if (reason is StreamEndReason.Fin or StreamEndReason.Reset)
        {
            sink.Violation(requirement, detail, offset, time);
        }
        else
        {
            // The capture stopped, or frame-dump stopped tracking the connection, not the peer: not a protocol violation.
            sink.Notice((reason == StreamEndReason.Evicted ? "connection evicted inside a frame: " : "capture ends inside a frame: ") + detail, offset, time);
        }
    }

    private int TakeHeader(ReadOnlySpan<byte> data, DateTime time)
    {
        if (headerFill == 0)
        {
            headerOffset = position;
            headerTime = time;
        }

        int n = Math.Min(FrameLimits.HeaderSize - headerFill, data.Length);
        data[..n].CopyTo(header.AsSpan(headerFill));
        headerFill += n;
        position += n;
        if (headerFill == FrameLimits.HeaderSize)
        {
            headerFill = 0;
            OnHeader(FrameHeader.Parse(header), time);
        }

        return n;
    }

    private void OnHeader(FrameHeader frame, DateTime time)
    {
        try
        {
            frame.Validate();
        }
        catch (ProtocolException ex)
        {
            sink.Violation(ex.Requirement, ex.Detail, headerOffset, headerTime);
            if (ex.Requirement != RequirementId.Frame10)
            {
                // Unknown type or oversize length: nothing after this header can be trusted
                // (a receiver would hang up, FRAME-6), so look for the next plausible frame.
                sink.FrameStarted(frame, headerOffset, headerTime);
                sink.FrameEnded(FrameCompletion.Abandoned, time);
                StartScanning();
                return;
            }
        }

        if (frame.RawType != (byte)FrameType.Rst && frame.RawEndFlag > 1)
        {
            sink.Violation(RequirementId.Of("FRAME-3"), $"end flag 0x{frame.RawEndFlag:x2} is neither 0x00 nor 0x01", headerOffset, headerTime);
        }

        sink.FrameStarted(frame, headerOffset, headerTime);
        if (frame.RawType == (byte)FrameType.Rst)
        {
            if (frame.RawEndFlag != 1 || frame.Length != 0)
            {
                sink.Violation(RequirementId.Of("FRAME-9"), $"RST sent as {frame}; it must be FF 01 00 00 00 00", headerOffset, headerTime);
            }

            // Recognised by type alone; its payload is never read (FRAME-8).
            sink.FrameEnded(FrameCompletion.Complete, time);
            return;
        }

        if (frame.Length == 0)
        {
            sink.FrameEnded(FrameCompletion.Complete, time);
            return;
        }

        payloadRemaining = frame.Length;
        state = State.Payload;
    }

    private int TakePayload(ReadOnlySpan<byte> data, DateTime time)
    {
        int n = (int)Math.Min(payloadRemaining, data.Length);
        sink.FramePayload(data[..n]);
        payloadRemaining -= n;
        position += n;
        if (payloadRemaining == 0)
        {
            state = State.Header;
            sink.FrameEnded(FrameCompletion.Complete, time);
        }

        return n;
    }

    private void StartScanning()
    {
        state = State.Scanning;
        headerFill = 0;
        windowFill = 0;
        skipped = 0;
    }

    private int TakeScanning(ReadOnlySpan<byte> data, DateTime time)
    {
        int used = 0;
        while (used < data.Length)
        {
            window[windowFill++] = data[used++];
            position++;
            while (windowFill > 0)
            {
                var verdict = ResyncScanner.Check(window.AsSpan(0, windowFill));
                if (verdict == ResyncScanner.Verdict.NeedMore)
                {
                    break;
                }

                if (verdict == ResyncScanner.Verdict.Reject)
                {
                    window.AsSpan(1, windowFill - 1).CopyTo(window);
                    windowFill--;
                    skipped++;
                    continue;
                }

                // A plausible frame header starts the window: replay the window as frame data.
                long start = position - windowFill;
                sink.Resynchronised(skipped, start, time);
                var replay = window.AsSpan(0, windowFill).ToArray();
                windowFill = 0;
                skipped = 0;
                state = State.Header;
                position = start;
                OnData(replay, time);
                return used;
            }
        }

        return used;
    }
}
