using System.Text;
using System.Text.Json;
using FrameDump.Output;
using Zrpc.Frames;

namespace FrameDump.Tests;

/// <summary>
/// Connections frame-dump does not decode are listed, never dropped in silence; a connection that
/// carries only an RST frame is recognised by content; connections that stay open are evicted
/// (and reported) so that memory stays flat in their number; the summary counts captured bytes.
/// </summary>
public class SkippedAndEvictedTests
{
    /// <summary>A client that connects, sends only an RST frame and closes; the server answers one byte, then resets.</summary>
    private static Conversation RstOnly(bool handshake = true, ushort clientPort = 41000)
    {
        var c = new Conversation(clientPort: clientPort);
        if (handshake)
        {
            c.Handshake();
        }

        return c.Wait(1).Client(Wire.Rst).Fin(true).Wait(1).Server([0x01]).Reset(false);
    }

    private static Conversation Http(ushort clientPort = 41001, ushort serverPort = 8080) =>
        new Conversation(clientPort: clientPort, serverPort: serverPort, start: new DateTime(2024, 1, 2, 3, 4, 5, 500, DateTimeKind.Utc))
            .Handshake()
            .Wait(1).Client(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
            .Wait(1).Server(Encoding.ASCII.GetBytes("HTTP/1.1 204 No Content\r\n\r\n"))
            .Close();

    private static string Kind(JsonElement line) => line.GetProperty("record").GetString()!;

    [TestCase(true)]
    [TestCase(false)]
    public void ConnectionCarryingOnlyAnRstFrame_IsDecodedWithoutPort(bool handshake)
    {
        string capture = RstOnly(handshake).WritePcap(Harness.TempFile("rst-only.pcap"));

        var result = Harness.DecodeCapture(capture);

        var connection = result.Of<ConnectionRecord>().Single();
        Assert.That((connection.Client, connection.Server), Is.EqualTo(("10.0.0.1:41000", "10.0.0.2:9000")));
        var frame = result.Of<FrameRecord>().Single();
        Assert.That((frame.Direction, frame.RawType, frame.RawEndFlag, frame.Length), Is.EqualTo((Direction.ClientToServer, (byte)0xFF, (byte)1, 0u)));
        Assert.That(result.Of<CloseRecord>().Single(c => c.Direction == Direction.ServerToClient).Reason, Is.EqualTo("tcp-reset"));
        Assert.That(result.Of<SkippedRecord>(), Is.Empty);

        string summary = Harness.RunToString(new DumpOptions { CaptureFile = capture, Summary = true });
        Assert.That(summary, Does.StartWith("connections: 1, calls: 0"));
        Assert.That(summary, Does.Not.Contain("skipped"));
    }

    [Test]
    public void RstFrameDetection_RejectsLookalikes()
    {
        // Telnet opens with IAC (0xFF) followed by a command byte of 0xF0 or above.
        var telnet = new Conversation().Handshake().Client([0xFF, 0xFD, 0x18, 0xFF, 0xFD, 0x20]).Close();

        var result = Harness.DecodeCapture(telnet.WritePcap(Harness.TempFile("telnet.pcap")));

        Assert.That(result.Of<ConnectionRecord>(), Is.Empty);
        Assert.That(result.Of<SkippedRecord>().Single().Reason, Is.EqualTo("not-recognised"));
    }

    [Test]
    public void NonProtocolConnection_IsListedWithThePortThatForcesIt()
    {
        string capture = Conversation.WritePcap(Harness.TempFile("mixed.pcap"), ReassemblyAndDecodingTests.Standard(), Http());

        string text = Harness.RunToString(new DumpOptions { CaptureFile = capture });
        Assert.That(text, Does.Contain("~~ skipped TCP connection client 10.0.0.1:41001 -> server 10.0.0.2:8080: not decoded, "
            + "the first bytes from the client (47 45 54 20 2f 20 48 54 54 50 2f 31 2e 31 0d 0a) open neither a Header frame nor an RST frame; "
            + "to decode it anyway: -p 8080"));
        Assert.That(text, Does.Contain("call #3 Fail"), "the protocol connection beside it is decoded as before");

        var lines = Harness.RunJson(new DumpOptions { CaptureFile = capture });
        var skipped = lines.Single(l => Kind(l) == "skipped");
        Assert.That(skipped.GetProperty("conn").GetInt32(), Is.EqualTo(0));
        Assert.That(skipped.GetProperty("client").GetString(), Is.EqualTo("10.0.0.1:41001"));
        Assert.That(skipped.GetProperty("server").GetString(), Is.EqualTo("10.0.0.2:8080"));
        Assert.That(skipped.GetProperty("reason").GetString(), Is.EqualTo("not-recognised"));
        Assert.That(skipped.GetProperty("roles_known").GetBoolean(), Is.True);
        Assert.That(skipped.GetProperty("first_bytes_hex").GetString(), Does.StartWith("474554202f"));
        Assert.That(skipped.GetProperty("first_bytes_dir").GetString(), Is.EqualTo("c2s"));
        Assert.That(skipped.GetProperty("port").GetInt32(), Is.EqualTo(8080));
        Assert.That(skipped.GetProperty("hint").GetString(), Is.EqualTo("-p 8080"));
        Assert.That(lines.Count(l => Kind(l) == "connection"), Is.EqualTo(1));

        string summary = Harness.RunToString(new DumpOptions { CaptureFile = capture, Summary = true });
        Assert.That(summary, Does.StartWith("connections: 1, calls: 3"));
        Assert.That(summary, Does.Contain("skipped TCP connections (not decoded): 1 (not-recognised 1); the listing names each; decode one anyway with -p PORT"));

        var json = Harness.RunJson(new DumpOptions { CaptureFile = capture, Summary = true }).Single().GetProperty("skipped");
        Assert.That(json.GetProperty("total").GetInt32(), Is.EqualTo(1));
        Assert.That(json.GetProperty("not-recognised").GetInt32(), Is.EqualTo(1));
        Assert.That(json.GetProperty("hint").GetString(), Is.EqualTo("-p PORT"));
    }

    [Test]
    public void SkippedConnections_PassEndpointAndErrorFilters_ButNotAConnectionFilter()
    {
        string capture = Conversation.WritePcap(Harness.TempFile("mixed.pcap"), ReassemblyAndDecodingTests.Standard(), Http());

        Assert.That(Harness.RunJson(new DumpOptions { CaptureFile = capture, ErrorsOnly = true }).Count(l => Kind(l) == "skipped"), Is.EqualTo(1));
        Assert.That(Harness.RunJson(new DumpOptions { CaptureFile = capture, Endpoint = "Echo" }).Count(l => Kind(l) == "skipped"), Is.EqualTo(1));
        Assert.That(Harness.RunJson(new DumpOptions { CaptureFile = capture, Connections = new HashSet<int> { 1 } }).Count(l => Kind(l) == "skipped"), Is.EqualTo(0));
    }

    [Test]
    public void AsFixture_NamesTheSkippedConnectionOnStderr()
    {
        string capture = Conversation.WritePcap(Harness.TempFile("mixed.pcap"), ReassemblyAndDecodingTests.Standard(), Http());
        using var output = new MemoryStream();
        using var error = new StringWriter();

        int code = Dumper.Run(new DumpOptions { CaptureFile = capture, AsFixture = true }, output, error);

        Assert.That(code, Is.EqualTo(0));
        Assert.That(error.ToString(), Does.Contain("--as-fixture left out TCP connection client 10.0.0.1:41001 -> server 10.0.0.2:8080: not decoded").And.Contain("-p 8080"));
    }

    [Test]
    public void WithPort_ConnectionsOnOtherPortsAreListedAsOtherPort()
    {
        string capture = Conversation.WritePcap(Harness.TempFile("mixed.pcap"), ReassemblyAndDecodingTests.Standard(), Http());

        var result = Harness.DecodeCapture(capture, 9000);

        var skipped = result.Of<SkippedRecord>().Single();
        Assert.That((skipped.Reason, skipped.Client, skipped.Server, skipped.Hint), Is.EqualTo(("other-port", "10.0.0.1:41001", "10.0.0.2:8080", "-p 8080")));
        Assert.That(result.Of<CallRecord>(), Has.Count.EqualTo(3));
    }

    [Test]
    public void ConnectionWithoutPayload_IsListedAsNoPayload()
    {
        var empty = new Conversation(clientPort: 41002).Handshake().Wait(1).Close();

        var result = Harness.DecodeCapture(empty.WritePcap(Harness.TempFile("empty.pcap")));

        var skipped = result.Of<SkippedRecord>().Single();
        Assert.That((skipped.Reason, skipped.Client, skipped.Server, skipped.RolesKnown), Is.EqualTo(("no-payload", "10.0.0.1:41002", "10.0.0.2:9000", true)));
        Assert.That(skipped.FirstBytes, Is.Empty);
        Assert.That(result.Of<ConnectionRecord>(), Is.Empty);
    }

    [Test]
    public void Summary_CountsCapturedBytesNotAnnouncedLengths()
    {
        // A request whose body frame announces 4 MiB; 10 bytes of it are captured, then nothing.
        byte[] header = Wire.HeaderMessage(Wire.HeaderJson("Sink", 3, 2));
        byte[] bodyStart = Wire.Frame((byte)FrameType.Data, 0, new byte[10], length: FrameLimits.MaxPayload);
        var c = new Conversation().Handshake().Wait(1).Client(header).Client(bodyStart);
        string capture = c.WritePcap(Harness.TempFile("announced.pcap"));

        long captured = header.Length + bodyStart.Length;
        long announced = header.Length + FrameLimits.HeaderSize + FrameLimits.MaxPayload;
        var summary = Harness.RunJson(new DumpOptions { CaptureFile = capture, Summary = true }).Single();
        Assert.That(summary.GetProperty("bytes").GetProperty("c2s").GetInt64(), Is.EqualTo(captured));
        Assert.That(summary.GetProperty("announced_bytes").GetProperty("c2s").GetInt64(), Is.EqualTo(announced));
        Assert.That(summary.GetProperty("bytes").GetProperty("s2c").GetInt64(), Is.EqualTo(0));

        string text = Harness.RunToString(new DumpOptions { CaptureFile = capture, Summary = true });
        Assert.That(text, Does.Contain($"bytes c2s: {captured} in 2 frames"));
        Assert.That(text, Does.Contain($"announced by frame headers: c2s {announced}, s2c 0 bytes (not all captured)"));
    }

    [Test]
    public void IdleConnection_IsEvictedAndReported()
    {
        var idle = new Conversation(clientPort: 41000).Handshake().Wait(1).Client(Wire.JsonRequest("Echo", "{}"));
        var later = new Conversation(clientPort: 41001, start: idle.Time.AddMinutes(20)).Handshake()
            .Wait(1).Client(Wire.JsonRequest("Echo", "{}")).Wait(1).Server(Wire.OkJson("{}")).Close();
        string capture = Conversation.WritePcap(Harness.TempFile("idle.pcap"), idle, later);

        var result = Harness.Decode(new DumpOptions { CaptureFile = capture, IdleTimeout = TimeSpan.FromMinutes(10) });

        var evicted = result.Of<EvictedRecord>().Single();
        Assert.That(evicted.Connection, Is.EqualTo(1));
        Assert.That(evicted.Message, Does.Contain("--idle-timeout"));
        Assert.That(evicted.Time, Is.EqualTo(later.Segments[0].Time), "evicted when the capture clock passes the timeout");
        Assert.That(result.Records.IndexOf(evicted), Is.LessThan(result.Records.IndexOf(result.Of<ConnectionRecord>()[1])));
        Assert.That(result.Of<CloseRecord>().Where(c => c.Connection == 1).Select(c => c.Reason), Is.EqualTo(new[] { "evicted", "evicted" }));
        Assert.That(result.Of<CallRecord>().Select(c => (c.Connection, c.Outcome)), Is.EqualTo(new[] { (1, "evicted"), (2, "complete") }));
        Assert.That(result.Of<ViolationRecord>(), Is.Empty, "eviction is not the peer's doing");

        string text = Harness.RunToString(new DumpOptions { CaptureFile = capture, IdleTimeout = TimeSpan.FromMinutes(10) });
        Assert.That(text, Does.Contain("#1 ").And.Contain("~~ evicted: no packet for more than 600 s of capture time (--idle-timeout)"));
        string summary = Harness.RunToString(new DumpOptions { CaptureFile = capture, IdleTimeout = TimeSpan.FromMinutes(10), Summary = true });
        Assert.That(summary, Does.Contain("evicted connections (still open, no longer tracked): 1"));
        Assert.That(Harness.RunJson(new DumpOptions { CaptureFile = capture, IdleTimeout = TimeSpan.FromMinutes(10), Summary = true }).Single().GetProperty("evicted").GetInt32(), Is.EqualTo(1));

        var untimed = Harness.Decode(new DumpOptions { CaptureFile = capture, IdleTimeout = null });
        Assert.That(untimed.Of<EvictedRecord>(), Is.Empty, "--idle-timeout 0 never evicts");
    }

    private static (int Code, string Output, string Error) RunCli(params string[] arguments)
    {
        var start = new System.Diagnostics.ProcessStartInfo("dotnet", [Path.Combine(TestContext.CurrentContext.TestDirectory, "frame-dump.dll"), .. arguments])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = System.Diagnostics.Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output.Result, error);
    }

