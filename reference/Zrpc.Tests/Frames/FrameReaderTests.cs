using NUnit.Framework;
using Zrpc.Frames;

namespace Zrpc.Tests.Frames;

public class FrameReaderTests
{
    [Test, Category("FRAME-6")]
    public async Task OversizeLength_IsRejectedFromTheHeaderAlone_WithoutReadingPayload()
    {
        // 4 MiB + 1 announced, a few payload bytes present that must never be read.
        byte[] bytes = Wire.Frame(0x02, 0x01, new byte[16], lengthOverride: FrameLimits.MaxPayload + 1);
        var stream = new GuardedStream(bytes, readableLimit: 6);
        var reader = new FrameReader(stream);
        var ex = await Assert.ThrowsAsync<ProtocolException>(async () => await reader.ReadHeaderAsync(default));
        Assert.That(ex!.RequirementId, Is.EqualTo("FRAME-6"));
        Assert.That(stream.Position32, Is.EqualTo(6));
    }

    [Test, Category("FRAME-7")]
    public async Task ReadsMaximumLengthFrame()
    {
        byte[] payload = new byte[FrameLimits.MaxPayload];
        payload[^1] = 0xAB;
        var reader = new FrameReader(new MemoryStream(Wire.Frame(FrameType.Data, true, payload)));
        var header = await reader.ReadHeaderAsync(default);
        Assert.That(header!.Value.Length, Is.EqualTo((uint)FrameLimits.MaxPayload));
        var got = new byte[FrameLimits.MaxPayload];
        await reader.ReadPayloadExactlyAsync(got, default);
        Assert.That(got[^1], Is.EqualTo(0xAB));
        Assert.That(await reader.ReadHeaderAsync(default), Is.Null);
    }

    [Test, Category("FRAME-7")]
    public async Task ZeroLengthFramesAreLegal()
    {
        var reader = new FrameReader(new MemoryStream(Wire.Concat(Wire.Frame(FrameType.Header, false, []), Wire.Frame(FrameType.Data, true, []))));
        Assert.That((await reader.ReadHeaderAsync(default))!.Value, Is.EqualTo(new FrameHeader(1, 0, 0)));
        Assert.That(await reader.ReadPayloadAsync(new byte[4], default), Is.EqualTo(0));
        Assert.That((await reader.ReadHeaderAsync(default))!.Value, Is.EqualTo(new FrameHeader(2, 1, 0)));
    }

    [Test, Category("FRAME-8")]
    public async Task RstIsReturnedWithoutReadingItsAnnouncedPayload()
    {
        byte[] bytes = Wire.Frame(0xFF, 0x00, new byte[8], lengthOverride: 99);
        var stream = new GuardedStream(bytes, readableLimit: 6);
        var reader = new FrameReader(stream);
        var header = await reader.ReadHeaderAsync(default);
        Assert.That(header!.Value.Type, Is.EqualTo(FrameType.Rst));
        Assert.That(reader.PayloadRemaining, Is.EqualTo(0));
        Assert.That(stream.Position32, Is.EqualTo(6));
    }

    [Test, Category("FRAME-11")]
    [TestCase(1)]
    [TestCase(3)]
    [TestCase(5)]
    public async Task EndOfStreamInsideHeader_IsTruncatedFrame(int headerBytes)
    {
        byte[] bytes = Wire.Frame(FrameType.Data, true, [1, 2])[..headerBytes];
        var reader = new FrameReader(new MemoryStream(bytes));
        var ex = await Assert.ThrowsAsync<ProtocolException>(async () => await reader.ReadHeaderAsync(default));
        Assert.That(ex!.RequirementId, Is.EqualTo("FRAME-11"));
    }

    [Test, Category("FRAME-11")]
    public async Task EndOfStreamInsidePayload_IsTruncatedFrame()
    {
        byte[] bytes = Wire.Frame(FrameType.Data, true, [1, 2, 3, 4])[..8];
        var reader = new FrameReader(new MemoryStream(bytes));
        await reader.ReadHeaderAsync(default);
        var buffer = new byte[4];
        Assert.That(await reader.ReadPayloadAsync(buffer, default), Is.EqualTo(2));
        var ex = await Assert.ThrowsAsync<ProtocolException>(async () => await reader.ReadPayloadAsync(buffer, default));
        Assert.That(ex!.RequirementId, Is.EqualTo("FRAME-11"));
    }

