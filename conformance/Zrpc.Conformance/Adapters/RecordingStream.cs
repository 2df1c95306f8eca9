using System.Net.Sockets;

namespace Zrpc.Conformance.Adapters;

/// <summary>
/// Passes every byte through to the connection and records it in the scenario's
/// <see cref="TrafficLog"/>, together with end of stream and transport errors, so that a failure
/// report shows exactly what crossed the wire and how the connection ended.
/// </summary>
internal sealed class RecordingStream : Stream
{
    private readonly Stream _inner;
    private readonly TrafficLog _log;
    private readonly string _label;
    private int _endOfStreamRecorded;

    public RecordingStream(Stream inner, TrafficLog log, string label)
    {
        _inner = inner;
        _log = log;
        _label = label;
    }

    public override bool CanRead => _inner.CanRead;
    public override bool CanWrite => _inner.CanWrite;
    public override bool CanSeek => false;
    public override bool CanTimeout => _inner.CanTimeout;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        try
        {
            return AfterRead(buffer, _inner.Read(buffer));
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            RecordFailure(TrafficDirection.Received, "read", e);
            throw;
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try
        {
            var read = await _inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            return AfterRead(buffer.Span, read);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            RecordFailure(TrafficDirection.Received, "read", e);
            throw;
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        // Recorded before the write: the bytes were offered even when the peer has gone away.
        _log.Record(_label, TrafficDirection.Sent, buffer);
        try
        {
            _inner.Write(buffer);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            RecordFailure(TrafficDirection.Sent, "write", e);
            throw;
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        _log.Record(_label, TrafficDirection.Sent, buffer.Span);
        try
        {
            await _inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            RecordFailure(TrafficDirection.Sent, "write", e);
            throw;
        }
    }

    public override void Flush() => _inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => _inner.FlushAsync(cancellationToken);

    public override async ValueTask DisposeAsync()
    {
        await _inner.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }

    private int AfterRead(Span<byte> buffer, int read)
    {
        if (read > 0)
        {
            _log.Record(_label, TrafficDirection.Received, buffer[..read]);
        }
        else if (buffer.Length > 0 && Interlocked.Exchange(ref _endOfStreamRecorded, 1) == 0)
        {
            _log.RecordEvent(_label, TrafficDirection.Received, "end of stream (peer closed the connection)");
        }

        return read;
    }

    private void RecordFailure(TrafficDirection direction, string operation, Exception e)
    {
        var reason = e switch
        {
            ObjectDisposedException => "the connection was already closed by the kit",
            _ when FindSocketError(e) is { } error => $"socket error {error}",
            _ => e.Message,
        };
        _log.RecordEvent(_label, direction, $"{operation} failed: {reason}");
    }

    private static SocketError? FindSocketError(Exception e)
    {
        for (Exception? current = e; current is not null; current = current.InnerException)
        {
            if (current is SocketException socket)
            {
                return socket.SocketErrorCode;
            }
        }

        return null;
    }
}