    [Test]
    public void Cli_IdleTimeoutAndMaxConnectionsOptions()
    {
        var idle = new Conversation(clientPort: 41000).Handshake().Wait(1).Client(Wire.JsonRequest("Echo", "{}"));
        var later = new Conversation(clientPort: 41001, start: idle.Time.AddSeconds(30)).Handshake().Wait(1).Client(Wire.JsonRequest("Echo", "{}"));
        string capture = Conversation.WritePcap(Harness.TempFile("cli.pcap"), idle, later);

        Assert.That(RunCli(capture, "--summary").Output, Does.Not.Contain("evicted"), "30 s apart: within the default idle timeout and connection limit");
        Assert.That(RunCli(capture, "--summary", "--idle-timeout", "20").Output, Does.Contain("evicted connections (still open, no longer tracked): 1"));
        Assert.That(RunCli(capture, "--max-connections", "1").Output, Does.Contain("~~ evicted: more than 1 connections were open at once (--max-connections)"));
        var refused = RunCli(capture, "--max-connections", "0");
        Assert.That((refused.Code, refused.Error), Is.EqualTo((2, "frame-dump: --max-connections must be at least 1 and --idle-timeout 0 or more seconds\n")));
    }

    [Test]
    public void BeyondMaxConnections_TheLeastRecentlyActiveIsEvicted()
    {
        var conversations = Enumerable.Range(0, 5)
            .Select(i => new Conversation(clientPort: (ushort)(41000 + i), start: new DateTime(2024, 1, 2, 3, 4, 5, DateTimeKind.Utc).AddSeconds(i))
                .Handshake().Wait(1).Client(Wire.JsonRequest("Echo", "{}")))
            .ToArray();
        // The first connection is answered before the third opens: the second is then the least recently active.
        conversations[0].Time = conversations[0].Time.AddSeconds(1.5);
        conversations[0].Server(Wire.OkJson("{}"));
        string capture = Conversation.WritePcap(Harness.TempFile("many.pcap"), conversations);

        var result = Harness.Decode(new DumpOptions { CaptureFile = capture, MaxConnections = 2 });

        var evicted = result.Of<EvictedRecord>();
        Assert.That(evicted.Select(e => e.Connection), Is.EqualTo(new[] { 2, 1, 3 }), "least recently active first, not first opened");
        Assert.That(evicted[0].Message, Does.Contain("more than 2 connections were open at once (--max-connections)"));
        Assert.That(result.Of<ConnectionRecord>().Select(c => c.Client), Is.EqualTo(Enumerable.Range(0, 5).Select(i => $"10.0.0.1:{41000 + i}")));
        Assert.That(result.Of<CloseRecord>().Where(c => c.Connection >= 4).Select(c => c.Reason), Is.All.EqualTo("end-of-capture"));
    }


