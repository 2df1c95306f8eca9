using System.Net.Sockets;

namespace Zrpc.Conformance.Steps.Wire;

/// <summary>What the kit saw when it stopped waiting for bytes.</summary>
public enum InputEnd
{
    /// <summary>Bytes are available.</summary>
    None,
    /// <summary>Orderly end of stream.</summary>
    Closed,
    /// <summary>The transport reported an abortive close (TCP reset, broken pipe).</summary>
    Reset,
    /// <summary>Nothing arrived within the time allowed.</summary>
    TimedOut,
}

/// <summary>
/// Reads the implementation's bytes with an idle timeout. A read that times out stays pending and
/// is picked up by the next call, so a scenario can wait for "nothing" and then go on using the
/// same connection without losing bytes.
/// </summary>
public sealed class WireInput(Stream stream, Action onProgress)
{
    readonly byte[] _buffer = new byte[256 * 1024];
    int _start, _end;
    Task<int>? _pending;
    bool _eof;

    public int Buffered => _end - _start;
    public ReadOnlySpan<byte> BufferedSpan => _buffer.AsSpan(_start, _end - _start);
    public long TotalRead { get; private set; }

    public void Consume(int count)
    {
        _start += count;
        // A pending read is writing at _end; the buffer may only move when none is.
        if (_start == _end && _pending is null) _start = _end = 0;
    }

    /// <summary>Waits until at least <paramref name="count"/> bytes are buffered (count ≤ 256 KiB).</summary>
    public async Task<InputEnd> EnsureAsync(int count, TimeSpan idleTimeout)
    {
        while (Buffered < count)
        {
            var end = await FillAsync(idleTimeout);
            if (end != InputEnd.None) return end;
        }
        return InputEnd.None;
    }

    /// <summary>Reads at least one more byte into the buffer, or reports why it could not.</summary>
    public async Task<InputEnd> FillAsync(TimeSpan idleTimeout)
    {
        if (_eof) return InputEnd.Closed;
        if (_pending is null && _start == _end) _start = _end = 0;
        if (_pending is null && _end == _buffer.Length)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }
        _pending ??= stream.ReadAsync(_buffer, _end, _buffer.Length - _end);
        var finished = await Task.WhenAny(_pending, Task.Delay(idleTimeout));
        if (finished != _pending) return InputEnd.TimedOut;
        var read = _pending;
        _pending = null;
        int n;
        try { n = await read; }
        catch (Exception e) when (IsReset(e)) { _eof = true; return InputEnd.Reset; }
        if (n == 0) { _eof = true; return InputEnd.Closed; }
        _end += n;
        TotalRead += n;
        onProgress();
        return InputEnd.None;
    }

    static bool IsReset(Exception e) => e is IOException or SocketException or ObjectDisposedException
        || e.InnerException is SocketException;
}
