using System.Text;
using FrameDump.Output;
using FrameDump.Protocol;

namespace FrameDump.Tests;

/// <summary>
/// Connections of the protocols that replaced this one in later zrepl versions are labelled and
/// counted, never decoded as frames; a go-netssh banner exchange in front of this protocol (zrepl
/// 0.0.3's ssh transport) is taken off and what follows is decoded.
/// </summary>
public class LaterProtocolTests
{
    /// <summary>go-streamrpc's 16-byte magic, version 1 (problame/go-streamrpc internal/pdu/main.go).</summary>
    private static readonly byte[] StreamRpcMagic = [0x18, 0xce, 0x72, 0x48, 0x4e, 0x61, 0x61, 0x1d, 0x71, 0xeb, 0x03, 0xa8, 0x3c, 0xe2, 0x6f, 0x01];

    /// <summary>zrepl's version handshake message for <paramref name="version"/> without extensions.</summary>
    private static byte[] Banner(int version)
    {
        string body = $"ZREPL_ZFS_REPLICATION PROTOVERSION={version:D4} EXTENSIONS=0000\n";
        return Encoding.ASCII.GetBytes($"{body.Length:D10} {body}");
    }

    private static byte[] Netssh(string message) => Encoding.ASCII.GetBytes(message.PadRight(31, '\0'));

    private static Harness.Collector Decode(Conversation c, params int[] ports) =>
        Harness.Decode(new DumpOptions { CaptureFile = c.WritePcap(Harness.TempFile("l.pcap")), Ports = ports.ToHashSet() });

    private static void AssertLabelledOnly(Harness.Collector result, string protocol, string label)
    {
        var other = result.Of<OtherProtocolRecord>().Single();
        Assert.That((other.Protocol, other.Label), Is.EqualTo((protocol, label)));
        Assert.That(result.Of<FrameRecord>(), Is.Empty, "nothing is decoded as frames");
        Assert.That(result.Of<ViolationRecord>(), Is.Empty);
        Assert.That(result.Of<NoticeRecord>(), Is.Empty);
        Assert.That(result.Of<SkippedRecord>(), Is.Empty, "a labelled connection is not skipped as unknown");
    }

    [TestCase(false)]
    [TestCase(true)]
    public void GoStreamRpcMagic_IsLabelled(bool byPort)
    {
        var c = new Conversation().Handshake()
            .Client(Wire.Concat(StreamRpcMagic, [0, 0, 0, 9, 1, 2, 3])).Server(Wire.Concat(StreamRpcMagic, [0, 0, 0, 1])).Close();

        var result = byPort ? Decode(c, 9000) : Decode(c);

        AssertLabelledOnly(result, "go-streamrpc", "go-streamrpc, magic version 1 (zrepl 0.1.0-rc1 to 0.1.0-rc3)");
        Assert.That(result.Of<CloseRecord>().Select(r => r.Offset), Is.EqualTo(new[] { 23L, 20L }), "the bytes are counted");
    }

    [Test]
    public void VersionHandshakeBanner_IsLabelledWithItsVersion()
    {
        var c = new Conversation().Handshake()
            .Client(Wire.Concat(Banner(7), "PRI * HTTP/2.0\r\n"u8.ToArray())).Server(Banner(7)).Close();

        AssertLabelledOnly(Decode(c), "zrepl-version-handshake", "zrepl version handshake ZREPL_ZFS_REPLICATION PROTOVERSION=0007 (zrepl 0.6 and later)");
    }

    [Test]
    public void VersionHandshakeFollowedByStreamRpc_NamesBoth()
    {
        var c = new Conversation().Handshake()
            .Client(Wire.Concat(Banner(1), StreamRpcMagic)).Server(Wire.Concat(Banner(1), StreamRpcMagic)).Close();

        AssertLabelledOnly(Decode(c), "zrepl-version-handshake",
            "zrepl version handshake ZREPL_ZFS_REPLICATION PROTOVERSION=0001 (zrepl 0.1 to 0.2), then go-streamrpc magic version 1 (zrepl 0.1.0-rc1 to 0.1.0-rc3)");
    }

