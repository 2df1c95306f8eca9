using System.Security.Cryptography;
using FrameDump.Output;
using FrameDump.Tcp;
using Zrpc.Frames;

namespace FrameDump.Protocol;

/// <summary>Receives one direction's frames and complete messages (the RPC layer).</summary>
public interface IMessageSink
{
    void OnFrame(Direction direction, FrameRecord frame, bool partOfHeaderMessage);

    void OnMessage(Direction direction, MessageRecord message);

    void OnViolation(Direction direction, RequirementId requirement, string detail, long offset, DateTime time);

    void OnNotice(Direction direction, string kind, string message, long offset, DateTime time, long? missing = null, long? skipped = null);

    /// <summary>Bytes were lost and the decoder does not know where frames start any more.</summary>
    void OnSyncLost(Direction direction);

    void OnRst(Direction direction, DateTime time);

    void OnStreamEnded(Direction direction, StreamEndReason reason, long offset, DateTime time);
}

/// <summary>
/// Glues one direction's frames into messages (MSG-1) and checks the message-layer rules on
/// the way: frame type continuity (MSG-3), the header size cap (MSG-5, decided before the
/// payload is looked at), canonical framing (MSG-4). Data message content is counted and
/// hashed, and only its first bytes are kept (MSG-6: bounded memory whatever the body size).
/// Buffers grow with the bytes that actually arrive and are let go when the message ends, and
/// the hasher is borrowed from a pool for the length of one body: a direction between messages,
/// or stalled in a frame that announces megabytes it never sends, holds next to nothing.
/// </summary>
public sealed class MessageAssembler : IFrameSink
{
    private readonly Direction direction;
    private readonly int connection;
    private readonly IMessageSink sink;
    private readonly DecoderOptions options;
    private MessageRecord? message;
    private byte[]? headerContent;
    private int headerFill;
    private bool headerOversize;
    private bool reportedNonCanonical;
    private IncrementalHash? hash;
    private bool hashDirty;
    private byte[]? bodyHead;
    private int bodyHeadFill;
    private FrameRecord? frame;
    private int hexFill;

    public MessageAssembler(int connection, Direction direction, IMessageSink sink, DecoderOptions options)
    {
        this.connection = connection;
        this.direction = direction;
        this.sink = sink;
        this.options = options;
    }

    public void FrameStarted(FrameHeader header, long offset, DateTime time)
    {
        frame = new FrameRecord
        {
            Connection = connection,
            Time = time,
            Direction = direction,
            Offset = offset,
            RawType = header.RawType,
            RawEndFlag = header.RawEndFlag,
            Length = header.Length,
            PayloadHead = options.HexLimit > 0 ? new byte[Math.Min(options.HexLimit, (int)Math.Min(header.Length, int.MaxValue))] : null,
        };
        hexFill = 0;

        if (header.RawType == (byte)FrameType.Rst || !header.IsKnownType || header.Length > FrameLimits.MaxPayload)
        {
            return;
        }

        if (message is not null && message.RawType != header.RawType)
        {
            sink.OnViolation(direction, RequirementId.Of("MSG-3"),
                $"a {TypeName(message.RawType)} message was interrupted by a {TypeName(header.RawType)} frame before its end frame", offset, time);
            FinishMessage(complete: false, "interrupted by a frame of another type", time);
        }

        if (message is null)
        {
            StartMessage(header.RawType, offset, time);
        }

        if (header.RawType == (byte)FrameType.Header && !headerOversize && message!.Length + header.Length > FrameLimits.MaxHeaderMessage)
        {
            headerOversize = true;
            sink.OnViolation(direction, RequirementId.Of("MSG-5"),
                $"Header message content reaches {message.Length + header.Length} bytes, over the {FrameLimits.MaxHeaderMessage}-byte limit", offset, time);
        }

        if (!reportedNonCanonical)
        {
            string? problem = !header.End && header.Length != FrameLimits.MaxPayload
                ? $"a {header.Length}-byte frame without the end flag: canonical framing fills every frame but the last to {FrameLimits.MaxPayload} bytes"
                : header.End && header.Length == FrameLimits.MaxPayload
                    ? $"message ends with a full {FrameLimits.MaxPayload}-byte frame; canonical framing follows it with an empty end frame"
                    : null;
            if (problem is not null)
            {
                reportedNonCanonical = true;
                sink.OnViolation(direction, RequirementId.Of("MSG-4"), problem, offset, time);
            }
        }
    }

