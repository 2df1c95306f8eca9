using System.Buffers;
using System.Runtime.CompilerServices;
using Zrpc.Frames;

namespace Zrpc.Messages;

/// <summary>
/// A Data message as a read-only stream spanning its frames (MSG-1/MSG-2). It returns 0 only
/// after the end-flagged frame (CLI-4, CONN-4); RST inside fails with
/// <see cref="ConnectionResetException"/>, another frame type with MSG-3. After a failure every
/// later read rethrows the same error, so a half-read body can never look complete.
/// </summary>
public sealed class DataMessageReadStream : Stream
{
    private readonly MessageReader _owner;
    private FrameReader Frames => _owner.Frames;
    private bool _inFrame;
    private bool _frameIsLast;
    private Exception? _fault;
    private long _bytesRead;

    internal DataMessageReadStream(MessageReader owner)
    {
        _owner = owner;
    }

    /// <summary>True once the end-flagged frame has been consumed entirely.</summary>
    public bool Ended { get; private set; }

    /// <summary>The error that broke this message, if any.</summary>
    public Exception? Fault => _fault;

    /// <summary>Content bytes delivered so far (or drained).</summary>
    public long BytesRead => _bytesRead;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _bytesRead; set => throw new NotSupportedException(); }

    // Pooled state machines: a bulk body is read in many awaits that complete asynchronously,
    // and each would otherwise allocate: allocation must not grow with the bytes.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_fault is not null)
        {
            throw Rethrowable(_fault);
        }

        if (Ended)
        {
            return 0;
        }

        if (buffer.Length == 0)
        {
            return 0;
        }

        try
        {
            while (true)
            {
                if (_inFrame && Frames.PayloadRemaining > 0)
                {
                    int n = await Frames.ReadPayloadAsync(buffer, cancellationToken).ConfigureAwait(false);
                    _bytesRead += n;
                    return n;
                }

                if (_inFrame && _frameIsLast)
                {
                    MarkEnded();
                    return 0;
                }

                // Awaited here, not in a method of its own: a method that waits only at frame
                // boundaries would have its pooled state machine cached on the wrong thread when
                // it next waits, and allocate (see FrameReader's reads that wait).
                AcceptFrame(await Frames.ReadHeaderAsync(cancellationToken).ConfigureAwait(false));
            }
        }
        catch (Exception ex)
        {
            // The frame reader is unusable after any failure, cancellation included.
            _fault = ex;
            throw;
        }
    }

    /// <summary>Reads and discards the rest of the message, through its end frame (SRV-7/SRV-8).</summary>
    public async ValueTask DrainAsync(CancellationToken cancellationToken)
    {
        if (Ended)
        {
            return;
        }

        byte[] scratch = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            while (await ReadAsync(scratch, cancellationToken).ConfigureAwait(false) > 0)
            {
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count)
        => ReadAsync(buffer.AsMemory(offset, count), CancellationToken.None).AsTask().GetAwaiter().GetResult();

    public override int Read(Span<byte> buffer)
    {
        byte[] temp = ArrayPool<byte>.Shared.Rent(buffer.Length);
        try
        {
            int n = Read(temp, 0, buffer.Length);
            temp.AsSpan(0, n).CopyTo(buffer);
            return n;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(temp);
        }
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    private void AcceptFrame(FrameHeader? next)
    {
        if (next is null)
        {
            throw new ProtocolException(RequirementId.Conn4, $"end of stream inside a Data message after {_bytesRead} bytes");
        }

        var frame = next.Value;
        if (frame.Type == FrameType.Rst)
        {
            throw new ConnectionResetException($"the peer reset the connection inside a Data message after {_bytesRead} bytes");
        }

        if (frame.Type != FrameType.Data)
        {
            throw new ProtocolException(RequirementId.Msg3, $"expected a Data frame, got {frame}");
        }

        _inFrame = true;
        _frameIsLast = frame.End;
    }

    private void MarkEnded()
    {
        Ended = true;
        _owner.Timeouts.IdleAllowed = true;
    }

    private static Exception Rethrowable(Exception fault) => fault switch
    {
        ProtocolException p => p,
        _ => new IOException("the Data message failed earlier: " + fault.Message, fault),
    };
}