    [Test, Category("FRAME-1")]
    public async Task HeaderDeliveredOneByteAtATime_IsAssembled()
    {
        byte[] bytes = Wire.Frame(FrameType.Header, true, [9, 8, 7]);
        var reader = new FrameReader(new GuardedStream(bytes, bytes.Length, maxChunk: 1));
        var header = await reader.ReadHeaderAsync(default);
        Assert.That(header!.Value, Is.EqualTo(new FrameHeader(1, 1, 3)));
        var payload = new byte[3];
        await reader.ReadPayloadExactlyAsync(payload, default);
        Assert.That(payload, Is.EqualTo(new byte[] { 9, 8, 7 }));
    }

    [Test, Category("FRAME-1")]
    public async Task PayloadReadIsBoundedByTheFrame()
    {
        byte[] bytes = Wire.Concat(Wire.Frame(FrameType.Data, false, [1, 2]), Wire.Frame(FrameType.Data, true, [3]));
        var reader = new FrameReader(new MemoryStream(bytes));
        await reader.ReadHeaderAsync(default);
        var buffer = new byte[10];
        Assert.That(await reader.ReadPayloadAsync(buffer, default), Is.EqualTo(2));
        Assert.That(await reader.ReadPayloadAsync(buffer, default), Is.EqualTo(0));
        Assert.That((await reader.ReadHeaderAsync(default))!.Value.Length, Is.EqualTo(1u));
    }

    [Test, Category("CONN-5")]
    public async Task ReadTimeout_AppliesInsideAFrame()
    {
        var pipe = new System.IO.Pipelines.Pipe();
        await pipe.Writer.WriteAsync(new byte[] { 0x02, 0x01, 10, 0, 0, 0, 1 });
        var reader = new FrameReader(pipe.Reader.AsStream()) { ReadTimeout = TimeSpan.FromMilliseconds(100) };
        await reader.ReadHeaderAsync(default);
        var buffer = new byte[10];
        await reader.ReadPayloadAsync(buffer, default);
        var ex = await Assert.ThrowsAsync<ProtocolException>(async () => await reader.ReadPayloadAsync(buffer, default));
        Assert.That(ex!.RequirementId, Is.EqualTo("CONN-5"));
    }

    [Test, Category("CONN-5")]
    public async Task ReadTimeout_AppliesEvenWhenTheStreamIgnoresCancellation()
    {
        // A process's stdin behaves like this: its reads cannot be cancelled.
        var stream = new UncancellableStream(new byte[] { 0x01, 0x01, 0x20 });
        var reader = new FrameReader(stream) { ReadTimeout = TimeSpan.FromMilliseconds(200) };
        var ex = await Assert.ThrowsAsync<ProtocolException>(async () => await reader.ReadHeaderAsync(default));
        Assert.That(ex!.RequirementId, Is.EqualTo("CONN-5"));
    }

    /// <summary>Hands out its bytes, then blocks forever on the next read, whatever the token says.</summary>
    private sealed class UncancellableStream(byte[] bytes) : Stream
    {
        private int _position;
        private readonly TaskCompletionSource<int> _never = new();

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_position == bytes.Length) return new ValueTask<int>(_never.Task);
            var n = Math.Min(buffer.Length, bytes.Length - _position);
            bytes.AsSpan(_position, n).CopyTo(buffer.Span);
            _position += n;
            return new ValueTask<int>(n);
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    [Test, Category("MSG-7")]
    public async Task A_run_of_empty_frames_is_bounded_and_a_frame_with_payload_restarts_the_count()
    {
        var empty = Wire.Frame(FrameType.Data, false, []);
        var allowed = Wire.Concat([.. Enumerable.Repeat(empty, 1024), Wire.Frame(FrameType.Data, false, [7]), .. Enumerable.Repeat(empty, 1024), Wire.Frame(FrameType.Data, true, [])]);
        var reader = new FrameReader(new MemoryStream(allowed));
        int frames = 0;
        while (await reader.ReadHeaderAsync(CancellationToken.None) is { } header)
        {
            frames++;
            await reader.SkipPayloadAsync(new byte[8], CancellationToken.None);
            if (header.End) break;
        }
        Assert.That(frames, Is.EqualTo(2050));

        var tooMany = new FrameReader(new MemoryStream(Wire.Concat([.. Enumerable.Repeat(empty, 1025)])));
        var error = await Assert.ThrowsAsync<ProtocolException>(async () =>
        {
            while (await tooMany.ReadHeaderAsync(CancellationToken.None) is not null)
            {
            }
        });
        Assert.That(error!.RequirementId, Is.EqualTo("MSG-7"));
    }
}