    [Test]
    public void ReorderBudget_IsSharedByAllStreams()
    {
        var budget = new Tcp.ReorderBudget(1000);
        var first = new RecordingConsumer();
        var second = new RecordingConsumer();
        var a = new Tcp.StreamReassembler(first, budget: budget);
        var b = new Tcp.StreamReassembler(second, budget: budget);
        var t = new DateTime(2024, 1, 2, 0, 0, 0, DateTimeKind.Utc);
        a.OnSyn(0);
        b.OnSyn(0);

        // Each stream misses its first 100 bytes and holds the 600 after them: within each stream's own
        // 8 MiB limit, but together over the budget, so the stream that went over gives up its hole.
        a.OnSegment(101, new byte[600], t);
        Assert.That((first.Delivered, first.Gaps.Count, budget.Used), Is.EqualTo((0L, 0, 600L)));
        b.OnSegment(101, new byte[600], t);

        Assert.That((second.Delivered, second.Gaps), Is.EqualTo((600L, new List<long> { 100 })));
        Assert.That((first.Delivered, first.Gaps.Count), Is.EqualTo((0L, 0)), "the other stream keeps waiting for its retransmission");
        Assert.That(budget.Used, Is.EqualTo(600));
        a.OnSegment(1, new byte[100], t);
        Assert.That((first.Delivered, budget.Used), Is.EqualTo((700L, 0L)));
    }

