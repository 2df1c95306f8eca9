using NUnit.Framework;
using Zrpc.Frames;
using Zrpc.Transport;

namespace Zrpc.Tests.Frames;

/// <summary>
/// The frame reader tells a spinning transport which reads continue a message: only a
/// read that starts a message may spin, because only there the bytes come as a reply.
/// </summary>
public class ArrivalSpinHintTests
{
    [Test]
    public async Task OnlyReadsThatStartAMessage_AreLeftFreeToSpin()
    {
        byte[] f1 = Wire.Frame(FrameType.Header, true, [1, 2, 3]);
        byte[] f2 = Wire.Frame(FrameType.Data, false, new byte[10]);
        byte[] f3 = Wire.Frame(FrameType.Data, true, new byte[10]);
        byte[] f4 = Wire.Frame(FrameType.Header, true, []);
        var stream = new HintRecordingStream(Wire.Concat(f1, f2, f3, f4), maxChunk: 4);
        var reader = new FrameReader(stream);
        var scratch = new byte[16];
        while (await reader.ReadHeaderAsync(default) is not null)
        {
            await reader.SkipPayloadAsync(scratch, default);
        }

        int f2Start = f1.Length, f4Start = f1.Length + f2.Length + f3.Length, end = f4Start + f4.Length;
        var free = stream.Reads.Where(r => !r.ContinuesMessage).Select(r => r.Position).ToArray();
        // F3 follows F2 inside one Data message; F4 and the end of stream follow end-flagged frames.
        Assert.That(free, Is.EqualTo(new[] { 0, f2Start, f4Start, end }));
        Assert.That(stream.Reads.Count, Is.GreaterThan(free.Length + 6), "headers and payloads took several reads each");
    }

    [Test]
    public async Task ThroughADuplexStream_TheReadSideIsTold()
    {
        var readSide = new HintRecordingStream(Wire.Concat(Wire.Frame(FrameType.Data, false, new byte[8]), Wire.Frame(FrameType.Data, true, [])), maxChunk: 64);
        var reader = new FrameReader(new DuplexStream(readSide, new MemoryStream()));
        await reader.ReadHeaderAsync(default);
        await reader.ReadPayloadExactlyAsync(new byte[8], default);
        await reader.ReadHeaderAsync(default);
        Assert.That(readSide.Reads.Select(r => r.ContinuesMessage), Is.EqualTo(new[] { false, true, true }));
    }

    /// <summary>Serves bytes in chunks of at most <c>maxChunk</c> and records, per read, where it started and whether it was told it continues a message.</summary>
    private sealed class HintRecordingStream(byte[] bytes, int maxChunk) : Stream, IReadHints
    {
        private int _position;
        private bool _continues;

        public List<(int Position, bool ContinuesMessage)> Reads { get; } = [];

        public bool ReadsHonourCancellation => false;

        public void NextReadContinuesMessage() => _continues = true;

        public override int Read(Span<byte> buffer)
        {
            Reads.Add((_position, _continues));
            _continues = false;
            int n = Math.Min(Math.Min(buffer.Length, maxChunk), bytes.Length - _position);
            bytes.AsSpan(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => new(Read(buffer.Span));

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => bytes.Length;
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
