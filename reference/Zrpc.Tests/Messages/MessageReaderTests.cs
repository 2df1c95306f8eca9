using NUnit.Framework;
using Zrpc.Frames;
using Zrpc.Messages;
using Zrpc.Tests.Frames;

namespace Zrpc.Tests.Messages;

public class MessageReaderTests
{
    private static MessageReader Over(byte[] bytes, int? readableLimit = null, int maxChunk = int.MaxValue)
        => new(new FrameReader(new GuardedStream(bytes, readableLimit ?? bytes.Length, maxChunk)));

    private static async Task<byte[]> ReadAll(Stream s)
    {
        var ms = new MemoryStream();
        await s.CopyToAsync(ms);
        return ms.ToArray();
    }

    [Test, Category("MSG-1"), Category("MSG-2")]
    public async Task HeaderMessage_InOneByteFramesAndEmptyFrames_IsConcatenated()
    {
        byte[] content = "{\"Endpoint\":\"x\"}"u8.ToArray();
        var frames = new List<byte[]> { Wire.Frame(FrameType.Header, false, []) };
        foreach (byte b in content)
        {
            frames.Add(Wire.Frame(FrameType.Header, false, [b]));
            frames.Add(Wire.Frame(FrameType.Header, false, []));
        }

        frames.Add(Wire.Frame(FrameType.Header, true, []));
        var reader = Over(Wire.Concat(frames.ToArray()), maxChunk: 1);
        var got = await reader.ReadHeaderMessageAsync(default);
        Assert.That(got!.Value.ToArray(), Is.EqualTo(content));
    }

    [Test, Category("MSG-5")]
    public async Task HeaderMessage_Of4096Bytes_IsAccepted_InTwoFrames()
    {
        byte[] content = Enumerable.Range(0, 4096).Select(i => (byte)'a').ToArray();
        var reader = Over(Wire.Concat(Wire.Frame(FrameType.Header, false, content.AsSpan(0, 4000)), Wire.Frame(FrameType.Header, true, content.AsSpan(4000))));
        var got = await reader.ReadHeaderMessageAsync(default);
        Assert.That(got!.Value.Length, Is.EqualTo(4096));
    }

    [Test, Category("MSG-5")]
    public async Task HeaderMessage_Of4097Bytes_IsRejectedBeforeReadingTheOffendingPayload()
    {
        byte[] first = Wire.Frame(FrameType.Header, false, new byte[4000]);
        byte[] second = Wire.Frame(FrameType.Header, true, new byte[97]);
        // Readable: the first frame and the second frame's header only.
        var reader = Over(Wire.Concat(first, second), readableLimit: first.Length + 6);
        var ex = await Assert.ThrowsAsync<ProtocolException>(async () => await reader.ReadHeaderMessageAsync(default));
        Assert.That(ex!.RequirementId, Is.EqualTo("MSG-5"));
    }

    [Test, Category("MSG-5")]
    public async Task HeaderMessage_SingleFrameLongerThan4096_IsRejectedWithoutReadingIt()
    {
        var reader = Over(Wire.Frame(FrameType.Header, true, new byte[5000]), readableLimit: 6);
        var ex = await Assert.ThrowsAsync<ProtocolException>(async () => await reader.ReadHeaderMessageAsync(default));
        Assert.That(ex!.RequirementId, Is.EqualTo("MSG-5"));
    }

    [Test, Category("MSG-3")]
    public async Task HeaderMessage_InterruptedByDataFrame_IsProtocolError()
    {
        var reader = Over(Wire.Concat(Wire.Frame(FrameType.Header, false, [1]), Wire.Frame(FrameType.Data, true, [2])));
        var ex = await Assert.ThrowsAsync<ProtocolException>(async () => await reader.ReadHeaderMessageAsync(default));
        Assert.That(ex!.RequirementId, Is.EqualTo("MSG-3"));
    }

    [Test, Category("MSG-3")]
    public async Task DataMessage_InterruptedByHeaderFrame_IsProtocolError_AndItsPayloadIsNotDelivered()
    {
        var reader = Over(Wire.Concat(Wire.Frame(FrameType.Data, false, [1, 2]), Wire.Frame(FrameType.Header, true, [3, 4])));
        var body = reader.OpenDataMessage();
        var buffer = new byte[16];
        Assert.That(await body.ReadAsync(buffer), Is.EqualTo(2));
        var ex = await Assert.ThrowsAsync<ProtocolException>(async () => await body.ReadAsync(buffer));
        Assert.That(ex!.RequirementId, Is.EqualTo("MSG-3"));
        // Later reads keep failing: a broken body never looks complete (CLI-4).
        await Assert.ThrowsAsync<ProtocolException>(async () => await body.ReadAsync(buffer));
    }