    /// <summary>
    /// <paramref name="count"/> connections that each complete the handshake, send a request
    /// header and the start of a body frame announcing 4 MiB, and never close: one template
    /// connection built with PacketDotNet, its client address patched per copy (10.x.y.z).
    /// </summary>
    private static string NeverClosing(string path, int count)
    {
        byte[] request = Wire.Concat(
            Wire.HeaderMessage(Wire.HeaderJson("Sink", 3, 2)),
            Wire.Frame((byte)FrameType.Data, 0, new byte[16], length: FrameLimits.MaxPayload));
        var template = new Conversation().Handshake().Wait(1).Client(request);
        var packets = template.Segments.Select(s => (s.FromClient, Bytes: template.Encode(s, Link.Ethernet))).ToArray();
        var buffer = new byte[packets.Max(p => p.Bytes.Length)];
        using var file = new BinaryWriter(new BufferedStream(File.Create(path), 1 << 20));
        Conversation.WritePcapHeader(file, Link.Ethernet);
        var start = template.Segments[0].Time;
        for (int i = 0; i < count; i++)
        {
            var time = start.AddTicks(i * 5 * TimeSpan.TicksPerMillisecond / 10);
            foreach (var (fromClient, bytes) in packets)
            {
                bytes.CopyTo(buffer, 0);
                // Ethernet header, then the IPv4 source (12) or destination (16) address: the client's.
                int address = 14 + (fromClient ? 12 : 16);
                buffer[address + 1] = (byte)(1 + (i >> 16));
                buffer[address + 2] = (byte)(i >> 8);
                buffer[address + 3] = (byte)i;
                Conversation.WritePcapRecord(file, time, buffer.AsSpan(0, bytes.Length));
            }
        }

        return path;
    }

