using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using NUnit.Framework;
using Zrpc.Frames;
using Zrpc.Messages;
using Zrpc.Rpc;
using Zrpc.Tests.Frames;
using Zrpc.TestService;
using Zrpc.Transport;

namespace Zrpc.Tests.Rpc;

public class RpcServerTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private sealed class Harness : IAsyncDisposable
    {
        public PipeEnd Client { get; }
        public PipeEnd ServerEnd { get; }
        public Task Serving { get; }
        public MessageReader Responses { get; }
        public ConcurrentQueue<string> Log { get; } = new();

        public Harness(Action<RpcServer>? register = null, TimeSpan? readTimeout = null)
        {
            (Client, ServerEnd) = PipeEnd.CreatePair();
            var server = new RpcServer(new RpcServerOptions { ReadTimeout = readTimeout ?? TimeSpan.FromSeconds(30), MaxJsonBody = 1024, Log = Log.Enqueue });
            ConformanceService.Register(server);
            register?.Invoke(server);
            Serving = server.ServeConnectionAsync(ServerEnd, CancellationToken.None);
            Responses = new MessageReader(new FrameReader(Client));
        }

        public ValueTask SendAsync(byte[] bytes) => Client.WriteAsync(bytes);

        public async Task<RawRequests.Response> ResponseAsync()
        {
            using var cts = new CancellationTokenSource(Patience);
            var r = await RawRequests.ReadResponseAsync(Responses, cts.Token);
            Assert.That(r, Is.Not.Null, "the server closed the connection instead of responding: " + string.Join("\n", Log));
            return r!;
        }

        /// <summary>Everything the server sends until it closes, after what was already read.</summary>
        public Task<byte[]> RestAsync() => Client.ReadToEndAsync(Patience);

        public async Task AssertEchoWorksAsync()
        {
            await SendAsync(RawRequests.JsonRequest("Echo", "{\"a\":[1,\"x\"]}\n"));
            var r = await ResponseAsync();
            Assert.That(r.Header, Is.EqualTo(RpcHeader.Ok(DataType.MarshaledJson)));
            Assert.That(Encoding.UTF8.GetString(r.Body!), Is.EqualTo("{\"a\":[1,\"x\"]}\n"));
        }

        public async ValueTask DisposeAsync()
        {
            await Client.DisposeAsync();
            await Serving.WaitAsync(Patience);
        }
    }

    private static byte[] BigBody(int frames, int each) => Wire.Concat(Enumerable.Range(0, frames).Select(i => Wire.Frame(FrameType.Data, i == frames - 1, new byte[each])).ToArray());

    public static IEnumerable<TestCaseData> EarlyErrors()
    {
        yield return new TestCaseData(RawRequests.Request("Nope", 2, 2, BigBody(3, 5000)), "unregistered endpoint Nope").SetCategory("SRV-1").SetName("SRV1_Unregistered");
        yield return new TestCaseData(RawRequests.Request("Echo", 3, 2, BigBody(3, 5000)), "wrong DataType for endpoint Echo").SetCategory("SRV-2").SetName("SRV2_WrongDataType");
        yield return new TestCaseData(RawRequests.Request("Echo", 2, 3, BigBody(3, 5000)), "wrong Accept for endpoint Echo").SetCategory("SRV-3").SetName("SRV3_WrongAccept");
        yield return new TestCaseData(RawRequests.Request("Echo", 2, 2, Wire.Frame(FrameType.Data, false, "{\"a\":"u8), Wire.Frame(FrameType.Data, true, [])), "cannot decode marshaled JSON").SetCategory("SRV-4").SetName("SRV4_InvalidJson");
        yield return new TestCaseData(RawRequests.JsonRequest("Source", "{\"Length\":-1}", accept: 3), "cannot decode marshaled JSON").SetCategory("SRV-4").SetName("SRV4_WrongShape");
        yield return new TestCaseData(RawRequests.JsonRequest("Echo", "{} x"), "cannot decode marshaled JSON").SetCategory("RPC-7").SetName("RPC7_TrailingGarbage");
        yield return new TestCaseData(RawRequests.Request("Echo", 2, 2, Wire.Frame(FrameType.Data, false, Encoding.UTF8.GetBytes("\"" + new string('x', 3000))), Wire.Frame(FrameType.Data, true, "\""u8)), "limit").SetCategory("SRV-12").SetName("SRV12_JsonBodyOverLimit");
    }

    [TestCaseSource(nameof(EarlyErrors)), Category("SRV-7"), Category("SRV-9")]
    public async Task EarlyError_IsStatus2_BodyIsDrained_AndTheConnectionStaysUsable(byte[] request, string wording)
    {
        await using var h = new Harness();
        await h.SendAsync(request);
        var r = await h.ResponseAsync();
        Assert.That(r.Header.Error, Is.EqualTo((ulong)Status.RequestError));
        Assert.That(r.Header.ErrorMessage, Does.Contain(wording));
        Assert.That((r.Header.Endpoint, r.Header.DataType, r.Header.Accept), Is.EqualTo(("", (byte)0, (byte)0)), "RPC-5");
        await h.AssertEchoWorksAsync();
    }

    [Test]
    public async Task A_line_feed_in_an_endpoint_name_cannot_forge_a_log_line()
    {
        await using var h = new Harness();
        await h.SendAsync(RawRequests.JsonRequest("Nope\nzrpc serve: 12:00:00.000 connection 99: forged\u001b[2J", "1"));
        var r = await h.ResponseAsync();
        Assert.That(r.Header.Error, Is.EqualTo((ulong)Status.RequestError));

        var lines = h.Log.ToArray();
        Assert.That(lines, Has.Some.Contains(@"Nope\nzrpc serve: 12:00:00.000 connection 99: forged\u001b[2J"), string.Join("\n", lines));
        Assert.That(lines.Where(l => l.Any(c => char.IsControl(c))), Is.Empty, "no control character reaches the log");
    }

    [Test]
    public async Task A_huge_handler_message_is_cut_in_the_log_and_the_cut_is_marked()
    {
        await using var h = new Harness(server => server.Register<int, int>("Boom", (_, _) => throw new InvalidOperationException(new string('m', 200_000))));
        await h.SendAsync(RawRequests.JsonRequest("Boom", "1"));
        var r = await h.ResponseAsync();
        Assert.That(r.Header.Error, Is.EqualTo((ulong)Status.Error));

        var answered = h.Log.Single(l => l.Contains("answering status 4"));
        Assert.That(answered.Length, Is.LessThan(LogText.MaxFieldChars + 200));
        Assert.That(answered, Does.Contain("[cut: " + (200_000 - LogText.MaxFieldChars) + " more chars]"));
        Assert.That(h.Log.Max(l => l.Length), Is.LessThanOrEqualTo(LogText.MaxLineChars + 40), "no log line is unbounded");
    }

    [TestCase(new byte[] { (byte)'"', (byte)'x', 0xff, 0xfe, (byte)'y', (byte)'"' }, "not valid UTF-8", TestName = "Invalid UTF-8 bytes (ff fe)")]
    [TestCase(new byte[] { (byte)'"', 0xc0, 0xaf, (byte)'"' }, "not valid UTF-8", TestName = "Overlong encoding (c0 af)")]
    [TestCase(new byte[] { (byte)'{', (byte)'"', (byte)'a', (byte)'"', (byte)':', (byte)'"', (byte)'\\', (byte)'u', (byte)'d', (byte)'8', (byte)'0', (byte)'0', (byte)'"', (byte)'}' }, "not part of a pair", TestName = "Lone high surrogate escape")]
    [TestCase(new byte[] { (byte)'"', (byte)'\\', (byte)'u', (byte)'D', (byte)'C', (byte)'0', (byte)'0', (byte)'\\', (byte)'u', (byte)'D', (byte)'8', (byte)'0', (byte)'0', (byte)'"' }, "not part of a pair", TestName = "Reversed surrogate pair")]
    [Category("RPC-13"), Category("SRV-4")]
    public async Task A_JSON_body_that_is_not_valid_text_is_a_RequestError_never_a_ServerError(byte[] body, string cause)
    {
        await using var h = new Harness();
        await h.SendAsync(RawRequests.Request("Echo", 2, 2, Wire.Frame(FrameType.Data, true, body)));
        var r = await h.ResponseAsync();

        Assert.That(r.Header.Error, Is.EqualTo((ulong)Status.RequestError), r.Header.ErrorMessage);
        Assert.That(r.Header.ErrorMessage, Does.Contain(cause).And.Contain("RPC-13"));
        await h.AssertEchoWorksAsync();
    }

    [Test, Category("RPC-13")]
    public async Task A_JSON_body_with_a_valid_surrogate_pair_escape_is_served()
    {
        await using var h = new Harness();
        await h.SendAsync(RawRequests.JsonRequest("Echo", "{\"a\":\"x\\ud83e\\udd80y\"}"));
        var r = await h.ResponseAsync();

        Assert.That(r.Header.Error, Is.EqualTo((ulong)Status.Ok));
        using var echoed = JsonDocument.Parse(r.Body!);
        Assert.That(echoed.RootElement.GetProperty("a").GetString(), Is.EqualTo("x🦀y"));
    }

    [Test, Category("SRV-2")]
    public async Task WrongDataType_WordingNamesBothTypes()
    {
        await using var h = new Harness();
        await h.SendAsync(RawRequests.Request("Sink", 2, 2, Wire.Frame(FrameType.Data, true, "{}"u8)));
        var r = await h.ResponseAsync();
        Assert.That(r.Header.ErrorMessage, Is.EqualTo("wrong DataType for endpoint Sink (has DataTypeOctets, you provided DataTypeMarshaledJSON)"));
    }

    [Test, Category("RPC-7")]
    public async Task JsonBody_WithSurroundingWhitespace_IsAccepted()
    {
        await using var h = new Harness();
        await h.SendAsync(RawRequests.JsonRequest("Echo", " \r\n\t[true, null] \n\n"));
        var r = await h.ResponseAsync();
        Assert.That(Encoding.UTF8.GetString(r.Body!), Is.EqualTo("[true,null]\n"));
    }

    [Test, Category("SRV-8"), Category("MSG-2")]
    public async Task JsonBody_InOneByteFramesWithEmptyEndFrame_IsReadThroughItsEnd()
    {
        await using var h = new Harness();
        await h.SendAsync(RawRequests.JsonRequestBytewise("Echo", "{\"k\":\"v\"}"));
        var r = await h.ResponseAsync();
        Assert.That(Encoding.UTF8.GetString(r.Body!), Is.EqualTo("{\"k\":\"v\"}\n"));
        await h.AssertEchoWorksAsync();
    }

    [Test, Category("RPC-10")]
    public async Task PipelinedRequests_AreAnsweredInOrder()
    {
        await using var h = new Harness();
        await h.SendAsync(Wire.Concat(
            RawRequests.JsonRequest("Echo", "1"),
            RawRequests.JsonRequest("Fail", "{\"Message\":\"second\"}"),
            RawRequests.JsonRequest("Source", "{\"Length\":300}", accept: 3),
            RawRequests.JsonRequest("Echo", "\"fourth\"")));
        Assert.That(Encoding.UTF8.GetString((await h.ResponseAsync()).Body!), Is.EqualTo("1\n"));
        Assert.That((await h.ResponseAsync()).Header.ErrorMessage, Is.EqualTo("second"));
        var source = await h.ResponseAsync();
        Assert.That(source.Body, Is.EqualTo(Enumerable.Range(0, 300).Select(i => (byte)(i % 251)).ToArray()));
        Assert.That(Encoding.UTF8.GetString((await h.ResponseAsync()).Body!), Is.EqualTo("\"fourth\"\n"));
    }

    [Test, Category("SRV-5"), Category("SRV-9")]
    public async Task HandlerError_IsStatus4WithItsMessage()
    {
        await using var h = new Harness();
        await h.SendAsync(RawRequests.JsonRequest("Fail", "{\"Message\":\"boom <&>\"}"));
        var r = await h.ResponseAsync();
        Assert.That(r.Header, Is.EqualTo(RpcHeader.Failure(Status.Error, "boom <&>")));
        await h.AssertEchoWorksAsync();
    }

    [Test, Category("SRV-5"), Category("SRV-7")]
    public async Task OctetsHandlerFailingEarly_StillDrainsTheBody()
    {
        await using var h = new Harness(s => s.Register<Stream, JsonElement>("Picky", async (body, ct) =>
        {
            await body.ReadAsync(new byte[1], ct);
            throw new InvalidOperationException("no thanks");
        }));
        await h.SendAsync(RawRequests.Request("Picky", 3, 2, BigBody(4, 100_000)));
        Assert.That((await h.ResponseAsync()).Header.ErrorMessage, Is.EqualTo("no thanks"));
        await h.AssertEchoWorksAsync();
    }

    [Test, Category("SRV-6")]
    public async Task UnencodableResult_IsStatus3()
    {
        await using var h = new Harness(s => s.Register<JsonElement, double>("NaN", (_, _) => Task.FromResult(double.NaN)));
        await h.SendAsync(RawRequests.JsonRequest("NaN", "null"));
        var r = await h.ResponseAsync();
        Assert.That(r.Header.Error, Is.EqualTo((ulong)Status.ServerError));
        Assert.That(r.Header.ErrorMessage, Does.StartWith("cannot marshal response"));
        await h.AssertEchoWorksAsync();
    }

    [Test, Category("SRV-10"), Category("CONN-1"), Category("HDR-5")]
    [TestCase("{\"Endpoint\":\"Echo\",\"DataType\":2.0,\"Accept\":2}")]
    [TestCase("[]")]
    [TestCase("not json")]
    public async Task MalformedHeader_EndsTheConnectionWithRst_NoErrorResponse(string header)
    {
        await using var h = new Harness();
        await h.SendAsync(Wire.Concat(Wire.Frame(FrameType.Header, true, Encoding.UTF8.GetBytes(header)), Wire.Frame(FrameType.Data, true, "{}"u8)));
        Assert.That(await h.RestAsync(), Is.EqualTo(Wire.Rst));
        await h.Serving.WaitAsync(Patience);
        Assert.That(h.Log, Has.Some.Contains("HDR-5"));
    }

    [Test, Category("SRV-10"), Category("MSG-5")]
    public async Task OversizeHeaderMessage_EndsTheConnectionWithRst()
    {
        await using var h = new Harness();
        await h.SendAsync(Wire.Concat(Wire.Frame(FrameType.Header, false, new byte[4000]), Wire.Frame(FrameType.Header, true, new byte[97])));
        Assert.That(await h.RestAsync(), Is.EqualTo(Wire.Rst));
    }

    [Test, Category("SRV-10"), Category("FRAME-2"), Category("FRAME-6"), Category("FRAME-10")]
    [TestCase((byte)0x04, 0u)]
    [TestCase((byte)0x03, 0u)]
    [TestCase((byte)0x01, 4194305u)]
    public async Task FrameLayerError_EndsTheConnectionWithRst(byte type, uint length)
    {
        await using var h = new Harness();
        await h.SendAsync(Wire.Frame(type, 1, [], lengthOverride: length));
        Assert.That(await h.RestAsync(), Is.EqualTo(Wire.Rst));
    }

    [Test, Category("CONN-3")]
    public async Task EndOfStreamOrRstAtRequestBoundary_ClosesQuietly()
    {
        await using (var h = new Harness())
        {
            await h.AssertEchoWorksAsync();
            await h.SendAsync(Wire.Rst);
            Assert.That(await h.RestAsync(), Is.Empty);
        }

        await using (var h = new Harness())
        {
            await h.AssertEchoWorksAsync();
            h.Client.Dispose();
            await h.Serving.WaitAsync(Patience);
            Assert.That(h.ServerEnd.IsDisposed, Is.True);
        }
    }

    [Test, Category("CONN-4")]
    public async Task TruncatedOctetsBody_GetsNoResponse()
    {
        var h = new Harness();
        await h.SendAsync(RawRequests.Request("Sink", 3, 2, Wire.Frame(FrameType.Data, false, new byte[1000]), Wire.Frame(FrameType.Data, false, new byte[10])[..10]));
        h.Client.Dispose(); // EOF inside the second data frame: a truncated frame
        await h.Serving.WaitAsync(Patience);
        Assert.That(h.Log, Has.None.Contains("status 1"));
    }

    [Test, Category("CONN-4")]
    public async Task EndOfStreamBetweenHeaderAndBody_GetsNoResponse()
    {
        await using var h = new Harness();
        await h.SendAsync(RawRequests.Header("Echo", 2, 2));
        h.Client.Dispose();
        await h.Serving.WaitAsync(Patience);
        Assert.That(h.Log, Has.Some.Contains("CONN-4"));
    }

    [Test, Category("CONN-2")]
    public async Task RstInsideRequestBody_EndsTheConnection_WithoutResponse()
    {
        await using var h = new Harness();
        await h.SendAsync(RawRequests.Request("Sink", 3, 2, Wire.Frame(FrameType.Data, false, new byte[100]), Wire.Rst));
        Assert.That(await h.RestAsync(), Is.Empty);
    }

    [Test, Category("SRV-11")]
    public async Task OctetsResponseFailingMidBody_HasNoEndFlag_AndIsFollowedByRst()
    {
        await using var h = new Harness(s => s.Register<JsonElement, Stream>("Broken", (_, _) => Task.FromResult<Stream>(new FailingStream(5_000_000))));
        await h.SendAsync(RawRequests.JsonRequest("Broken", "null", accept: 3));
        byte[] rest = await h.RestAsync();
        var frames = Wire.Split(rest);
        Assert.That(frames[0].Type, Is.EqualTo(1));
        Assert.That(RpcHeader.Parse(frames[0].Payload), Is.EqualTo(RpcHeader.Ok(DataType.Octets)));
        var data = frames.Skip(1).Take(frames.Count - 2).ToList();
        Assert.That(data.Select(f => f.Type), Is.All.EqualTo((byte)2));
        Assert.That(data.Select(f => f.Flag), Is.All.EqualTo((byte)0));
        Assert.That(frames[^1].Type, Is.EqualTo(0xFF));
    }

    [Test, Category("CONN-5")]
    public async Task StallInsideAFrame_EndsTheConnectionAfterTheReadTimeout()
    {
        await using var h = new Harness(readTimeout: TimeSpan.FromMilliseconds(200));
        await h.SendAsync(RawRequests.Header("Echo", 2, 2)[..10]);
        Assert.That(await h.RestAsync(), Is.EqualTo(Wire.Rst));
        Assert.That(h.Log, Has.Some.Contains("CONN-5"));
    }

    [Test, Category("CONN-5")]
    public async Task HeaderTrickledAByteAtATime_IsCutOffAfterTheReadTimeout_ThoughNoSingleReadTimesOut()
    {
        // Each byte comes well within the per-read timeout; the whole header would take 4 s.
        await using var h = new Harness(readTimeout: TimeSpan.FromMilliseconds(600));
        var header = RawRequests.Header("Echo", 2, 2);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var trickle = Task.Run(async () =>
        {
            try
            {
                foreach (var b in header)
                {
                    await h.SendAsync([b]);
                    await Task.Delay(50);
                }
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
            {
                // The server ended the connection while bytes were still coming.
            }
        });
        Assert.That(await h.RestAsync(), Is.EqualTo(Wire.Rst), "the server must end the connection (RST, then close)");
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(3)), $"cut off before the {header.Length}-byte header could have been completed at 20 bytes/s");
        Assert.That(h.Log, Has.Some.Contains("CONN-5").And.Contains("after its first byte"));
        await trickle;
    }

    [Test, Category("CONN-5")]
    public async Task BodyTrickledAByteAtATime_IsCutOffByTheRateFloor_ThoughNoSingleReadTimesOut()
    {
        // 10 bytes/s, well under the default floor of 240 bytes/s; each byte within the read timeout.
        await using var h = new Harness(readTimeout: TimeSpan.FromMilliseconds(500));
        await h.SendAsync([.. RawRequests.Header("Sink", 3, 2), .. Wire.Frame(0x02, 1, new byte[4000])[..6]]);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var stop = new CancellationTokenSource();
        var trickle = Task.Run(async () =>
        {
            try
            {
                for (int i = 0; i < 4000; i++)
                {
                    await h.SendAsync([(byte)i]);
                    await Task.Delay(100, stop.Token);
                }
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException or OperationCanceledException)
            {
                // The server ended the connection while bytes were still coming.
            }
        });
        var rest = await h.RestAsync();
        await stop.CancelAsync();
        Assert.That(rest, Is.EqualTo(Wire.Rst), "the server must end the connection (RST, then close), not answer");
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)), "cut off soon after the read timeout's grace, not after 400 s of trickling");
        Assert.That(h.Log, Has.Some.Contains("CONN-5").And.Contains("bytes/s"));
        await trickle.WaitAsync(Patience);
    }

    [Test, Category("CONN-5")]
    public async Task AHandlerSlowToReadTheBody_IsNotMistakenForASlowSender()
    {
        // The whole body is sent at once; the handler waits far past the grace before reading it.
        await using var h = new Harness(
            server => server.Register<Stream, ConformanceService.SinkResponse>("SlowSink", async (body, ct) =>
            {
                await Task.Delay(1500, ct);
                long n = 0;
                var chunk = new byte[7000];
                int got;
                while ((got = await body.ReadAsync(chunk, ct)) > 0) n += got;
                return new ConformanceService.SinkResponse { Length = (ulong)n };
            }),
            readTimeout: TimeSpan.FromMilliseconds(200));
        var body = new byte[300_000];
        await h.SendAsync(RawRequests.Request("SlowSink", 3, 2, Wire.Frame(FrameType.Data, true, body)));
        var r = await h.ResponseAsync();
        Assert.That(r.Header.Status, Is.EqualTo(Status.Ok), r.Header.ErrorMessage + string.Join("\n", h.Log));
        Assert.That(Encoding.UTF8.GetString(r.Body!), Does.Contain("\"Length\":300000"));
        await h.AssertEchoWorksAsync();
    }

    [Test, Category("CONN-6")]
    public async Task IdleBetweenRequests_IsNotTimedOut()
    {
        await using var h = new Harness(readTimeout: TimeSpan.FromMilliseconds(50));
        await h.AssertEchoWorksAsync();
        await Task.Delay(300);
        await h.AssertEchoWorksAsync();
    }

    [Test, Category("TRANS-2"), Category("TRANS-3")]
    public async Task ServeAsync_ServesConnectionsConcurrently_AndIsolatesFailures()
    {
        var server = new RpcServer();
        ConformanceService.Register(server);
        var listener = new ChannelListener();
        var serving = server.ServeAsync(listener, CancellationToken.None);

        var (stalled, stalledServer) = PipeEnd.CreatePair();
        listener.Offer(stalledServer);
        await stalled.WriteAsync(new byte[] { 0x01, 0x01, 0x10 }); // stops inside a frame header

        var (broken, brokenServer) = PipeEnd.CreatePair();
        listener.Offer(brokenServer);
        await broken.WriteAsync(Wire.Frame(0x42, 1, []));

        var (good, goodServer) = PipeEnd.CreatePair();
        listener.Offer(goodServer);
        await using (var client = new RpcClient(good))
        {
            var echoed = await client.CallAsync<JsonElement, JsonElement>("Echo", JsonDocument.Parse("[1,2]").RootElement, CancellationToken.None).WaitAsync(Patience);
            Assert.That(echoed.GetRawText(), Is.EqualTo("[1,2]"));
        }

        Assert.That(await broken.ReadToEndAsync(Patience), Is.EqualTo(Wire.Rst));
        listener.Complete();
        stalled.Dispose();
        await serving.WaitAsync(Patience);
    }

    private sealed class ChannelListener : IConnectionListener
    {
        private readonly Channel<Stream> _channel = Channel.CreateUnbounded<Stream>();

        public void Offer(Stream s) => _channel.Writer.TryWrite(s);

        public void Complete() => _channel.Writer.TryComplete();

        public async ValueTask<Stream?> AcceptAsync(CancellationToken cancellationToken)
            => await _channel.Reader.WaitToReadAsync(cancellationToken) && _channel.Reader.TryRead(out var s) ? s : null;

        public ValueTask DisposeAsync() { Complete(); return ValueTask.CompletedTask; }
    }

    /// <summary>Produces bytes, then fails: a handler's response stream that breaks mid-body.</summary>
    public sealed class FailingStream(int failAfter) : Stream
    {
        private int _position;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_position >= failAfter)
            {
                throw new IOException("disk on fire");
            }

            int n = Math.Min(count, failAfter - _position);
            _position += n;
            return n;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
