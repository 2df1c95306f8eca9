using System.Diagnostics;
using System.Text;
using System.Text.Json;
using NUnit.Framework;
using Zrpc.Frames;
using Zrpc.Messages;
using Zrpc.Rpc;
using Zrpc.Tests.Examples;
using Zrpc.Tests.Frames;
using Zrpc.TestService;

namespace Zrpc.Tests.Rpc;

/// <summary>
/// Profile fa4d209 (spec/profile-fa4d209.md) in the reference: its numbering, control requests,
/// the Close handshake in both roles and the teardown waits; the byte-exact examples of the
/// profile document against what the reference client and server write.
/// </summary>
public class Fa4d209ProfileTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private static readonly byte[] Rst = [0xFF, 0x01, 0x00, 0x00, 0x00, 0x00];

    private static RpcServer Server(Profile profile = Profile.Fa4d209, TimeSpan? hangupWait = null)
    {
        var server = new RpcServer(new RpcServerOptions { Profile = profile, HangupWait = hangupWait ?? CloseHandshake.HangupWait });
        ConformanceService.Register(server);
        return server;
    }

    private static byte[] Example(string name)
    {
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
        {
            string path = Path.Combine(dir.FullName, "spec", "profile-fa4d209.md");
            if (File.Exists(Path.Combine(dir.FullName, "Conformance.sln")))
            {
                Assert.That(File.Exists(path), Is.True, $"{path} is missing");
                var examples = SpecExamplesTests.ParseExamples(File.ReadAllText(path));
                Assert.That(examples, Does.ContainKey(name), $"spec/profile-fa4d209.md has no ```hex example={name} block");
                return examples[name];
            }
        }

        Assert.Fail("no folder containing Conformance.sln above the test directory");
        return null!;
    }

    private static string Hex(byte[] b) => Convert.ToHexString(b);

    /// <summary>One call through a fa4d209 client and server, then the client's Close: what each side wrote.</summary>
    private static async Task<(byte[] Request, byte[] Response)> RecordAsync(Func<RpcClient, Task> call)
    {
        var (clientEnd, serverEnd) = PipeEnd.CreatePair();
        clientEnd.Record = true;
        serverEnd.Record = true;
        var serving = Server().ServeConnectionAsync(serverEnd, CancellationToken.None);
        var client = new RpcClient(clientEnd, new RpcClientOptions { Profile = Profile.Fa4d209 });
        await call(client).WaitAsync(Patience);
        await client.CloseAsync(CancellationToken.None).WaitAsync(Patience);
        await serving.WaitAsync(Patience);
        return (clientEnd.Written, serverEnd.Written);
    }

    private static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    [Test, Category("FAHDR-1")]
    public void Numbering_FollowsTheProfileDocument()
    {
        Assert.That(Profile.Fa4d209.Wire(DataType.None), Is.EqualTo(1));
        Assert.That(Profile.Fa4d209.Wire(DataType.MarshaledJson), Is.EqualTo(3));
        Assert.That(Profile.Fa4d209.Wire(DataType.Octets), Is.EqualTo(4));
        Assert.That(Profiles.Fa4d209Control, Is.EqualTo(2));
        Assert.That(Profile.P6ab05ee.Wire(DataType.MarshaledJson), Is.EqualTo(2));
        Assert.That(Profile.P6ab05ee.Wire(DataType.Octets), Is.EqualTo(3));
        Assert.That(Profile.Fa4d209.Describe(2), Is.EqualTo("DataTypeControl"));
        Assert.That(Profiles.Parse("FA4D209"), Is.EqualTo(Profile.Fa4d209));
        Assert.That(Profiles.Parse("6ab05ee").Name(), Is.EqualTo("6ab05ee"));
        var error = Assert.Throws<ArgumentException>(() => Profiles.Parse("0.0.3"));
        Assert.That(error!.Message, Does.Contain("0.0.3").And.Contain("fa4d209"));
    }

    [Test, Category("FACTS-1"), Category("FARPC-2"), Category("FASRV-3"), Category("FACLI-3")]
    public async Task EchoThenClose_AreTheSpecExamplesByteForByte()
    {
        var (request, response) = await RecordAsync(c => c.CallAsync<JsonElement, JsonElement>("Echo", JsonDocument.Parse("{\"a\":1}").RootElement, default));
        Assert.That(Hex(request), Is.EqualTo(Hex(Concat(Example("fa4d209-echo-request"), Example("fa4d209-close-request"), Rst))));
        Assert.That(Hex(response), Is.EqualTo(Hex(Concat(Example("fa4d209-echo-response"), Example("fa4d209-close-response"), Rst))));
    }

    [Test, Category("FACTS-1"), Category("CTS-3")]
    public async Task Fail_IsTheSpecExample()
    {
        var (request, response) = await RecordAsync(async c =>
            await Assert.ThatAsync(() => c.CallAsync<ConformanceService.FailRequest, JsonElement>("Fail", new ConformanceService.FailRequest { Message = "boom" }, default),
                Throws.InstanceOf<RpcStatusException>()));
        Assert.That(Hex(request), Does.StartWith(Hex(Example("fa4d209-fail-request"))));
        Assert.That(Hex(response), Does.StartWith(Hex(Example("fa4d209-fail-response"))));
    }

    [Test, Category("FACTS-1"), Category("CTS-4"), Category("CTS-5")]
    public async Task SourceAndSink_AreTheSpecExamples()
    {
        var (request, response) = await RecordAsync(async c =>
        {
            await using (var body = await c.CallAsync<ConformanceService.SourceRequest, Stream>("Source", new ConformanceService.SourceRequest { Length = 10 }, default))
            {
                await body.CopyToAsync(Stream.Null);
            }

            await using var sink = await c.CallRawAsync("Sink", DataType.Octets, DataType.MarshaledJson, Enumerable.Range(0, 10).Select(i => (byte)i).ToArray(), default);
            Assert.That(sink.IsOk, Is.True);
            await sink.Body.CopyToAsync(Stream.Null);
        });
        Assert.That(Hex(request), Does.StartWith(Hex(Concat(Example("fa4d209-source-request"), Example("fa4d209-sink-request")))));
        Assert.That(Hex(response), Does.StartWith(Hex(Concat(Example("fa4d209-source-response"), Example("fa4d209-sink-response")))));
    }

    [Test, Category("FARPC-1"), Category("RPC-11")]
    public async Task NoneRequest_IsTheSpecExample()
    {
        var (request, response) = await RecordAsync(async c =>
        {
            await using var answer = await c.CallRawAsync("Nope", DataType.None, DataType.None, ReadOnlyMemory<byte>.Empty, default);
            Assert.That(answer.Header.Error, Is.EqualTo((ulong)Status.RequestError));
        });
        Assert.That(Hex(request), Does.StartWith(Hex(Example("fa4d209-none-request"))));
        Assert.That(Hex(response), Does.StartWith(Hex(Example("fa4d209-none-response"))));
    }

    [Test, Category("FASRV-2"), Category("FARPC-3")]
    public async Task UnregisteredControlEndpoint_IsRequestErrorAndTheConnectionGoesOn()
    {
        var (client, serverEnd) = PipeEnd.CreatePair();
        var serving = Server().ServeConnectionAsync(serverEnd, CancellationToken.None);
        var responses = new MessageReader(new FrameReader(client));
        await client.WriteAsync(Example("fa4d209-unregistered-control-endpoint-request")); // no Data message
        using var cts = new CancellationTokenSource(Patience);
        var answer = await RawRequests.ReadResponseAsync(responses, cts.Token);
        Assert.That(Hex(Wire.Frame(FrameType.Header, true, answer!.Header.ToCanonicalBytes())), Is.EqualTo(Hex(Example("fa4d209-unregistered-control-endpoint-response"))));

        await client.WriteAsync(Example("fa4d209-echo-request"));
        var echo = await RawRequests.ReadResponseAsync(responses, cts.Token);
        Assert.That(echo!.Header, Is.EqualTo(new RpcHeader("", 3, 0, 1, "")));
        Assert.That(Encoding.UTF8.GetString(echo.Body!), Is.EqualTo("{\"a\":1}\n"));
        await client.DisposeAsync();
        await serving.WaitAsync(Patience);
    }

    [Test, Category("FASRV-4"), Category("MSG-3"), Category("FACONN-1")]
    public async Task ControlRequestWithABody_EndsTheConnectionWithRst()
    {
        var (client, serverEnd) = PipeEnd.CreatePair();
        var serving = Server(hangupWait: TimeSpan.Zero).ServeConnectionAsync(serverEnd, CancellationToken.None);
        await client.WriteAsync(Concat(Example("fa4d209-unregistered-control-endpoint-request"), Wire.Frame(FrameType.Data, true, "{\"a\":1}\n"u8.ToArray())));
        byte[] rest = await client.ReadToEndAsync(Patience);
        Assert.That(Hex(rest), Is.EqualTo(Hex(Concat(Example("fa4d209-unregistered-control-endpoint-response"), Rst))),
            "the RequestError answer, then RST for the Data frame where a request header belongs");
        await serving.WaitAsync(Patience);
    }

    [Test, Category("FASRV-3"), Category("FACONN-2"), Category("FACONN-3")]
    public async Task Close_ServerAnswersSendsRstAndClosesAtOnceWhenTheClientSendsItsRst()
    {
        var (client, serverEnd) = PipeEnd.CreatePair();
        var serving = Server().ServeConnectionAsync(serverEnd, CancellationToken.None);
        await client.WriteAsync(Example("fa4d209-close-request"));
        var answer = new byte[Example("fa4d209-close-response").Length + Rst.Length];
        await client.ReadExactlyAsync(answer).AsTask().WaitAsync(Patience);
        Assert.That(Hex(answer), Is.EqualTo(Hex(Concat(Example("fa4d209-close-response"), Rst))));

        var clock = Stopwatch.StartNew();
        await client.WriteAsync(Rst);
        Assert.That(await client.ReadToEndAsync(Patience), Is.Empty, "nothing after the server's RST");
        await serving.WaitAsync(Patience);
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromMilliseconds(800)), "the client's RST ends the server's wait");
    }

    [Test, Category("FACONN-1"), Category("FACONN-3")]
    public async Task ProtocolError_ServerSendsRstAndStillWaitsForTheClient()
    {
        var (client, serverEnd) = PipeEnd.CreatePair();
        var serving = Server().ServeConnectionAsync(serverEnd, CancellationToken.None);
        await client.WriteAsync(Wire.Frame(0x07, 1, ReadOnlySpan<byte>.Empty)); // nothing after the bad header: any further byte would end the wait
        var rst = new byte[Rst.Length];
        await client.ReadExactlyAsync(rst).AsTask().WaitAsync(Patience);
        Assert.That(Hex(rst), Is.EqualTo(Hex(Rst)), "FRAME-2 error: RST first");
        var clock = Stopwatch.StartNew();
        Assert.That(await client.ReadToEndAsync(Patience), Is.Empty);
        await serving.WaitAsync(Patience);
        Assert.That(clock.Elapsed, Is.GreaterThan(TimeSpan.FromMilliseconds(700)).And.LessThan(TimeSpan.FromSeconds(3)),
            "after a protocol error too, the server waits up to 1 s for the client before closing");
    }

    [Test, Category("FACONN-2"), Category("FACONN-3")]
    public async Task Close_ServerWaitsOneSecondForASilentClientThenCloses()
    {
        var (client, serverEnd) = PipeEnd.CreatePair();
        var serving = Server().ServeConnectionAsync(serverEnd, CancellationToken.None);
        await client.WriteAsync(Example("fa4d209-close-request"));
        var answer = new byte[Example("fa4d209-close-response").Length + Rst.Length];
        await client.ReadExactlyAsync(answer).AsTask().WaitAsync(Patience);
        var clock = Stopwatch.StartNew();
        Assert.That(await client.ReadToEndAsync(Patience), Is.Empty);
        await serving.WaitAsync(Patience);
        Assert.That(clock.Elapsed, Is.GreaterThan(TimeSpan.FromMilliseconds(700)).And.LessThan(TimeSpan.FromSeconds(3)),
            "the released server waits up to 1 s for the client, then closes");
    }

    [Test, Category("FASRV-1"), Category("FARPC-4")]
    public async Task ServiceEndpointNamedClose_IsCalledByAServiceRequest()
    {
        var (client, serverEnd) = PipeEnd.CreatePair();
        var server = Server();
        server.Register<JsonElement, JsonElement>("Close", (value, _) => Task.FromResult(value));
        var serving = server.ServeConnectionAsync(serverEnd, CancellationToken.None);
        await using var rpc = new RpcClient(client, new RpcClientOptions { Profile = Profile.Fa4d209 });
        var echoed = await rpc.CallAsync<JsonElement, JsonElement>("Close", JsonDocument.Parse("[7]").RootElement, default).WaitAsync(Patience);
        Assert.That(echoed.GetRawText(), Is.EqualTo("[7]"), "FARPC-4: control endpoints are a namespace of their own");
        await rpc.CloseAsync(default).WaitAsync(Patience);
        await serving.WaitAsync(Patience);
    }

    [Test, Category("FACLI-4")]
    public async Task ClientClose_ANonOkAnswerIsAFailedCloseAndTheConnectionEnds()
    {
        var (clientEnd, serverEnd) = PipeEnd.CreatePair();
        serverEnd.Record = true;
        var client = new RpcClient(clientEnd, new RpcClientOptions { Profile = Profile.Fa4d209 });
        var closing = client.CloseAsync(default);
        var requests = new MessageReader(new FrameReader(serverEnd));
        var request = await requests.ReadHeaderMessageAsync(default).AsTask().WaitAsync(Patience);
        Assert.That(RpcHeader.Parse(request!.Value.Span), Is.EqualTo(CloseHandshake.CloseRequest));
        await serverEnd.WriteAsync(Wire.Frame(FrameType.Header, true, RpcHeader.Failure(Status.RequestError, "unregistered endpoint Close").ToCanonicalBytes()));
        var error = await Assert.ThrowsAsync<RpcStatusException>(async () => await closing.WaitAsync(Patience));
        Assert.That(error!.Status, Is.EqualTo(Status.RequestError));
        Assert.That(client.IsEnded, Is.True);
        serverEnd.Dispose();
    }

    [Test, Category("FACLI-2")]
    public async Task ClientClose_GivesUpAfterTheCloseTimeout()
    {
        var (clientEnd, serverEnd) = PipeEnd.CreatePair();
        var client = new RpcClient(clientEnd, new RpcClientOptions { Profile = Profile.Fa4d209, CloseTimeout = TimeSpan.FromMilliseconds(300) });
        var clock = Stopwatch.StartNew();
        await Assert.ThrowsAsync<TimeoutException>(async () => await client.CloseAsync(default).WaitAsync(Patience));
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)));
        Assert.That(client.IsEnded, Is.True, "FACLI-2: the client closes without waiting further");
        Assert.That(await serverEnd.ReadToEndAsync(Patience), Has.Length.GreaterThan(0), "the Close request went out");
    }

    [Test, Category("FACLI-3")]
    public async Task ClientDispose_DoesTheCloseHandshake()
    {
        var (clientEnd, serverEnd) = PipeEnd.CreatePair();
        clientEnd.Record = true;
        var serving = Server().ServeConnectionAsync(serverEnd, CancellationToken.None);
        await new RpcClient(clientEnd, new RpcClientOptions { Profile = Profile.Fa4d209 }).DisposeAsync().AsTask().WaitAsync(Patience);
        await serving.WaitAsync(Patience);
        Assert.That(Hex(clientEnd.Written), Is.EqualTo(Hex(Concat(Example("fa4d209-close-request"), Rst))));
    }

    [Test, Category("FAHDR-1")]
    public async Task ProfileMismatch_Fa4d209ClientGetsRequestErrorFrom6ab05eeServer()
    {
        var (clientEnd, serverEnd) = PipeEnd.CreatePair();
        var serving = Server(Profile.P6ab05ee).ServeConnectionAsync(serverEnd, CancellationToken.None);
        await using (var client = new RpcClient(clientEnd, new RpcClientOptions { Profile = Profile.Fa4d209, CloseTimeout = TimeSpan.FromMilliseconds(200) }))
        {
            var error = await Assert.ThrowsAsync<RpcStatusException>(async () =>
                await client.CallAsync<JsonElement, JsonElement>("Echo", JsonDocument.Parse("{}").RootElement, default).WaitAsync(Patience));
            Assert.That(error!.ErrorMessage, Does.Contain("wrong DataType"));
        }

        await serving.WaitAsync(Patience);
    }
}