    /// <summary>Counts records and takes the managed heap size (after a full collection) when given connections are recognised.</summary>
    private sealed class MeasuringSink(params int[] at) : IRecordSink
    {
        public long[] Heap { get; } = new long[at.Length];

        public int Connections { get; private set; }

        public int Evicted { get; private set; }

        public int Other { get; private set; }

        public Dictionary<string, int> Outcomes { get; } = new();

        public void Write(DumpRecord record)
        {
            switch (record)
            {
                case ConnectionRecord:
                    Connections++;
                    int k = Array.IndexOf(at, Connections);
                    if (k >= 0)
                    {
                        Heap[k] = GC.GetTotalMemory(forceFullCollection: true);
                    }

                    break;
                case EvictedRecord:
                    Evicted++;
                    break;
                case SkippedRecord or ViolationRecord:
                    Other++;
                    break;
                case CallRecord call:
                    Outcomes[call.Outcome] = Outcomes.GetValueOrDefault(call.Outcome) + 1;
                    break;
            }
        }

        public void Complete()
        {
        }
    }

    [Test]
    public void ManyNeverClosingConnections_KeepMemoryFlat()
    {
        const int count = 60_000;
        const int limit = 20_000;
        string capture = NeverClosing(Harness.TempFile("never-closing.pcap"), count);
        var sink = new MeasuringSink(limit, count);
        long before = GC.GetTotalMemory(forceFullCollection: true);

        // One profile: the state measured is one decoder's. Without --profile a connection whose
        // profile its content has not told yet is decoded in both, and holds twice as much.
        Dumper.Decode(new DumpOptions { CaptureFile = capture, MaxConnections = limit, Profile = Zrpc.Rpc.Profile.P6ab05ee }, sink, new TimeOrigin());

        Assert.That(sink.Connections, Is.EqualTo(count));
        Assert.That(sink.Evicted, Is.EqualTo(count - limit), "every connection beyond the limit evicts one, and each eviction is reported");
        Assert.That(sink.Other, Is.Zero);
        Assert.That(sink.Outcomes.GetValueOrDefault("evicted"), Is.EqualTo(count - limit), "a call whose request body was cut by the eviction");
        double perConnection = (double)(sink.Heap[0] - before) / limit;
        TestContext.Out.WriteLine($"heap per tracked connection: {perConnection:0} bytes; growth from {limit} to {count} connections: {sink.Heap[1] - sink.Heap[0]} bytes");
        // Each tracked connection is stalled inside a body: it holds its decoder, an RPC header and a hasher.
        Assert.That(perConnection, Is.LessThan(4096), "state per connection stalled inside a 4 MiB frame");
        Assert.That(sink.Heap[1] - sink.Heap[0], Is.LessThan(limit * perConnection * 0.1), "memory is flat once the connection limit is reached");
    }
}
