using System.Runtime.CompilerServices;
using Zrpc.Frames;

namespace Zrpc.Messages;

/// <summary>
/// Glues frames into messages (MSG-1): a Header message is collected whole (it is at most
/// 4096 bytes, MSG-5); a Data message is exposed as a stream so that it never has to sit in
/// memory (MSG-6). Only one message is read at a time.
/// </summary>
public sealed class MessageReader
{
    private DataMessageReadStream? _openData;
    private readonly byte[] _headerScratch = new byte[FrameLimits.MaxHeaderMessage];

    public MessageReader(FrameReader frames)
    {
        Frames = frames ?? throw new ArgumentNullException(nameof(frames));
    }

    public FrameReader Frames { get; }

    /// <summary>The connection's read bounds, which this layer moves between idle and inside a message.</summary>
    public ReadTimeouts Timeouts => Frames.Timeouts;

    /// <summary>
    /// True when the last <see cref="ReadHeaderMessageAsync"/> returned null because the peer sent
    /// RST (rather than closing the stream).
    /// </summary>
    public bool ResetReceived { get; private set; }

    /// <summary>
    /// How long a Header message may take from its first byte to its last (CONN-5);
    /// <see cref="Timeout.InfiniteTimeSpan"/>, the default, bounds only each read.
    /// </summary>
    public TimeSpan HeaderMessageTimeout { get; set; } = Timeout.InfiniteTimeSpan;

    /// <summary>
    /// Reads a whole Header message. Returns null on a clean end of stream or an RST before its
    /// first frame (CONN-3); see <see cref="ResetReceived"/> to tell them apart.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<ReadOnlyMemory<byte>?> ReadHeaderMessageAsync(CancellationToken cancellationToken)
    {
        if (_openData is { Ended: false })
        {
            throw new InvalidOperationException("the previous Data message has not been read to its end");
        }

        _openData = null;
        ResetReceived = false;
        var timeouts = Timeouts;
        timeouts.StopRateFloor();

        // Waiting for the first frame of a message is idle time, not an incomplete message (CONN-5/6).
        timeouts.IdleAllowed = true;
        var first = await Frames.ReadHeaderAsync(cancellationToken).ConfigureAwait(false);
        timeouts.IdleAllowed = false;
        if (first is null)
        {
            return null;
        }

        if (first.Value.Type == FrameType.Rst)
        {
            ResetReceived = true;
            return null;
        }

        // A Header message is at most 4 KiB: the whole of it, not only each read, must arrive
        // within the timeout, or one byte a second would hold the connection for ever (CONN-5).
        timeouts.StartDeadline(HeaderMessageTimeout);
        try
        {
            return await ReadHeaderContentAsync(first.Value, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            timeouts.ClearDeadline();
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ReadOnlyMemory<byte>?> ReadHeaderContentAsync(FrameHeader frame, CancellationToken cancellationToken)
    {
        byte[] content = _headerScratch;
        int length = 0;
        while (true)
        {
            if (frame.Type == FrameType.Rst)
            {
                throw new ConnectionResetException("the peer reset the connection inside a Header message");
            }

            if (frame.Type != FrameType.Header)
            {
                throw new ProtocolException(RequirementId.Msg3, $"expected a Header frame, got {frame}");
            }

            // Decided from the frame header alone, before reading the payload (MSG-5).
            if (frame.Length > (uint)(FrameLimits.MaxHeaderMessage - length))
            {
                throw new ProtocolException(RequirementId.Msg5, $"Header message content would reach {length + (long)frame.Length} bytes, over the {FrameLimits.MaxHeaderMessage}-byte limit");
            }

            await Frames.ReadPayloadExactlyAsync(content.AsMemory(length, (int)frame.Length), cancellationToken).ConfigureAwait(false);
            length += (int)frame.Length;
            if (frame.End)
            {
                break;
            }

            var next = await Frames.ReadHeaderAsync(cancellationToken).ConfigureAwait(false);
            if (next is null)
            {
                throw new ProtocolException(RequirementId.Conn4, "end of stream inside a Header message");
            }

            frame = next.Value;
        }

        return content.AsSpan(0, length).ToArray();
    }

    /// <summary>
    /// Opens the next Data message as a read-only stream that returns 0 after its end frame.
    /// Nothing is read until the stream is read.
    /// </summary>
    public Stream OpenDataMessage() => OpenDataMessageStream();

    /// <summary>Same as <see cref="OpenDataMessage"/>, typed.</summary>
    public DataMessageReadStream OpenDataMessageStream()
    {
        if (_openData is { Ended: false })
        {
            throw new InvalidOperationException("the previous Data message has not been read to its end");
        }

        Timeouts.IdleAllowed = false;
        _openData = new DataMessageReadStream(this);
        return _openData;
    }
}
