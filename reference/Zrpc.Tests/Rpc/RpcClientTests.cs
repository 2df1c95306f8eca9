using System.Text;
using System.Text.Json;
using NUnit.Framework;
using Zrpc.Frames;
using Zrpc.Messages;
using Zrpc.Rpc;
using Zrpc.Tests.Frames;

namespace Zrpc.Tests.Rpc;

public class RpcClientTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    /// <summary>A scripted server: reads one request (header + whole body), then sends the given bytes.</summary>
    private sealed class FakeServer
    {
        private readonly PipeEnd _end;
        private readonly MessageReader _reader;

        public FakeServer(PipeEnd end)
        {
            _end = end;
            _reader = new MessageReader(new FrameReader(end));
        }

        public async Task<(RpcHeader Header, byte[] Body)> ReceiveAsync()
        {
            using var cts = new CancellationTokenSource(Patience);
            var header = await _reader.ReadHeaderMessageAsync(cts.Token);
            Assert.That(header, Is.Not.Null);
            var ms = new MemoryStream();
            await _reader.OpenDataMessage().CopyToAsync(ms, cts.Token);
            return (RpcHeader.Parse(header!.Value.Span), ms.ToArray());
        }

        public async Task AnswerAsync(params byte[][] bytes)
        {
            await ReceiveAsync();
            await _end.WriteAsync(Wire.Concat(bytes));
        }

        public Task<byte[]> RestAsync() => _end.ReadToEndAsync(Patience);

        public void Close() => _end.Dispose();
    }

    private static byte[] HeaderFrame(RpcHeader h) => Wire.Frame(FrameType.Header, true, h.ToCanonicalBytes());

    private static (RpcClient Client, FakeServer Server) Create(RpcClientOptions? options = null)
    {
        var (c, s) = PipeEnd.CreatePair();
        return (new RpcClient(c, options ?? new RpcClientOptions()), new FakeServer(s));
    }

    private static JsonElement Json(string s) => JsonDocument.Parse(s).RootElement;

    [Test, Category("RPC-1"), Category("RPC-2"), Category("RPC-8")]
    public async Task Request_IsCanonicalHeaderAndCompactJsonBody()
    {
        var (client, server) = Create();
        var call = client.CallAsync<JsonElement, JsonElement>("Echo", Json("{ \"a\" : 1 }"), default);
        var (header, body) = await server.ReceiveAsync();
        Assert.That(header, Is.EqualTo(RpcHeader.Request("Echo", DataType.MarshaledJson, DataType.MarshaledJson)));
        Assert.That(Encoding.UTF8.GetString(body), Is.EqualTo("{\"a\":1}\n"));
        await client.DisposeAsync();
        await Assert.CatchAsync(async () => await call);
    }

    [Test, Category("CLI-1"), Category("RPC-6")]
    public async Task NonOkStatus_IsRpcStatusException_WithoutReadingABody_AndTheConnectionStaysUsable()
    {
        var (client, server) = Create();
        var answering = Task.Run(async () =>
        {
            await server.AnswerAsync(HeaderFrame(new RpcHeader("", 9, 9, 4, "it broke")));
            await server.AnswerAsync(HeaderFrame(RpcHeader.Ok(DataType.MarshaledJson)), Wire.Frame(FrameType.Data, true, "42\n"u8));
        });
        var ex = await Assert.ThrowsAsync<RpcStatusException>(async () => await client.CallAsync<JsonElement, JsonElement>("X", Json("1"), default));
        Assert.That(ex!.Status, Is.EqualTo(Status.Error));
        Assert.That(ex.ErrorMessage, Is.EqualTo("it broke"));
        Assert.That(await client.CallAsync<JsonElement, int>("X", Json("1"), default), Is.EqualTo(42));
        await answering.WaitAsync(Patience);
        await client.DisposeAsync();
    }

    [Test]
    public async Task AJsonBodyOverTheClientsOwnLimit_IsALocalLimit_CitingNoRequirement_AndEndsTheConnection()
    {
        var (client, server) = Create(new RpcClientOptions { MaxJsonBody = 8 });
        var answering = Task.Run(() => server.AnswerAsync(HeaderFrame(RpcHeader.Ok(DataType.MarshaledJson)), Wire.Frame(FrameType.Data, true, "\"0123456789\"\n"u8)));
        var ex = await Assert.ThrowsAsync<LocalLimitException>(async () => await client.CallAsync<JsonElement, JsonElement>("X", Json("1"), default));
        Assert.That(ex!.Message, Does.Contain("8-byte limit").And.Not.Match(@"\([A-Z]+-\d+\)"));
        Assert.That(client.IsEnded, Is.True, "the rest of the body is unread, so the connection cannot carry another call");
        await answering.WaitAsync(Patience);
        await client.DisposeAsync();
    }

    [Test, Category("CLI-2")]
    public async Task StatusZero_IsProtocolError_AndEndsTheConnectionWithRst()
    {
        var (client, server) = Create();
        var answering = server.AnswerAsync(HeaderFrame(new RpcHeader("", 2, 0, 0, "")), Wire.Frame(FrameType.Data, true, "1\n"u8));
        var ex = await Assert.ThrowsAsync<ProtocolException>(async () => await client.CallAsync<JsonElement, JsonElement>("X", Json("1"), default));
        Assert.That(ex!.RequirementId, Is.EqualTo("CLI-2"));
        await answering;
        Assert.That(await server.RestAsync(), Is.EqualTo(Wire.Rst));
        Assert.That(client.IsEnded, Is.True);
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await client.CallAsync<JsonElement, JsonElement>("X", Json("1"), default));
    }

    [Test, Category("CLI-3")]
    public async Task OkWithOtherDataTypeThanAccept_IsProtocolError()
    {
        var (client, server) = Create();
        var answering = server.AnswerAsync(HeaderFrame(RpcHeader.Ok(DataType.Octets)), Wire.Frame(FrameType.Data, true, "1\n"u8));
        var ex = await Assert.ThrowsAsync<ProtocolException>(async () => await client.CallAsync<JsonElement, JsonElement>("X", Json("1"), default));
        Assert.That(ex!.RequirementId, Is.EqualTo("CLI-3"));
        await answering;
    }

    [Test, Category("CLI-4")]
    public async Task TruncatedOctetsBody_FailsTheRead_NeverLooksComplete()
    {
        var (client, server) = Create();
        var answering = Task.Run(async () =>
        {
            await server.AnswerAsync(HeaderFrame(RpcHeader.Ok(DataType.Octets)), Wire.Frame(FrameType.Data, false, new byte[100]));
            server.Close(); // end of stream before the end frame
        });
        await using var body = await client.CallAsync<JsonElement, Stream>("X", Json("1"), default);
        var ex = await Assert.ThrowsAsync<ProtocolException>(async () => await body.CopyToAsync(Stream.Null));
        Assert.That(ex!.RequirementId, Is.EqualTo("CONN-4"));
        Assert.That(client.IsEnded, Is.True);
        await answering.WaitAsync(Patience);
    }

    [Test, Category("CLI-4")]
    public async Task TruncatedJsonBody_FailsTheCall()
    {
        var (client, server) = Create();
        var answering = Task.Run(async () =>
        {
            await server.AnswerAsync(HeaderFrame(RpcHeader.Ok(DataType.MarshaledJson)), Wire.Frame(FrameType.Data, false, "42\n"u8));
            server.Close();
        });
        await Assert.ThrowsAsync<ProtocolException>(async () => await client.CallAsync<JsonElement, int>("X", Json("1"), default));
        await answering.WaitAsync(Patience);
    }

    [Test, Category("CLI-4"), Category("CONN-2")]
    public async Task RstInsteadOfBody_FailsTheCall()
    {
        var (client, server) = Create();
        var answering = server.AnswerAsync(HeaderFrame(RpcHeader.Ok(DataType.MarshaledJson)), Wire.Frame(FrameType.Data, false, "[1"u8), Wire.Rst);
        await Assert.ThrowsAsync<ConnectionResetException>(async () => await client.CallAsync<JsonElement, JsonElement>("X", Json("1"), default));
        await answering;
        Assert.That(client.IsEnded, Is.True);
    }

    [Test, Category("CONN-2")]
    public async Task RstInsteadOfResponse_IsConnectionReset()
    {
        var (client, server) = Create();
        var answering = server.AnswerAsync(Wire.Rst);
        await Assert.ThrowsAsync<ConnectionResetException>(async () => await client.CallAsync<JsonElement, JsonElement>("X", Json("1"), default));
        await answering;
    }

    [Test, Category("CLI-7")]
    public async Task JsonBodyWithEmptyEndFrame_IsReadThroughItsEnd_SoTheNextResponseIsInSync()
    {
        var (client, server) = Create();
        var answering = Task.Run(async () =>
        {
            // The JSON value is complete before its end frame arrives; the empty end frame must
            // still be consumed, or it would be read as the start of the next response.
            await server.AnswerAsync(HeaderFrame(RpcHeader.Ok(DataType.MarshaledJson)),
                Wire.Frame(FrameType.Data, false, "5\n"u8), Wire.Frame(FrameType.Data, true, []));
            await server.AnswerAsync(HeaderFrame(RpcHeader.Ok(DataType.MarshaledJson)), Wire.Frame(FrameType.Data, true, "6\n"u8));
        });
        Assert.That(await client.CallAsync<JsonElement, int>("X", Json("1"), default), Is.EqualTo(5));
        Assert.That(await client.CallAsync<JsonElement, int>("X", Json("1"), default), Is.EqualTo(6));
        await answering.WaitAsync(Patience);
    }

    [Test, Category("CLI-5")]
    public async Task BytesArrivingWithNoRequestOutstanding_FailTheNextCall()
    {
        var (client, server) = Create();
        var unsolicited = Wire.Concat(HeaderFrame(RpcHeader.Ok(DataType.MarshaledJson)), Wire.Frame(FrameType.Data, true, "9\n"u8));
        var answering = server.AnswerAsync(HeaderFrame(RpcHeader.Ok(DataType.MarshaledJson)), Wire.Frame(FrameType.Data, true, "1\n"u8), unsolicited);
        Assert.That(await client.CallAsync<JsonElement, int>("X", Json("1"), default), Is.EqualTo(1));
        await answering;
        var ex = await Assert.ThrowsAsync<ProtocolException>(async () => await client.CallAsync<JsonElement, int>("X", Json("2"), default));
        Assert.That(ex!.RequirementId, Is.EqualTo("CLI-5"));
        Assert.That(client.IsEnded, Is.True);
    }

    [Test, Category("RPC-10"), Category("CLI-7")]
    public async Task NextCall_BeforeTheResponseStreamIsFinished_IsRefused()
    {
        var (client, server) = Create();
        var answering = Task.Run(async () =>
        {
            await server.AnswerAsync(HeaderFrame(RpcHeader.Ok(DataType.Octets)), Wire.Frame(FrameType.Data, false, [1, 2, 3]), Wire.Frame(FrameType.Data, true, [4]));
            await server.AnswerAsync(HeaderFrame(RpcHeader.Ok(DataType.MarshaledJson)), Wire.Frame(FrameType.Data, true, "7\n"u8));
        });
        var body = await client.CallAsync<JsonElement, Stream>("X", Json("1"), default);
        var first = new byte[1];
        Assert.That(await body.ReadAsync(first), Is.EqualTo(1));
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(async () => await client.CallAsync<JsonElement, int>("X", Json("1"), default));
        Assert.That(ex!.Message, Does.Contain("response stream"));
        await body.DisposeAsync(); // drains the rest
        Assert.That(await client.CallAsync<JsonElement, int>("X", Json("1"), default), Is.EqualTo(7));
        await answering.WaitAsync(Patience);
    }

    [Test, Category("RPC-9")]
    public async Task StreamRequest_IsSentAsOctets()
    {
        var (client, server) = Create();
        var payload = Enumerable.Range(0, 5_000_000).Select(i => (byte)i).ToArray();
        var call = client.CallAsync<Stream, int>("Sink", new MemoryStream(payload), default);
        var (header, body) = await server.ReceiveAsync();
        Assert.That(header.DataType, Is.EqualTo((byte)DataType.Octets));
        Assert.That(body, Is.EqualTo(payload));
        await client.DisposeAsync();
        await Assert.CatchAsync(async () => await call);
    }

    [Test, Category("CLI-6")]
    public async Task CallTimeout_FailsTheCall_AndEndsTheConnection()
    {
        var (client, server) = Create(new RpcClientOptions { CallTimeout = TimeSpan.FromMilliseconds(200) });
        var receiving = server.ReceiveAsync();
        await Assert.ThrowsAsync<TimeoutException>(async () => await client.CallAsync<JsonElement, JsonElement>("Slow", Json("1"), default));
        await receiving;
        Assert.That(client.IsEnded, Is.True);
        Assert.That(await server.RestAsync(), Is.EqualTo(Wire.Rst));
    }

    [Test, Category("CLI-6")]
    public async Task Cancellation_FailsTheCall_AndEndsTheConnection()
    {
        var (client, server) = Create();
        using var cts = new CancellationTokenSource();
        var call = client.CallAsync<JsonElement, JsonElement>("Slow", Json("1"), cts.Token);
        await server.ReceiveAsync();
        cts.Cancel();
        await Assert.CatchAsync<OperationCanceledException>(async () => await call);
        Assert.That(client.IsEnded, Is.True);
    }

    [Test, Category("CONN-3"), Category("FRAME-9")]
    public async Task Dispose_SendsRstAndCloses()
    {
        var (client, server) = Create();
        await client.DisposeAsync();
        Assert.That(await server.RestAsync(), Is.EqualTo(Wire.Rst));
    }

    [Test, Category("RPC-1")]
    public async Task CallRaw_SendsExactlyWhatItIsGiven_AndReturnsErrorHeaders()
    {
        var (client, server) = Create();
        var answering = server.AnswerAsync(HeaderFrame(RpcHeader.Failure(Status.RequestError, "nope")));
        var response = await client.CallRawAsync("E", DataType.None, DataType.None, ReadOnlyMemory<byte>.Empty, default);
        Assert.That(response.Header, Is.EqualTo(RpcHeader.Failure(Status.RequestError, "nope")));
        Assert.That(response.IsOk, Is.False);
        Assert.That(await response.Body.ReadAsync(new byte[1]), Is.EqualTo(0));
        await answering;
    }
}
