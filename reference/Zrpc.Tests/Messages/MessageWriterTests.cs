using NUnit.Framework;
using Zrpc.Frames;
using Zrpc.Messages;
using Zrpc.Tests.Frames;

namespace Zrpc.Tests.Messages;

public class MessageWriterTests
{
    private const int MiB4 = 4194304;

    [Test, Category("MSG-4"), Category("FRAME-12")]
    [TestCase(0, new[] { 0 })]
    [TestCase(1, new[] { 1 })]
    [TestCase(MiB4, new[] { MiB4, 0 })]
    [TestCase(MiB4 + 1, new[] { MiB4, 1 })]
    [TestCase(2 * MiB4, new[] { MiB4, MiB4, 0 })]
    public async Task DataMessage_IsFramedCanonically(int size, int[] expectedFrameLengths)
    {
        var recording = new RecordingStream();
        var writer = new MessageWriter(new FrameWriter(recording));
        byte[] content = new byte[size];
        for (int i = 0; i < size; i++)
        {
            content[i] = (byte)(i * 7);
        }

        // Odd write sizes so that frame boundaries never line up with the caller's writes.
        await using (var stream = writer.OpenDataMessage())
        {
            int p = 0;
            int step = 1;
            while (p < size)
            {
                int n = Math.Min(step, size - p);
                await stream.WriteAsync(content.AsMemory(p, n));
                p += n;
                step = step * 3 + 1;
            }
        }

        var frames = Wire.Split(recording.Bytes);
        Assert.That(frames.Select(f => f.Payload.Length), Is.EqualTo(expectedFrameLengths));
        Assert.That(frames.Select(f => f.Type), Is.All.EqualTo((byte)2));
        Assert.That(frames.Select(f => f.Flag), Is.EqualTo(expectedFrameLengths.Select((_, i) => i == expectedFrameLengths.Length - 1 ? (byte)1 : (byte)0)));
        Assert.That(frames.SelectMany(f => f.Payload).ToArray(), Is.EqualTo(content));
        // One Stream write per frame (FRAME-12).
        Assert.That(recording.Writes, Has.Count.EqualTo(expectedFrameLengths.Length));
    }

    [Test, Category("MSG-4")]
    public async Task WriteDataMessageAsync_ForSmallBody_IsOneEndFrame()
    {
        var recording = new RecordingStream();
        await new MessageWriter(new FrameWriter(recording)).WriteDataMessageAsync("{}\n"u8.ToArray(), default);
        Assert.That(recording.Bytes, Is.EqualTo(Wire.Frame(FrameType.Data, true, "{}\n"u8)));
    }

    [Test, Category("MSG-5"), Category("MSG-4")]
    public async Task HeaderMessage_Of4096Bytes_IsOneEndFrame_AndLongerIsRefused()
    {
        var recording = new RecordingStream();
        var writer = new MessageWriter(new FrameWriter(recording));
        await writer.WriteHeaderMessageAsync(new byte[4096], default);
        var frames = Wire.Split(recording.Bytes);
        Assert.That(frames, Has.Count.EqualTo(1));
        Assert.That(frames[0].Flag, Is.EqualTo(1));
        Assert.That(frames[0].Payload, Has.Length.EqualTo(4096));
        await Assert.ThrowsAsync<ArgumentException>(async () => await writer.WriteHeaderMessageAsync(new byte[4097], default));
        Assert.That(recording.Writes, Has.Count.EqualTo(1));
    }

    [Test, Category("SRV-11")]
    public async Task AbortedDataMessage_NeverSendsAnEndFlag()
    {
        var recording = new RecordingStream();
        var writer = new MessageWriter(new FrameWriter(recording));
        var stream = writer.OpenDataMessage();
        await stream.WriteAsync(new byte[MiB4 + 10]);
        stream.Abort();
        await stream.DisposeAsync();
        var frames = Wire.Split(recording.Bytes);
        Assert.That(frames.Select(f => f.Flag), Is.All.EqualTo((byte)0));
    }
}
