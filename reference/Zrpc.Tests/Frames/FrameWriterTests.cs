using NUnit.Framework;
using Zrpc.Frames;

namespace Zrpc.Tests.Frames;

public class FrameWriterTests
{
    [Test, Category("FRAME-12")]
    [TestCase(0)]
    [TestCase(1)]
    [TestCase(4194304)]
    public async Task EachFrameIsOneWrite(int length)
    {
        var recording = new RecordingStream();
        var writer = new FrameWriter(recording);
        var payload = new byte[length];
        if (length > 0)
        {
            payload[^1] = 7;
        }

        await writer.WriteFrameAsync(FrameType.Data, true, payload, default);
        Assert.That(recording.Writes, Has.Count.EqualTo(1));
        Assert.That(recording.Writes[0], Is.EqualTo(Wire.Frame(FrameType.Data, true, payload)));
    }

    [Test, Category("FRAME-9")]
    public async Task RstIsTheSixCanonicalBytes_AndNothingMayFollow()
    {
        var recording = new RecordingStream();
        var writer = new FrameWriter(recording);
        await writer.WriteRstAsync(default);
        Assert.That(recording.Bytes, Is.EqualTo(Wire.Rst));
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await writer.WriteFrameAsync(FrameType.Data, true, new byte[1], default));
    }

    [Test, Category("FRAME-5")]
    public async Task OversizePayloadIsRefused()
    {
        var writer = new FrameWriter(new RecordingStream());
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await writer.WriteFrameAsync(FrameType.Data, true, new byte[FrameLimits.MaxPayload + 1], default));
    }
}