    [Test, Category("CONN-3")]
    public async Task CleanEndOfStreamOrRst_BeforeAHeader_IsNull()
    {
        var eof = Over([]);
        Assert.That(await eof.ReadHeaderMessageAsync(default), Is.Null);
        Assert.That(eof.ResetReceived, Is.False);

        var rst = Over(Wire.Rst);
        Assert.That(await rst.ReadHeaderMessageAsync(default), Is.Null);
        Assert.That(rst.ResetReceived, Is.True);
    }

    [Test, Category("CONN-2")]
    public async Task RstInsideAMessage_IsConnectionReset()
    {
        var header = Over(Wire.Concat(Wire.Frame(FrameType.Header, false, [1]), Wire.Rst));
        await Assert.ThrowsAsync<ConnectionResetException>(async () => await header.ReadHeaderMessageAsync(default));

        var data = Over(Wire.Concat(Wire.Frame(FrameType.Data, false, [1]), Wire.Rst));
        var body = data.OpenDataMessage();
        var ex = await Assert.ThrowsAsync<ConnectionResetException>(async () => await ReadAll(body));
        Assert.That(ex!.RequirementId, Is.EqualTo("CONN-2"));
    }

    [Test, Category("CONN-4"), Category("FRAME-11")]
    public async Task EndOfStreamInsideAMessage_IsAnError()
    {
        var header = Over(Wire.Frame(FrameType.Header, false, [1]));
        var ex1 = await Assert.ThrowsAsync<ProtocolException>(async () => await header.ReadHeaderMessageAsync(default));
        Assert.That(ex1!.RequirementId, Is.EqualTo("CONN-4"));

        var data = Over(Wire.Frame(FrameType.Data, false, [1, 2, 3]));
        var ex2 = await Assert.ThrowsAsync<ProtocolException>(async () => await ReadAll(data.OpenDataMessage()));
        Assert.That(ex2!.RequirementId, Is.EqualTo("CONN-4"));
    }

    [Test, Category("MSG-2"), Category("MSG-6")]
    public async Task DataMessage_SpansArbitraryFraming_AndReturnsZeroAfterTheEndFrame()
    {
        byte[] bytes = Wire.Concat(
            Wire.Frame(FrameType.Data, false, []),
            Wire.Frame(FrameType.Data, false, [1]),
            Wire.Frame(FrameType.Data, false, [2, 3, 4]),
            Wire.Frame(FrameType.Data, false, []),
            Wire.Frame(FrameType.Data, true, [5]),
            Wire.Frame(FrameType.Header, true, [9]));
        var reader = Over(bytes, maxChunk: 1);
        var body = reader.OpenDataMessage();
        Assert.That(await ReadAll(body), Is.EqualTo(new byte[] { 1, 2, 3, 4, 5 }));
        Assert.That(await body.ReadAsync(new byte[4]), Is.EqualTo(0));
        Assert.That((await reader.ReadHeaderMessageAsync(default))!.Value.ToArray(), Is.EqualTo(new byte[] { 9 }));
    }

    [Test, Category("MSG-2")]
    public async Task DataMessage_EmptyEndFrameAfterContent_IsPartOfTheMessage()
    {
        var reader = Over(Wire.Concat(Wire.Frame(FrameType.Data, false, [7]), Wire.Frame(FrameType.Data, true, [])));
        var body = (DataMessageReadStream)reader.OpenDataMessage();
        var buffer = new byte[8];
        Assert.That(await body.ReadAsync(buffer), Is.EqualTo(1));
        Assert.That(body.Ended, Is.False);
        Assert.That(await body.ReadAsync(buffer), Is.EqualTo(0));
        Assert.That(body.Ended, Is.True);
    }

    [Test, Category("SRV-7")]
    public async Task Drain_ReadsThroughTheEndFrame()
    {
        var reader = Over(Wire.Concat(Wire.Frame(FrameType.Data, false, new byte[1000]), Wire.Frame(FrameType.Data, true, []), Wire.Frame(FrameType.Header, true, [42])));
        var body = (DataMessageReadStream)reader.OpenDataMessage();
        await body.ReadAsync(new byte[10]);
        await body.DrainAsync(default);
        Assert.That(body.Ended, Is.True);
        Assert.That(body.BytesRead, Is.EqualTo(1000));
        Assert.That((await reader.ReadHeaderMessageAsync(default))!.Value.ToArray(), Is.EqualTo(new byte[] { 42 }));
    }

    [Test, Category("FRAME-6")]
    public async Task DataMessage_OversizeFrame_IsRejectedWithoutReadingIt()
    {
        var reader = Over(Wire.Frame(0x02, 0x01, new byte[8], lengthOverride: 4194305), readableLimit: 6);
        var ex = await Assert.ThrowsAsync<ProtocolException>(async () => await ReadAll(reader.OpenDataMessage()));
        Assert.That(ex!.RequirementId, Is.EqualTo("FRAME-6"));
    }
}
