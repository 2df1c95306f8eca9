using System.Buffers.Binary;
using Zrpc.Frames;

namespace Zrpc.Tests.Frames;

/// <summary>A read-only stream over fixed bytes that fails the test if read past a boundary.</summary>
public sealed class GuardedStream(byte[] bytes, int readableLimit, int maxChunk = int.MaxValue) : Stream
{
    private int _position;

    public int Position32 => _position;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => bytes.Length;
    public override long Position { get => _position; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (buffer.Length == 0)
        {
            return 0;
        }

        if (_position >= readableLimit && _position < bytes.Length)
        {
            throw new InvalidOperationException($"read past byte {readableLimit}: the reader must not touch this data");
        }

        int n = Math.Min(Math.Min(buffer.Length, maxChunk), Math.Min(bytes.Length, readableLimit) - _position);
        if (n <= 0)
        {
            return 0;
        }

        bytes.AsSpan(_position, n).CopyTo(buffer);
        _position += n;
        return n;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        => ValueTask.FromResult(Read(buffer.Span));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => Task.FromResult(Read(buffer.AsSpan(offset, count)));

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary>A write-only stream that records every Write call separately.</summary>
public sealed class RecordingStream : Stream
{
    private readonly MemoryStream _all = new();

    public List<byte[]> Writes { get; } = new();

    public byte[] Bytes => _all.ToArray();

    public int FlushCount { get; private set; }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => _all.Length;
    public override long Position { get => _all.Length; set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        Writes.Add(buffer.ToArray());
        _all.Write(buffer);
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        Write(buffer.AsSpan(offset, count));
        return Task.CompletedTask;
    }

    public override void Flush() => FlushCount++;
    public override Task FlushAsync(CancellationToken cancellationToken) { FlushCount++; return Task.CompletedTask; }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}

/// <summary>Builds and splits raw frame bytes for tests, independently of the code under test.</summary>
public static class Wire
{
    public static byte[] Frame(byte type, byte flag, ReadOnlySpan<byte> payload, uint? lengthOverride = null)
    {
        var bytes = new byte[6 + payload.Length];
        bytes[0] = type;
        bytes[1] = flag;
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(2), lengthOverride ?? (uint)payload.Length);
        payload.CopyTo(bytes.AsSpan(6));
        return bytes;
    }

    public static byte[] Frame(FrameType type, bool end, ReadOnlySpan<byte> payload) => Frame((byte)type, end ? (byte)1 : (byte)0, payload);

    public static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    public static readonly byte[] Rst = [0xFF, 0x01, 0, 0, 0, 0];

    /// <summary>Splits bytes into frames; throws when they do not divide exactly.</summary>
    public static List<(byte Type, byte Flag, byte[] Payload)> Split(ReadOnlySpan<byte> bytes)
    {
        var frames = new List<(byte, byte, byte[])>();
        int p = 0;
        while (p < bytes.Length)
        {
            if (bytes.Length - p < 6)
            {
                throw new FormatException($"{bytes.Length - p} trailing bytes are not a frame header");
            }

            uint length = BinaryPrimitives.ReadUInt32LittleEndian(bytes.Slice(p + 2, 4));
            if (bytes[p] == 0xFF)
            {
                frames.Add((bytes[p], bytes[p + 1], []));
                p += 6;
                continue;
            }

            if (bytes.Length - p - 6 < length)
            {
                throw new FormatException("truncated frame");
            }

            frames.Add((bytes[p], bytes[p + 1], bytes.Slice(p + 6, (int)length).ToArray()));
            p += 6 + (int)length;
        }

        return frames;
    }
}
