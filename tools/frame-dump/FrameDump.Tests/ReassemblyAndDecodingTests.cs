using System.Security.Cryptography;
using System.Text;
using FrameDump.Output;

namespace FrameDump.Tests;

/// <summary>
/// Synthetic captures of one connection carrying three calls (Echo, Source with a 3000-byte
/// Octets body, Fail), damaged in the ways real captures are.
/// </summary>
public class ReassemblyAndDecodingTests
{
    private static readonly byte[] SourceBody = Wire.SourcePattern(3000);

    public static Conversation Standard(bool ipv6 = false, bool handshake = true, int mss = 1400)
    {
        var c = new Conversation(ipv6);
        if (handshake)
        {
            c.Handshake();
        }

        c.Wait(1).Client(Wire.JsonRequest("Echo", "{\"a\":1}"), mss)
            .Wait(2).Server(Wire.OkJson("{\"a\":1}"), mss)
            .Wait(1).Client(Wire.JsonRequest("Source", "{\"Length\":3000}", accept: 3), mss)
            .Wait(5).Server(Wire.OkOctets(SourceBody), mss)
            .Wait(1).Client(Wire.JsonRequest("Fail", "{\"Message\":\"boom\"}"), mss)
            .Wait(1).Server(Wire.Failure(4, "boom"), mss)
            .Wait(1).Close();
        return c;
    }

    /// <summary>What every undamaged variant of the standard conversation must decode to.</summary>
    private static void AssertStandardCalls(Harness.Collector result)
    {
        var calls = result.Of<CallRecord>();
        Assert.That(calls.Select(c => c.Endpoint), Is.EqualTo(new[] { "Echo", "Source", "Fail" }));
        Assert.That(calls.Select(c => c.Status), Is.EqualTo(new ulong?[] { 1, 1, 4 }));
        Assert.That(calls.Select(c => c.Outcome), Is.All.EqualTo("complete"));
        Assert.That(calls.Select(c => Math.Round(c.LatencyMs!.Value, 3)), Is.EqualTo(new[] { 2.0, 5.0, 1.0 }));
        Assert.That(calls[2].ErrorMessage, Is.EqualTo("boom"));

        var source = result.Of<MessageRecord>().Single(m => m.Call == 2 && m.Role == "response" && m.RawType == 0x02);
        Assert.That(source.Length, Is.EqualTo(3000));
        Assert.That(source.Complete, Is.True);
        Assert.That(source.BodyType, Is.EqualTo(3));
        Assert.That(source.Sha256, Is.EqualTo(Convert.ToHexStringLower(SHA256.HashData(SourceBody))));

        var echo = result.Of<MessageRecord>().Single(m => m.Call == 1 && m.Role == "response" && m.RawType == 0x02);
        Assert.That(echo.BodyJson, Does.Contain("\"a\": 1"));

        Assert.That(result.Of<ViolationRecord>(), Is.Empty, "an undamaged conforming exchange has no violations");
        Assert.That(result.Of<FrameRecord>(), Has.Count.EqualTo(11));
    }

    [Test]
    public void InOrderEthernetIPv4_DecodesFramesMessagesAndCalls()
    {
        var c = Standard();
        var result = Harness.DecodeCapture(c.WritePcap(Harness.TempFile("a.pcap")));

        AssertStandardCalls(result);
        var connection = result.Of<ConnectionRecord>().Single();
        Assert.That(connection.Client, Is.EqualTo("10.0.0.1:41000"));
        Assert.That(connection.Server, Is.EqualTo("10.0.0.2:9000"));
        Assert.That(connection.HandshakeSeen, Is.True);
        var request = result.Of<MessageRecord>().First();
        Assert.That(request.RpcHeader, Is.EqualTo(new Zrpc.Rpc.RpcHeader("Echo", 2, 2, 0, "")));
        Assert.That(result.Of<CloseRecord>().Select(r => r.Reason), Is.All.EqualTo("fin"));
    }

    [Test]
    public void SmallSegmentsReorderedAcrossTheStream_GiveTheSameDecoding()
    {
        var c = Standard(mss: 7);
        var random = new Random(4);
        var shuffled = c.Segments.ToList();
        // Swap neighbouring data segments of the same direction: a typical out-of-order arrival.
        for (int i = 4; i + 2 < shuffled.Count; i += 3)
        {
            if (shuffled[i].FromClient == shuffled[i + 2].FromClient && shuffled[i].Payload.Length > 0 && random.Next(2) == 0)
            {
                (shuffled[i], shuffled[i + 2]) = (shuffled[i + 2], shuffled[i]);
            }
        }

        Assert.That(shuffled, Is.Not.EqualTo(c.Segments), "the test must actually reorder");
        var result = Harness.DecodeCapture(c.WritePcap(Harness.TempFile("r.pcap"), segments: shuffled));

        AssertStandardCalls(result);
    }