    public void FramePayload(ReadOnlySpan<byte> chunk)
    {
        if (frame is not null)
        {
            frame.CapturedPayload += chunk.Length;
        }

        if (frame?.PayloadHead is byte[] hex && hexFill < hex.Length)
        {
            int n = Math.Min(hex.Length - hexFill, chunk.Length);
            chunk[..n].CopyTo(hex.AsSpan(hexFill));
            hexFill += n;
        }

        if (message is null)
        {
            return;
        }

        message.Length += chunk.Length;
        if (message.RawType == (byte)FrameType.Header)
        {
            headerFill += Append(ref headerContent, headerFill, chunk, FrameLimits.MaxHeaderMessage);
        }
        else
        {
            if (options.HashBodies)
            {
                hash!.AppendData(chunk);
                hashDirty = true;
            }

            bodyHeadFill += Append(ref bodyHead, bodyHeadFill, chunk, options.BodyLimit);
        }
    }

    public void FramePayloadLost(long count)
    {
        if (frame is not null)
        {
            frame.LostBytes += count;
        }

        if (message is not null)
        {
            message.Length += count;
            message.LostBytes += count;
        }
    }

    public void FrameEnded(FrameCompletion completion, DateTime time)
    {
        var ended = frame!;
        frame = null;
        ended.Completion = completion;
        if (ended.PayloadHead is not null && hexFill < ended.PayloadHead.Length)
        {
            ended.PayloadHead = ended.PayloadHead[..hexFill];
        }

        bool inMessage = message is not null && message.RawType == ended.RawType && ended.RawType != (byte)FrameType.Rst;
        if (inMessage)
        {
            message!.Frames++;
            message.EndTime = time;
        }

        sink.OnFrame(direction, ended, inMessage && message!.RawType == (byte)FrameType.Header);

        if (ended.RawType == (byte)FrameType.Rst)
        {
            if (message is not null)
            {
                FinishMessage(complete: false, "the sender reset the connection (RST) inside the message", time);
            }

            sink.OnRst(direction, time);
            return;
        }

        if (completion == FrameCompletion.Abandoned)
        {
            if (message is not null)
            {
                FinishMessage(complete: false, "the frame boundary was lost", time);
            }

            sink.OnSyncLost(direction);
            return;
        }

        if (!inMessage)
        {
            return;
        }

        if (completion == FrameCompletion.Truncated)
        {
            FinishMessage(complete: false, "the stream ended inside it", time);
        }
        else if (ended.RawEndFlag != 0)
        {
            FinishMessage(complete: true, message!.LostBytes > 0 ? "bytes were lost in a capture gap" : null, time);
        }
    }

    public void Violation(RequirementId requirement, string detail, long offset, DateTime time) =>
        sink.OnViolation(direction, requirement, detail, offset, time);

    public void Notice(string message, long offset, DateTime time) =>
        sink.OnNotice(direction, "notice", message, offset, time);

    public void Gap(long missing, long offset, DateTime time, bool lostSync)
    {
        sink.OnNotice(direction, "gap",
            $"{missing} bytes missing from the capture at stream offset {offset}" + (lostSync ? "; frame boundary lost, resynchronising" : "; inside a frame payload, framing kept"),
            offset, time, missing: missing);
        if (lostSync)
        {
            if (message is not null)
            {
                FinishMessage(complete: false, "bytes were lost in a capture gap", time);
            }

            sink.OnSyncLost(direction);
        }
    }

