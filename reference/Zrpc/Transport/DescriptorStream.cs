namespace Zrpc.Transport;

/// <summary>
/// What a stream over one kernel descriptor (a socket, a pipe end) shares: it cannot seek, has no
/// length, and writes go straight to the kernel, so there is nothing to flush. Array-based reads
/// and writes go through the span overloads, which each stream implements.
/// Reads may spin before they wait (<see cref="ArrivalSpin"/>); a frame reader marks the reads
/// that continue a message, which do not.
/// </summary>
public abstract class DescriptorStream : Stream, IReadHints
{
    private bool _continuesMessage;

    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Flush() { }
    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public abstract override int Read(Span<byte> buffer);

    public abstract override void Write(ReadOnlySpan<byte> buffer);

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    // Reads on a descriptor end when their token is cancelled.
    bool IReadHints.ReadsHonourCancellation => true;

    void IReadHints.NextReadContinuesMessage() => _continuesMessage = true;

    /// <summary>Whether the read about to start was marked as continuing a message; clears the mark.</summary>
    private protected bool TakeContinuesMessage()
    {
        bool continues = _continuesMessage;
        _continuesMessage = false;
        return continues;
    }
}