    [Test]
    public void RetransmittedSegments_AreDeliveredOnce()
    {
        var c = Standard(mss: 100);
        var withCopies = new List<Segment>();
        foreach (var s in c.Segments)
        {
            withCopies.Add(s);
            if (s.Payload.Length > 0)
            {
                withCopies.Add(s with { Time = s.Time.AddTicks(1) });
            }
        }

        var result = Harness.DecodeCapture(c.WritePcap(Harness.TempFile("d.pcap"), segments: withCopies));

        AssertStandardCalls(result);
    }

    [Test]
    public void OverlappingSegments_AreTrimmed()
    {
        var c = Standard(mss: 50);
        var overlapped = new List<Segment>();
        for (int i = 0; i < c.Segments.Count; i++)
        {
            var s = c.Segments[i];
            var next = i + 1 < c.Segments.Count ? c.Segments[i + 1] : null;
            if (s.Payload.Length > 0 && next is { Payload.Length: > 0 } && next.FromClient == s.FromClient)
            {
                // Each segment also carries the first 20 bytes of the next one; then the next
                // arrives whole: 20 bytes overlap each time.
                overlapped.Add(s with { Payload = s.Payload.Concat(next.Payload.Take(20)).ToArray() });
            }
            else
            {
                overlapped.Add(s);
            }
        }

        var result = Harness.DecodeCapture(c.WritePcap(Harness.TempFile("o.pcap"), segments: overlapped));

        AssertStandardCalls(result);
    }

    [Test]
    public void MissingHandshake_StillDecodes()
    {
        var c = Standard(handshake: false);
        var result = Harness.DecodeCapture(c.WritePcap(Harness.TempFile("nh.pcap")));

        AssertStandardCalls(result);
        Assert.That(result.Of<ConnectionRecord>().Single().HandshakeSeen, Is.False);
        Assert.That(result.Of<ConnectionRecord>().Single().Client, Is.EqualTo("10.0.0.1:41000"));
    }

    [TestCase(Link.Sll)]
    [TestCase(Link.Sll2)]
    [TestCase(Link.Null)]
    [TestCase(Link.Ethernet)]
    public void LinkTypes_AllDecode(Link link)
    {
        var c = Standard();
        var result = Harness.DecodeCapture(c.WritePcap(Harness.TempFile($"{link}.pcap"), link));

        AssertStandardCalls(result);
    }

    [Test]
    public void IPv6_Decodes()
    {
        var c = Standard(ipv6: true);
        var result = Harness.DecodeCapture(c.WritePcap(Harness.TempFile("v6.pcap")));

        AssertStandardCalls(result);
        Assert.That(result.Of<ConnectionRecord>().Single().Server, Is.EqualTo("[fd00::2]:9000"));
    }

    [Test]
    public void PcapNg_Decodes()
    {
        var c = Standard(ipv6: true);
        var result = Harness.DecodeCapture(c.WritePcapNg(Harness.TempFile("a.pcapng"), Link.Sll2));

        AssertStandardCalls(result);
    }

    [Test]
    public void DroppedSegmentInsideAnOctetsPayload_KeepsFramingAndMarksTheCallDamaged()
    {
        var c = Standard(mss: 1000);
        // The Source response is 3 segments (header+data frames = 3000 + 6 + 6 + header bytes); drop its second.
        var sourceResponse = c.Segments.Where(s => !s.FromClient && s.Payload.Length > 0).Skip(1).Take(4).ToList();
        var dropped = sourceResponse[1];
        var result = Harness.DecodeCapture(c.WritePcap(Harness.TempFile("g.pcap"), segments: c.Segments.Where(s => s != dropped)));

        var gap = result.Of<NoticeRecord>().Single(n => n.Kind == "gap");
        Assert.That(gap.Missing, Is.EqualTo(1000));
        Assert.That(gap.Message, Does.Contain("framing kept"));
        Assert.That(result.Of<NoticeRecord>().Where(n => n.Kind == "resync"), Is.Empty);
        var calls = result.Of<CallRecord>();
        Assert.That(calls.Select(x => x.Outcome), Is.EqualTo(new[] { "complete", "damaged", "complete" }));
        var body = result.Of<MessageRecord>().Single(m => m.Call == 2 && m.RawType == 0x02 && m.Role == "response");
        Assert.That(body.LostBytes, Is.EqualTo(1000));
        Assert.That(body.Length, Is.EqualTo(3000));
        Assert.That(body.Sha256, Is.Null, "no hash can be given for a body with lost bytes");
    }

