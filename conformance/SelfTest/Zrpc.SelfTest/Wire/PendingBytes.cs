namespace Zrpc.SelfTest.Wire;

/// <summary>
/// What a rewriting stream owes its reader before it looks at the next frame: bytes it made up
/// (a re-encoded header or frame) or a count of payload bytes to pass through from the inner
/// stream unchanged, so that a payload is never held whole.
/// </summary>
internal sealed class PendingBytes
{
    private byte[]? _emit;
    private int _emitPos;
    private long _pass;

    public bool Any => _emit is not null || _pass > 0;

    public void Emit(byte[] bytes)
    {
        _emit = bytes;
        _emitPos = 0;
    }

    public void PassThrough(long count) => _pass = count;

    /// <summary>Serves what is owed (call only when <see cref="Any"/>); 0 when the inner stream ended during a pass-through.</summary>
    public async ValueTask<int> ReadAsync(Stream inner, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        if (_emit is not null)
        {
            int n = Math.Min(buffer.Length, _emit.Length - _emitPos);
            _emit.AsSpan(_emitPos, n).CopyTo(buffer.Span);
            _emitPos += n;
            if (_emitPos == _emit.Length)
            {
                _emit = null;
            }

            return n;
        }

        int read = await inner.ReadAsync(buffer[..(int)Math.Min(buffer.Length, _pass)], cancellationToken).ConfigureAwait(false);
        _pass = read == 0 ? 0 : _pass - read;
        return read;
    }
}
