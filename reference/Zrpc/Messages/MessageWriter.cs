using System.Runtime.CompilerServices;
using Zrpc.Frames;

namespace Zrpc.Messages;

/// <summary>
/// Writes messages with canonical framing (MSG-4): full 4 MiB frames with the end flag clear,
/// then one end-flagged frame with the remainder (empty when the size is a multiple of 4 MiB).
/// </summary>
public sealed class MessageWriter
{
    public MessageWriter(FrameWriter frames)
    {
        Frames = frames ?? throw new ArgumentNullException(nameof(frames));
    }

    public FrameWriter Frames { get; }

    /// <summary>Writes a Header message (one end-flagged frame, at most 4096 bytes, MSG-5).</summary>
    public ValueTask WriteHeaderMessageAsync(ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        if (content.Length > FrameLimits.MaxHeaderMessage)
        {
            throw new ArgumentException($"a Header message must not exceed {FrameLimits.MaxHeaderMessage} bytes, got {content.Length} (MSG-5)", nameof(content));
        }

        // 4096 < 4 MiB, so the canonical framing is always exactly one end-flagged frame (MSG-4).
        return Frames.WriteFrameAsync(FrameType.Header, end: true, content, cancellationToken);
    }

    /// <summary>
    /// Writes a Header message followed by a whole Data message and flushes. A body that fits one
    /// frame goes out with the header in a single write (one segment per request or response);
    /// the framing is the same canonical framing as writing them one after the other (MSG-4).
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask WriteHeaderAndDataMessageAsync(ReadOnlyMemory<byte> header, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        if (header.Length > FrameLimits.MaxHeaderMessage)
        {
            throw new ArgumentException($"a Header message must not exceed {FrameLimits.MaxHeaderMessage} bytes, got {header.Length} (MSG-5)", nameof(header));
        }

        if (content.Length >= FrameLimits.MaxPayload)
        {
            await WriteHeaderMessageAsync(header, cancellationToken).ConfigureAwait(false);
            await WriteDataMessageAsync(content, cancellationToken).ConfigureAwait(false);
            return;
        }

        await Frames.WriteFramePairAsync(FrameType.Header, true, header, FrameType.Data, true, content, cancellationToken).ConfigureAwait(false);
        await Frames.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Opens a streaming Data message; dispose or complete it to send the end frame.</summary>
    public DataMessageWriteStream OpenDataMessage() => new(Frames);

    /// <summary>Writes a whole (small) Data message with canonical framing and flushes.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask WriteDataMessageAsync(ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        var stream = OpenDataMessage();
        try
        {
            await stream.WriteAsync(content, cancellationToken).ConfigureAwait(false);
            await stream.CompleteAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            stream.Abort();
        }
    }
}
