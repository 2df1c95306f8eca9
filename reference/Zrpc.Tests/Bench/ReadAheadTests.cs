using NUnit.Framework;
using Zrpc.Frames;
using Zrpc.Messages;
using Zrpc.Tests.Frames;

namespace Zrpc.Tests.Bench;

/// <summary>
/// The read-ahead buffer the RPC client and server use since the performance work (issue 6) must
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
}
