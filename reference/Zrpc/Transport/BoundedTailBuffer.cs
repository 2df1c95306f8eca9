using System.Text;

namespace Zrpc.Transport;

/// <summary>
/// Keeps the last <see cref="Capacity"/> bytes written to it, so a chatty child process's stderr
/// cannot grow our memory without bound while its latest (usually most telling) output survives.
/// Thread-safe: one pump writes while callers read the text.
/// </summary>
internal sealed class BoundedTailBuffer
{
    private readonly byte[] _ring;
    private readonly object _gate = new();
    private long _total;

    public BoundedTailBuffer(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _ring = new byte[capacity];
    }

    public int Capacity => _ring.Length;

    /// <summary>Bytes ever appended, including those no longer kept.</summary>
    public long TotalBytes
    {
        get { lock (_gate) return _total; }
    }

    public void Append(ReadOnlySpan<byte> bytes)
    {
        lock (_gate)
        {
            if (bytes.Length >= _ring.Length)
            {
                // Only the tail of this chunk can survive; rotate so it starts at the ring position.
                var tail = bytes[^_ring.Length..];
                int start = (int)((_total + bytes.Length - _ring.Length) % _ring.Length);
                int first = _ring.Length - start;
                tail[..first].CopyTo(_ring.AsSpan(start));
                tail[first..].CopyTo(_ring);
            }
            else
            {
                int pos = (int)(_total % _ring.Length);
                int first = Math.Min(bytes.Length, _ring.Length - pos);
                bytes[..first].CopyTo(_ring.AsSpan(pos));
                bytes[first..].CopyTo(_ring);
            }
            _total += bytes.Length;
        }
    }

    /// <summary>The kept bytes in order (at most <see cref="Capacity"/>).</summary>
    public byte[] ToArray()
    {
        lock (_gate)
        {
            if (_total <= _ring.Length) return _ring.AsSpan(0, (int)_total).ToArray();
            int pos = (int)(_total % _ring.Length);
            var result = new byte[_ring.Length];
            _ring.AsSpan(pos).CopyTo(result);
            _ring.AsSpan(0, pos).CopyTo(result.AsSpan(_ring.Length - pos));
            return result;
        }
    }

    /// <summary>The kept bytes as UTF-8 text (invalid sequences, e.g. a character cut at the start, become U+FFFD).</summary>
    public string ToText() => Encoding.UTF8.GetString(ToArray());
}
