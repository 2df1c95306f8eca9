using NUnit.Framework;
using System.Buffers;
using Zrpc.Frames;

namespace Zrpc.Tests.Frames;

public class FrameHeaderTests
{
    [Test, Category("FRAME-1")]
    public void Parse_ReadsTypeFlagAndLittleEndianLength()
    {
        var header = FrameHeader.Parse([0x02, 0x00, 0x04, 0x03, 0x02, 0x01]);
        Assert.That(header.Type, Is.EqualTo(FrameType.Data));
        Assert.That(header.End, Is.False);
        Assert.That(header.Length, Is.EqualTo(0x01020304u));
    }

    [Test, Category("FRAME-1")]
    public void WriteTo_ProducesTheSixWireBytes()
    {
        var bytes = new byte[6];
        FrameHeader.Create(FrameType.Header, end: true, 0x1234).WriteTo(bytes);
        Assert.That(bytes, Is.EqualTo(new byte[] { 0x01, 0x01, 0x34, 0x12, 0x00, 0x00 }));
    }

    [Test, Category("FRAME-1")]
    public void TryRead_NeedsSixBytes_AndAdvancesPastThem()
    {
        var five = new SequenceReader<byte>(new ReadOnlySequence<byte>(new byte[] { 1, 1, 0, 0, 0 }));
        Assert.That(FrameHeader.TryRead(ref five, out _), Is.False);
        Assert.That(five.Consumed, Is.EqualTo(0));

        var seven = new SequenceReader<byte>(new ReadOnlySequence<byte>(new byte[] { 2, 1, 7, 0, 0, 0, 42 }));
        Assert.That(FrameHeader.TryRead(ref seven, out var header), Is.True);
        Assert.That(header, Is.EqualTo(new FrameHeader(2, 1, 7)));
        Assert.That(seven.Consumed, Is.EqualTo(6));
    }

    [Test, Category("FRAME-2")]
    [TestCase((byte)0x00)]
    [TestCase((byte)0x04)]
    [TestCase((byte)0x7F)]
    [TestCase((byte)0xFE)]
    public void Validate_RejectsUnknownTypes(byte type)
    {
        var ex = Assert.Throws<ProtocolException>(() => new FrameHeader(type, 1, 0).Validate());
        Assert.That(ex!.RequirementId, Is.EqualTo("FRAME-2"));
    }

    [Test, Category("FRAME-3")]
    public void Create_WritesEndFlagAsZeroOrOne()
    {
        Assert.That(FrameHeader.Create(FrameType.Data, true, 1).RawEndFlag, Is.EqualTo(1));
        Assert.That(FrameHeader.Create(FrameType.Data, false, 1).RawEndFlag, Is.EqualTo(0));
    }

    [Test, Category("FRAME-4")]
    [TestCase((byte)0x01)]
    [TestCase((byte)0x02)]
    [TestCase((byte)0x80)]
    [TestCase((byte)0xFF)]
    public void EveryNonZeroFlagMeansEnd(byte flag)
    {
        Assert.That(new FrameHeader(2, flag, 0).End, Is.True);
        Assert.That(new FrameHeader(2, 0, 0).End, Is.False);
    }

    [Test, Category("FRAME-5")]
    public void Create_RefusesOversizePayload()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => FrameHeader.Create(FrameType.Data, true, FrameLimits.MaxPayload + 1));
        Assert.That(FrameHeader.Create(FrameType.Data, true, FrameLimits.MaxPayload).Length, Is.EqualTo(4194304u));
    }

    [Test, Category("FRAME-6")]
    [TestCase(4194305u)]
    [TestCase(uint.MaxValue)]
    public void Validate_RejectsLengthOverLimit(uint length)
    {
        var ex = Assert.Throws<ProtocolException>(() => new FrameHeader(2, 0, length).Validate());
        Assert.That(ex!.RequirementId, Is.EqualTo("FRAME-6"));
        Assert.That(ex.Message, Does.Contain(length.ToString()));
    }

    [Test, Category("FRAME-7")]
    [TestCase((byte)1, 0u)]
    [TestCase((byte)1, 4194304u)]
    [TestCase((byte)2, 0u)]
    [TestCase((byte)2, 4194304u)]
    public void Validate_AcceptsLengthsUpToTheLimit(byte type, uint length)
    {
        Assert.DoesNotThrow(() => new FrameHeader(type, 0, length).Validate());
    }

    [Test, Category("FRAME-8")]
    [TestCase((byte)0, 0u)]
    [TestCase((byte)7, 99u)]
    [TestCase((byte)1, uint.MaxValue)]
    public void Validate_AcceptsRstWhateverItsFlagAndLength(byte flag, uint length)
    {
        var header = new FrameHeader(0xFF, flag, length);
        Assert.DoesNotThrow(() => header.Validate());
        Assert.That(header.Type, Is.EqualTo(FrameType.Rst));
    }

    [Test, Category("FRAME-9")]
    public void RstIsFF01ZeroLength()
    {
        var bytes = new byte[6];
        FrameHeader.Create(FrameType.Rst, false, 0).WriteTo(bytes);
        Assert.That(bytes, Is.EqualTo(new byte[] { 0xFF, 0x01, 0, 0, 0, 0 }));
    }

    [Test, Category("FRAME-10")]
    public void TrailerIsRejectedOnReceiptAndRefusedOnSend()
    {
        var ex = Assert.Throws<ProtocolException>(() => new FrameHeader(3, 1, 0).Validate());
        Assert.That(ex!.RequirementId, Is.EqualTo("FRAME-10"));
        Assert.Throws<ArgumentException>(() => FrameHeader.Create(FrameType.Trailer, true, 0));
    }
}