    public void Resynchronised(long skipped, long offset, DateTime time) =>
        sink.OnNotice(direction, "resync", $"resynchronised on a frame header at stream offset {offset} after skipping {skipped} bytes", offset, time, skipped: skipped);

    public void StreamEnded(StreamEndReason reason, long offset, DateTime time)
    {
        if (message is not null)
        {
            if (reason is StreamEndReason.Fin or StreamEndReason.Reset)
            {
                sink.OnViolation(direction, RequirementId.Of("CONN-4"), $"the stream ended inside a {TypeName(message.RawType)} message", offset, time);
            }

            FinishMessage(complete: false, reason switch
            {
                StreamEndReason.EndOfCapture => "the capture ended inside it",
                StreamEndReason.Evicted => "the connection was evicted inside it",
                _ => "the stream ended inside it",
            }, time);
        }

        sink.OnStreamEnded(direction, reason, offset, time);
    }

    public static string TypeName(byte rawType) => rawType switch
    {
        (byte)FrameType.Header => "Header",
        (byte)FrameType.Data => "Data",
        (byte)FrameType.Trailer => "Trailer",
        (byte)FrameType.Rst => "RST",
        _ => $"0x{rawType:x2}",
    };

    private void StartMessage(byte rawType, long offset, DateTime time)
    {
        message = new MessageRecord
        {
            Connection = connection,
            Time = time,
            EndTime = time,
            Direction = direction,
            Offset = offset,
            RawType = rawType,
        };
        headerFill = 0;
        headerOversize = false;
        reportedNonCanonical = false;
        if (rawType != (byte)FrameType.Header)
        {
            // Hashers are pooled, not created per message: creating a SHA-256 context per message
            // was the biggest cost of a capture full of small JSON calls.
            if (options.HashBodies)
            {
                hash ??= options.Hashes.Rent();
                if (hashDirty)
                {
                    hash.GetHashAndReset();
                    hashDirty = false;
                }
            }

            bodyHead = null;
            bodyHeadFill = 0;
        }
    }

    /// <summary>Copies what fits of <paramref name="chunk"/> under <paramref name="limit"/>, growing the buffer as needed.</summary>
    private static int Append(ref byte[]? buffer, int fill, ReadOnlySpan<byte> chunk, int limit)
    {
        int n = Math.Min(limit - fill, chunk.Length);
        if (n <= 0)
        {
            return 0;
        }

        if (buffer is null || buffer.Length < fill + n)
        {
            int capacity = Math.Min(limit, Math.Max(fill + n, (buffer?.Length ?? 0) * 2));
            Array.Resize(ref buffer, capacity);
        }

        chunk[..n].CopyTo(buffer.AsSpan(fill));
        return n;
    }

    /// <summary>The first <paramref name="fill"/> bytes for a record; the buffer is let go.</summary>
    private static byte[] Take(ref byte[]? buffer, int fill)
    {
        byte[] taken = buffer is null ? [] : buffer.Length == fill ? buffer : buffer[..fill];
        buffer = null;
        return taken;
    }

    private void FinishMessage(bool complete, string? incomplete, DateTime time)
    {
        var done = message!;
        message = null;
        done.Complete = complete;
        done.Incomplete = incomplete;
        if (done.RawType == (byte)FrameType.Header)
        {
            done.HeaderContent = Take(ref headerContent, headerFill);
            headerFill = 0;
        }
        else
        {
            done.BodyHead = Take(ref bodyHead, bodyHeadFill);
            bodyHeadFill = 0;
            if (options.HashBodies)
            {
                byte[] digest = hash!.GetHashAndReset();
                hashDirty = false;
                done.Sha256 = done.LostBytes == 0 ? Convert.ToHexStringLower(digest) : null;
                options.Hashes.Return(hash);
                hash = null;
            }
        }

        sink.OnMessage(direction, done);
    }
}