    [Test]
    public void NetsshBannerExchange_IsTakenOffAndThisProtocolDecodedAfterIt()
    {
        // zrepl 0.0.3 over ssh+stdinserver: the server's banner first, then the client's begin, then profile fa4d209.
        var c = new Conversation().Handshake()
            .Server(Netssh("SSHCON_HELO")).Client(Netssh("SSHCON_BEGIN"));
        foreach (var segment in ProfileTests.Fa4d209(closeOnly: true).Segments.Skip(3))
        {
            c.Send(segment.FromClient, segment.Payload);
        }

        var result = Decode(c);

        var preambles = result.Of<NoticeRecord>().Where(n => n.Kind == "preamble").ToList();
        Assert.That(preambles.Select(p => (p.Direction, p.Offset)), Is.EqualTo(new[] { (Direction.ServerToClient, 0L), (Direction.ClientToServer, 0L) }));
        Assert.That(preambles[0].Message, Does.StartWith("go-netssh stdinserver banner SSHCON_HELO (31 bytes"));
        Assert.That(result.Of<ConnectionRecord>().Single().Client, Is.EqualTo("10.0.0.1:41000"));
        Assert.That(result.Of<ProfileRecord>().Single().Profile, Is.EqualTo("fa4d209"));
        Assert.That(result.Of<CallRecord>().Select(r => (r.Endpoint, r.Status)), Is.EqualTo(new (string?, ulong?)[] { ("Echo", 1), ("Close", 1) }));
        Assert.That(result.Of<MessageRecord>().First().Offset, Is.EqualTo(31), "offsets are those of the stream");
        Assert.That(result.Of<ViolationRecord>(), Is.Empty);
    }

    [Test]
    public void NetsshBannerExchangeWithoutHandshake_TakesTheBannerSenderForTheServer()
    {
        var c = new Conversation();
        c.Server(Netssh("SSHCON_HELO")).Client(Netssh("SSHCON_BEGIN")).Client(Banner(1)).Server(Banner(1));

        var result = Decode(c);

        Assert.That(result.Of<ConnectionRecord>().Single().Server, Is.EqualTo("10.0.0.2:9000"));
        Assert.That(result.Of<OtherProtocolRecord>().Single().Protocol, Is.EqualTo("zrepl-version-handshake"));
    }

    [Test]
    public void Summary_CountsLabelledConnections()
    {
        string path = Conversation.WritePcap(Harness.TempFile("mixed.pcap"),
            new Conversation().Handshake().Client(StreamRpcMagic).Server(StreamRpcMagic).Close(),
            new Conversation(clientPort: 41001).Handshake().Client(Banner(5)).Server(Banner(5)).Close(),
            ProfileTests.P6ab05ee());

        var summary = Harness.RunJson(new DumpOptions { CaptureFile = path, Summary = true }).Single();
        var other = summary.GetProperty("other_protocols");
        Assert.That(other.GetProperty("go-streamrpc, magic version 1 (zrepl 0.1.0-rc1 to 0.1.0-rc3)").GetInt32(), Is.EqualTo(1));
        Assert.That(other.GetProperty("zrepl version handshake ZREPL_ZFS_REPLICATION PROTOVERSION=0005 (zrepl 0.3 to 0.4)").GetInt32(), Is.EqualTo(1));
        Assert.That(summary.GetProperty("calls").GetInt32(), Is.EqualTo(4));
        string text = Harness.RunToString(new DumpOptions { CaptureFile = path });
        Assert.That(text, Does.Contain("C>S not this protocol: go-streamrpc, magic version 1 (zrepl 0.1.0-rc1 to 0.1.0-rc3); not decoded"));
    }

    [Test]
    public void Classify_NeedsTheWholeSignatureAndRejectsNearMisses()
    {
        var banner = Banner(1);
        Assert.That(LaterProtocols.Classify(banner, ended: false).Verdict, Is.EqualTo(LaterProtocols.Verdict.Other));
        Assert.That(LaterProtocols.Classify(banner.AsSpan(0, 49), ended: false).Verdict, Is.EqualTo(LaterProtocols.Verdict.NeedMore));
        Assert.That(LaterProtocols.Classify(banner.AsSpan(0, 49), ended: true).Verdict, Is.EqualTo(LaterProtocols.Verdict.None));
        Assert.That(LaterProtocols.Classify("0000000051 ZREPL_ZFS_REPLICATION PROTOVERSION=x"u8, ended: false).Verdict, Is.EqualTo(LaterProtocols.Verdict.None));
        Assert.That(LaterProtocols.Classify(Netssh("SSHCON_HELO").AsSpan(0, 30), ended: false).Verdict, Is.EqualTo(LaterProtocols.Verdict.NeedMore));
        Assert.That(LaterProtocols.Classify(Encoding.ASCII.GetBytes("SSHCON_HELO!".PadRight(31, '\0')), ended: false).Verdict, Is.EqualTo(LaterProtocols.Verdict.None));
        Assert.That(LaterProtocols.Classify(StreamRpcMagic.AsSpan(0, 15), ended: false).Verdict, Is.EqualTo(LaterProtocols.Verdict.NeedMore));
        Assert.That(LaterProtocols.Classify(Wire.Rst, ended: false).Verdict, Is.EqualTo(LaterProtocols.Verdict.None));
    }
}
