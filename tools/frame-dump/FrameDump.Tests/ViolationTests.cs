using System.Text;
using FrameDump.Output;
using Zrpc.Frames;

namespace FrameDump.Tests;

/// <summary>Protocol violations in a raw byte stream, each marked with the requirement id it breaks.</summary>
public class ViolationTests
{
    private static Harness.Collector DecodeRaw(byte[] stream, string side = "client")
    {
        string path = Harness.TempFile("stream.bin");
        File.WriteAllBytes(path, stream);
        return Harness.Decode(new DumpOptions { RawFile = path, RawSide = side });
    }

    private static List<string> Ids(Harness.Collector result) => result.Of<ViolationRecord>().Select(v => v.Requirement.Value).ToList();

    [Test]
    public void RawMode_DecodesRequestsWithoutAPeer()
    {
        var result = DecodeRaw(Wire.Concat(Wire.JsonRequest("Echo", "{\"x\":[1,2]}"), Wire.JsonRequest("Fail", "{\"Message\":\"m\"}")));

        var headers = result.Of<MessageRecord>().Where(m => m.RpcHeader is not null).Select(m => m.RpcHeader!.Endpoint);
        Assert.That(headers, Is.EqualTo(new[] { "Echo", "Fail" }));
        Assert.That(Ids(result), Is.Empty);
        Assert.That(result.Of<MessageRecord>()[1].BodyJson, Does.Contain("\"x\": [").Or.Contain("\"x\": ["));
    }

    [Test]
    public void RawServerSide_DecodesResponses()
    {
        var result = DecodeRaw(Wire.Concat(Wire.Failure(2, "unregistered endpoint X"), Wire.OkJson("{\"k\":true}")), side: "server");

        var messages = result.Of<MessageRecord>();
        Assert.That(messages[0].RpcHeader!.Error, Is.EqualTo(2));
        Assert.That(messages[0].RpcHeader!.ErrorMessage, Is.EqualTo("unregistered endpoint X"));
        Assert.That(messages[2].BodyJson, Does.Contain("\"k\": true"), "the OK header's DataType says how to show the body");
        Assert.That(Ids(result), Is.Empty, "with one direction recorded nothing can be paired, so nothing is blamed");
        Assert.That(result.Of<CallRecord>(), Is.Empty);
    }

    [Test]
    public void OversizeFrame_IsFrame6_AndDecodingResumesAtTheNextHeader()
    {
        var oversize = new byte[6];
        new FrameHeader(0x02, 1, FrameLimits.MaxPayload + 1).WriteTo(oversize);
        var next = Wire.JsonRequest("Echo", "{}");
        var result = DecodeRaw(Wire.Concat(Wire.HeaderMessage(Wire.HeaderJson("Sink", 3, 2)), oversize, new byte[100], next));

        Assert.That(Ids(result), Does.Contain("FRAME-6"));
        var resync = result.Of<NoticeRecord>().Single(n => n.Kind == "resync");
        Assert.That(resync.Skipped, Is.EqualTo(100));
        Assert.That(result.Of<MessageRecord>().Last().BodyJson, Is.EqualTo("{}"));
    }

    [Test]
    public void TrailerFrame_IsFrame10()
    {
        var result = DecodeRaw(Wire.Concat(Wire.Frame(FrameType.Trailer, true, "xyz"u8), Wire.JsonRequest("Echo", "1")));

        Assert.That(Ids(result), Does.Contain("FRAME-10"));
        Assert.That(result.Of<MessageRecord>().Count(m => m.RpcHeader?.Endpoint == "Echo"), Is.EqualTo(1));
    }

    [Test]
    public void DataFrameInsideAHeaderMessage_IsMsg3()
    {
        var json = Encoding.UTF8.GetBytes(Wire.HeaderJson("Echo", 2, 2));
        var stream = Wire.Concat(Wire.Frame(FrameType.Header, false, json.AsSpan(0, 10)), Wire.Frame(FrameType.Data, true, "{}\n"u8));
        var result = DecodeRaw(stream);

        Assert.That(Ids(result), Does.Contain("MSG-3"));
        var header = result.Of<MessageRecord>().First();
        Assert.That(header.Complete, Is.False);
        Assert.That(header.Length, Is.EqualTo(10), "the Data frame's payload is not added to the header message");
    }

    [Test]
    public void HeaderMessageOver4096Bytes_IsMsg5()
    {
        string big = Wire.HeaderJson("Echo", 2, 2, 0, new string('a', 4100));
        var result = DecodeRaw(Wire.HeaderMessage(big));

        Assert.That(Ids(result), Does.Contain("MSG-5"));
    }

