using Zrpc.Spec;
using NUnit.Framework;
using Zrpc.Frames;

namespace Zrpc.Tests.Frames;

/// <summary>The frame rules hold on bytes alone: no stream, no clock.</summary>
public class FrameDecoderTests
{
    [Test]
    public void AHeaderArrivingInPieces_IsAcceptedOnceComplete()
    {
        var decoder = new FrameDecoder();
        byte[] header = Wire.Frame(FrameType.Data, false, new byte[5])[..FrameLimits.HeaderSize];
        decoder.StartHeader();
        Assert.That(decoder.TakeHeaderBytes(header.AsSpan(0, 2)), Is.EqualTo(2));
        Assert.That((decoder.HeaderComplete, decoder.InsideMessage, decoder.AtMessageBoundary), Is.EqualTo((false, true, false)));
        // More bytes than the header needs: only the missing four are taken.
        Assert.That(decoder.TakeHeaderBytes([.. header.AsSpan(2), 9, 9]), Is.EqualTo(4));
        var accepted = decoder.AcceptHeader();
        Assert.That((accepted.Type, accepted.End, accepted.Length, decoder.PayloadRemaining, decoder.MessageOpen), Is.EqualTo((FrameType.Data, false, 5u, 5L, true)));
        decoder.PayloadConsumed(5);
        Assert.That(decoder.AtMessageBoundary, Is.False, "the message is still open");
    }

    [Test]
    public void EndOfStream_IsCleanOnlyAtAFrameBoundary()
    {
        var decoder = new FrameDecoder();
        decoder.StartHeader();
        Assert.That(decoder.EndOfStream(), Is.Null);
        decoder.TakeHeaderBytes([1, 0, 3]);
        var inHeader = decoder.EndOfStream();
        Assert.That((inHeader?.Requirement, inHeader?.Message), Is.EqualTo(((RequirementId?)RequirementId.Frame11, "end of stream after 3 of 6 frame header bytes (FRAME-11)")));
    }

    [Test]
    public void ARunOfEmptyFrames_OverTheBound_IsMSG7()
    {
        var decoder = new FrameDecoder { MaxEmptyFramesInARow = 2 };
        byte[] empty = Wire.Frame(FrameType.Data, false, []);
        for (int i = 0; i < 2; i++)
        {
            decoder.StartHeader();
            decoder.TakeHeaderBytes(empty);
            decoder.AcceptHeader();
        }

        decoder.StartHeader();
        decoder.TakeHeaderBytes(empty);
        var e = Assert.Throws<ProtocolException>(() => decoder.AcceptHeader());
        Assert.That(e!.Requirement, Is.EqualTo(RequirementId.Msg7));
    }
}

/// <summary>A protocol error's message ends with its id, written by the exception and only there.</summary>
public class ProtocolExceptionTests
{
    [Test]
    public void TheIdIsAppendedOnce_AndKeptTyped()
    {
        var e = new ProtocolException(RequirementId.Frame6, "frame length 5000000 exceeds the 4194304-byte limit");
        Assert.That(e.Message, Is.EqualTo("frame length 5000000 exceeds the 4194304-byte limit (FRAME-6)"));
        Assert.That((e.Requirement, e.RequirementId), Is.EqualTo((RequirementId.Frame6, "FRAME-6")));
        Assert.That(new ConnectionResetException().Requirement, Is.EqualTo(RequirementId.Conn2));
    }
}