    [Test]
    public void DroppedSegmentAcrossFrameHeaders_ReportsTheGapAndResynchronisesOnTheNextHeader()
    {
        var c = new Conversation().Handshake();
        // Two requests in one segment each; drop the segment holding the end of call 1's body
        // and the start of call 2's header so that frame boundaries are lost.
        var first = Wire.JsonRequest("Echo", "{\"a\":1}");
        var second = Wire.JsonRequest("Echo", "{\"b\":2}");
        var stream = Wire.Concat(first, second);
        int cut1 = first.Length - 4;
        int cut2 = first.Length + 10;
        c.Client(stream[..cut1]);
        c.Client(stream[cut1..cut2]);
        c.Client(stream[cut2..]);
        var third = Wire.JsonRequest("Echo", "{\"c\":3}");
        c.Wait(1).Client(third);
        c.Wait(1).Server(Wire.Concat(Wire.OkJson("{\"a\":1}"), Wire.OkJson("{\"b\":2}"), Wire.OkJson("{\"c\":3}")));
        c.Close();
        var lost = c.Segments.Where(s => s.FromClient && s.Payload.Length > 0).ElementAt(1);
        var result = Harness.DecodeCapture(c.WritePcap(Harness.TempFile("g2.pcap"), segments: c.Segments.Where(s => s != lost)));

        var notices = result.Of<NoticeRecord>().Where(n => n.Kind is "gap" or "resync").ToList();
        Assert.That(notices.Select(n => n.Kind), Is.EqualTo(new[] { "gap", "resync" }));
        Assert.That(notices[0].Missing, Is.EqualTo(cut2 - cut1));
        Assert.That(notices[1].Offset, Is.EqualTo(first.Length + second.Length), "resynchronised exactly at the third request's header");
        var requests = result.Of<MessageRecord>().Where(m => m.Direction == Direction.ClientToServer && m.RpcHeader is not null).ToList();
        Assert.That(requests.Select(m => m.Offset), Is.EqualTo(new long[] { 0, first.Length + second.Length }));
        Assert.That(result.Of<ViolationRecord>(), Is.Empty,
            "bytes after the gap are skipped, not decoded as garbage frames, and unpairable responses are not blamed on the peers");
        Assert.That(result.Of<CallRecord>()[0].Outcome, Is.EqualTo("damaged"));
        var gapIndex = result.Records.IndexOf(notices[0]);
        var serverFirst = result.Records.FindIndex(r => r is FrameRecord { Direction: Direction.ServerToClient });
        Assert.That(gapIndex, Is.LessThan(serverFirst), "the server's acknowledgement declares the hole lost before the responses are decoded");
    }

    [Test]
    public void ReorderBufferIsBounded_AHoleThatIsNeverFilledBecomesAGap()
    {
        var consumer = new RecordingConsumer();
        var reassembler = new Tcp.StreamReassembler(consumer, maxBufferedBytes: 100);
        var t = DateTime.UnixEpoch;
        reassembler.OnSyn(0);
        reassembler.OnSegment(1, new byte[10], t);
        for (uint i = 0; i < 20; i++)
        {
            reassembler.OnSegment(21 + (i * 10), new byte[10], t);
        }

        Assert.That(consumer.Gaps, Is.EqualTo(new long[] { 10 }));
        Assert.That(consumer.Delivered, Is.GreaterThanOrEqualTo(10 + 100));
        reassembler.Flush(Tcp.StreamEndReason.EndOfCapture, t);
        Assert.That(consumer.Delivered, Is.EqualTo(210));
    }


    [Test]
    public void ContentDetection_IgnoresOtherTcpTraffic_PortSelectsExplicitly()
    {
        var proto = Standard();
        var http = new Conversation(clientPort: 42000, serverPort: 80).Handshake()
            .Client(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
            .Server(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\n\r\n")).Close();
        string path = Harness.TempFile("mixed.pcap");
        proto.Segments.AddRange(http.Segments.Select(s => s));
        // Encode the HTTP segments with the HTTP conversation's ports.
        using (var writer = new BinaryWriter(File.Create(path)))
        {
            writer.Write(0xa1b2c3d4u);
            writer.Write((ushort)2);
            writer.Write((ushort)4);
            writer.Write(0L);
            writer.Write(262144u);
            writer.Write(1u);
            foreach (var s in proto.Segments)
            {
                var owner = http.Segments.Contains(s) ? http : proto;
                var data = owner.Encode(s, Link.Ethernet);
                writer.Write((uint)((s.Time - DateTime.UnixEpoch).Ticks / 10_000_000));
                writer.Write((uint)((s.Time - DateTime.UnixEpoch).Ticks / 10 % 1_000_000));
                writer.Write((uint)data.Length);
                writer.Write((uint)data.Length);
                writer.Write(data);
            }
        }

        var detected = Harness.DecodeCapture(path);
        Assert.That(detected.Of<ConnectionRecord>().Select(r => r.Server), Is.EqualTo(new[] { "10.0.0.2:9000" }));
        AssertStandardCalls(detected);

        var byPort = Harness.DecodeCapture(path, 80);
        Assert.That(byPort.Of<ConnectionRecord>().Select(r => r.Server), Is.EqualTo(new[] { "10.0.0.2:80" }));
        Assert.That(byPort.Of<CallRecord>(), Is.Empty);
    }
}