    [Test]
    public void SplittingAMessageIntoSmallFrames_IsMsg4()
    {
        var body = "{\"a\":1}\n"u8.ToArray();
        var stream = Wire.Concat(Wire.HeaderMessage(Wire.HeaderJson("Echo", 2, 2)),
            Wire.Frame(FrameType.Data, false, body.AsSpan(0, 3)), Wire.Frame(FrameType.Data, true, body.AsSpan(3)));
        var result = DecodeRaw(stream);

        Assert.That(Ids(result), Is.EqualTo(new[] { "MSG-4" }));
        var data = result.Of<MessageRecord>().Last();
        Assert.That(data.Frames, Is.EqualTo(2));
        Assert.That(data.BodyJson, Does.Contain("\"a\": 1"), "a non-canonical message is still reassembled (MSG-2)");
    }

    [Test]
    public void NonCanonicalHeaderJson_IsHdr2()
    {
        var result = DecodeRaw(Wire.Concat(Wire.HeaderMessage("{\"endpoint\": \"Echo\", \"DataType\":2,\"Accept\":2}"), Wire.DataMessage("{}\n"u8)));

        Assert.That(Ids(result), Is.EqualTo(new[] { "HDR-2" }));
        Assert.That(result.Of<MessageRecord>().First().RpcHeader!.Endpoint, Is.EqualTo("Echo"), "HDR-4 leniency: still decoded");
    }

    [Test]
    public void MalformedHeaderJson_IsHdr5()
    {
        var result = DecodeRaw(Wire.Concat(Wire.HeaderMessage("{\"Endpoint\":\"Echo\",}"), Wire.DataMessage("{}\n"u8)));

        Assert.That(Ids(result), Does.Contain("HDR-5"));
    }

    [Test]
    public void TruncatedRecording_IsANoticeNotAViolation()
    {
        var request = Wire.JsonRequest("Echo", "{}");
        var result = DecodeRaw(request[..^3]);

        Assert.That(Ids(result), Is.Empty, "the recording ended, the peer did not misbehave");
        Assert.That(result.Of<NoticeRecord>().Single().Message, Does.Contain("capture ends inside a frame"));
        Assert.That(result.Of<FrameRecord>().Last().Completion, Is.EqualTo(Protocol.FrameCompletion.Truncated));
    }

    [Test]
    public void BadEndFlagAndMalformedRst_AreFrame3AndFrame9()
    {
        var stream = Wire.Concat(Wire.HeaderMessage(Wire.HeaderJson("Echo", 2, 2)), Wire.Frame(0x02, 0x07, "{}\n"u8), Wire.Frame(0xFF, 0x00, []));
        var result = DecodeRaw(stream);

        Assert.That(Ids(result), Is.EqualTo(new[] { "FRAME-3", "FRAME-9" }));
        Assert.That(result.Of<MessageRecord>().Last().Complete, Is.True, "flag 0x07 counts as set (FRAME-4)");
    }

    [Test]
    public void EveryViolation_CitesItsRequirementOnce_AfterTheDetail()
    {
        var oversize = new byte[6];
        new FrameHeader(0x02, 1, FrameLimits.MaxPayload + 1).WriteTo(oversize);
        var body = "{\"a\":1}\n"u8.ToArray();
        var stream = Wire.Concat(
            Wire.HeaderMessage(Wire.HeaderJson("Echo", 2, 2)), Wire.Frame(FrameType.Data, false, body.AsSpan(0, 3)), Wire.Frame(FrameType.Data, true, body.AsSpan(3)),
            Wire.HeaderMessage("{\"Endpoint\":\"Echo\",}"), Wire.DataMessage("{}\n"u8),
            Wire.Frame(FrameType.Trailer, true, "xyz"u8),
            Wire.HeaderMessage(Wire.HeaderJson("Sink", 3, 2)), oversize, new byte[100], Wire.JsonRequest("Echo", "{}"));
        var violations = DecodeRaw(stream).Of<ViolationRecord>();

        Assert.That(violations.Select(v => v.Requirement.Value), Is.SupersetOf(new[] { "MSG-4", "HDR-5", "FRAME-10", "FRAME-6" }));
        foreach (var v in violations)
        {
            Assert.That(v.Detail, Does.Not.Contain(v.Requirement.Value), "the id is written once, by the record");
            Assert.That(v.Message, Is.EqualTo($"{v.Detail} ({v.Requirement})"));
        }
    }
}
