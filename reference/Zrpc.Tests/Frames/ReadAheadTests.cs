using NUnit.Framework;
using Zrpc.Frames;
using Zrpc.Messages;

namespace Zrpc.Tests.Frames;

/// <summary>
/// The read-ahead buffer the RPC client and server use must
/// deliver exactly the frames an unbuffered reader delivers, however the bytes arrive.
/// </summary>
[TestFixture]
public class ReadAheadTests
{
    private static byte[] Frame(byte type, byte end, byte[] payload)
    {
        var bytes = new byte[FrameLimits.HeaderSize + payload.Length];
        new FrameHeader(type, end, (uint)payload.Length).WriteTo(bytes);
        payload.CopyTo(bytes, FrameLimits.HeaderSize);
        return bytes;
    }

    private static byte[] Pattern(int length, int seed) => Enumerable.Range(0, length).Select(i => (byte)(i * 7 + seed)).ToArray();

    private static async Task<List<(FrameHeader Header, byte[] Payload)>> ReadAllAsync(FrameReader reader, int readSize)
    {
        var frames = new List<(FrameHeader, byte[])>();
        var buffer = new byte[readSize];
        while (await reader.ReadHeaderAsync(CancellationToken.None) is { } header)
        {
            var payload = new MemoryStream();
            int n;
            while ((n = await reader.ReadPayloadAsync(buffer, CancellationToken.None)) > 0)
            {
                payload.Write(buffer, 0, n);
            }

            frames.Add((header, payload.ToArray()));
        }

        return frames;
    }

    [TestCase(1, 16, 3)]
    [TestCase(7, 16, 5)]
    [TestCase(int.MaxValue, 16, 64)]
    [TestCase(5, 4096, 100_000)]
    [TestCase(int.MaxValue, FrameReader.ConnectionReadAhead, 70_000)]
    public async Task Frames_read_with_read_ahead_equal_frames_read_without_it(int chunk, int readAhead, int readSize)
    {
        byte[] wire = [
            .. Frame(1, 1, Pattern(40, 1)),
            .. Frame(2, 0, Pattern(50_000, 2)),
            .. Frame(2, 0, []),
            .. Frame(2, 1, Pattern(9, 3)),
            .. Frame(0xFF, 1, []),
        ];

        var expected = await ReadAllAsync(new FrameReader(new GuardedStream(wire, wire.Length)), 1 << 20);
        var actual = await ReadAllAsync(new FrameReader(new GuardedStream(wire, wire.Length, chunk), readAhead), readSize);

        Assert.That(expected, Has.Count.EqualTo(5));
        Assert.That(actual.Select(f => f.Header), Is.EqualTo(expected.Select(f => f.Header)));
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.That(actual[i].Payload, Is.EqualTo(expected[i].Payload), $"payload of frame {i}");
        }
    }

    [Test]
    public async Task End_of_stream_inside_a_payload_is_FRAME_11_with_read_ahead()
    {
        byte[] wire = [.. Frame(2, 1, Pattern(100, 4))];
        var reader = new FrameReader(new GuardedStream(wire[..60], 60), FrameReader.ConnectionReadAhead);
        await reader.ReadHeaderAsync(CancellationToken.None);
        var buffer = new byte[1000];

        int first = await reader.ReadPayloadAsync(buffer, CancellationToken.None);
        var error = await Assert.ThrowsAsync<ProtocolException>(async () => await reader.ReadPayloadAsync(buffer, CancellationToken.None));

        Assert.That(first, Is.EqualTo(54));
        Assert.That(error!.RequirementId, Is.EqualTo("FRAME-11"));
    }

    [Test]
    public async Task A_Data_message_spanning_frames_reads_whole_through_read_ahead()
    {
        var wire = new MemoryStream();
        await new MessageWriter(new FrameWriter(wire)).WriteDataMessageAsync(Pattern(FrameLimits.MaxPayload + 12_345, 5), CancellationToken.None);
        byte[] bytes = wire.ToArray();
        var reader = new MessageReader(new FrameReader(new GuardedStream(bytes, bytes.Length, 3000), 4096));
        var body = reader.OpenDataMessageStream();
        var got = new MemoryStream();
        await body.CopyToAsync(got, 10_000);

        Assert.That(got.ToArray(), Is.EqualTo(Pattern(FrameLimits.MaxPayload + 12_345, 5)));
        Assert.That(body.Ended, Is.True);
    }

    [Test]
    public async Task Inside_a_bulk_body_the_next_header_is_read_on_its_own_and_refills_the_read_ahead_after_it()
    {
        byte[] wire = [
            .. Frame(2, 0, Pattern(50_000, 6)),
            .. Frame(2, 1, Pattern(9, 7)),
            .. Frame(1, 1, Pattern(20, 8)),
        ];
        var recorder = new ReadSizeRecorder(new GuardedStream(wire, wire.Length));
        var frames = await ReadAllAsync(new FrameReader(recorder, FrameReader.ConnectionReadAhead), 1 << 20);

        Assert.That(frames.Select(f => f.Payload.Length), Is.EqualTo(new[] { 50_000, 9, 20 }));
        Assert.That(frames[0].Payload, Is.EqualTo(Pattern(50_000, 6)));
        // First header: through the read-ahead buffer. Then the rest of the big payload straight into
        // the caller's buffer, and the next header alone (6 bytes), so no 16 KiB bite is taken out of
        // the transport between two bulk frames. After the small end frame the read-ahead is back.
        Assert.That(recorder.Sizes[0], Is.EqualTo(FrameReader.ConnectionReadAhead));
        int exact = recorder.Sizes.IndexOf(FrameLimits.HeaderSize);
        Assert.That(exact, Is.GreaterThan(0), $"read sizes: {string.Join(", ", recorder.Sizes)}");
        Assert.That(recorder.Sizes[exact - 1], Is.EqualTo(50_000 - (FrameReader.ConnectionReadAhead - FrameLimits.HeaderSize)));
        Assert.That(recorder.Sizes[exact + 1], Is.EqualTo(FrameReader.ConnectionReadAhead), "the small end frame's payload and what follows come through the read-ahead again");
    }

    /// <summary>Records how many bytes each read asked for.</summary>
    private sealed class ReadSizeRecorder(Stream inner) : Stream
    {
        public List<int> Sizes { get; } = [];

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Sizes.Add(buffer.Length);
            return inner.ReadAsync(buffer, cancellationToken);
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            Sizes.Add(count);
            return inner.Read(buffer, offset, count);
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
