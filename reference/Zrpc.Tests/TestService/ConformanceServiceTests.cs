using System.Security.Cryptography;
using System.Text.Json;
using NUnit.Framework;
using Zrpc.Rpc;
using Zrpc.Tests.Rpc;
using Zrpc.TestService;

namespace Zrpc.Tests.TestService;

public class ConformanceServiceTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    private static (IRpcClient Client, Task Serving) Remote()
    {
        var server = new RpcServer();
        ConformanceService.Register(server);
        var (c, s) = PipeEnd.CreatePair();
        return (new RpcClient(c), server.ServeConnectionAsync(s, CancellationToken.None));
    }

    private static IRpcClient Local()
    {
        var server = new RpcServer();
        ConformanceService.Register(server);
        return new LocalRpcClient(server);
    }

    private static IEnumerable<TestCaseData> Clients()
    {
        yield return new TestCaseData("remote").SetName("{m}(remote)");
        yield return new TestCaseData("local").SetName("{m}(local)");
    }

    private static IRpcClient Make(string kind) => kind == "remote" ? Remote().Client : Local();

    [TestCaseSource(nameof(Clients)), Category("CTS-2")]
    public async Task Echo_ReturnsAnEqualValue(string kind)
    {
        await using var client = Make(kind);
        var input = JsonDocument.Parse("{\"s\":\"é<\\u0001>\",\"n\":[1,-2.5,1e300,18446744073709551615],\"o\":{\"t\":true,\"f\":false,\"z\":null}}").RootElement;
        var output = await client.CallAsync<JsonElement, JsonElement>("Echo", input, default);
        Assert.That(JsonElement.DeepEquals(input, output), Is.True, output.GetRawText());
    }

    [TestCaseSource(nameof(Clients)), Category("CTS-3"), Category("SRV-5")]
    public async Task Fail_IsStatus4WithTheMessage(string kind)
    {
        await using var client = Make(kind);
        var ex = await Assert.ThrowsAsync<RpcStatusException>(async () =>
            await client.CallAsync<object, JsonElement>("Fail", new { Message = "boom ☃" }, default));
        Assert.That(ex!.Status, Is.EqualTo(Status.Error));
        Assert.That(ex.ErrorMessage, Is.EqualTo("boom ☃"));
    }

    [TestCaseSource(nameof(Clients)), Category("CTS-3"), Category("HDR-8")]
    public async Task Fail_WithHugeMessage_IsShortenedToFit(string kind)
    {
        await using var client = Make(kind);
        string message = string.Concat(Enumerable.Repeat("€<", 3000));
        var ex = await Assert.ThrowsAsync<RpcStatusException>(async () =>
            await client.CallAsync<object, JsonElement>("Fail", new { Message = message }, default));
        Assert.That(message, Does.StartWith(ex!.ErrorMessage));
        Assert.That(RpcHeader.Failure(Status.Error, ex.ErrorMessage).CanonicalLength(), Is.LessThanOrEqualTo(4096));
        Assert.That(ex.ErrorMessage.Length, Is.GreaterThan(100));
    }

    [TestCaseSource(nameof(Clients)), Category("CTS-4")]
    public async Task Source_ProducesIModulo251(string kind)
    {
        await using var client = Make(kind);
        foreach (ulong n in new ulong[] { 0, 1, 251, 252, 4194305 })
        {
            await using var body = await client.CallAsync<object, Stream>("Source", new { Length = n }, default);
            var ms = new MemoryStream();
            await body.CopyToAsync(ms);
            byte[] got = ms.ToArray();
            Assert.That(got.LongLength, Is.EqualTo((long)n));
            for (int i = 0; i < got.Length; i++)
            {
                if (got[i] != (byte)(i % 251))
                {
                    Assert.Fail($"byte {i} is {got[i]}, expected {i % 251}");
                }
            }
        }
    }

    [TestCaseSource(nameof(Clients)), Category("CTS-5")]
    public async Task Sink_ReportsLengthAndLowercaseSha256(string kind)
    {
        await using var client = Make(kind);
        byte[] data = RandomNumberGenerator.GetBytes(5_000_001);
        var result = await client.CallAsync<Stream, ConformanceService.SinkResponse>("Sink", new MemoryStream(data), default);
        Assert.That(result.Length, Is.EqualTo((ulong)data.Length));
        Assert.That(result.SHA256, Is.EqualTo(Convert.ToHexStringLower(SHA256.HashData(data))));
        var empty = await client.CallAsync<Stream, JsonElement>("Sink", new MemoryStream(), default);
        Assert.That(empty.GetRawText(), Is.EqualTo("{\"Length\":0,\"SHA256\":\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\"}"));
    }

    [TestCaseSource(nameof(Clients)), Category("SRV-1"), Category("SRV-2"), Category("SRV-3")]
    public async Task RequestErrors_HaveTheSameOutcomeLocallyAndRemotely(string kind)
    {
        await using var client = Make(kind);
        var e1 = await Assert.ThrowsAsync<RpcStatusException>(async () => await client.CallAsync<int, int>("Nope", 1, default));
        Assert.That((e1!.Status, e1.ErrorMessage), Is.EqualTo((Status.RequestError, "unregistered endpoint Nope")));
        var e2 = await Assert.ThrowsAsync<RpcStatusException>(async () => await client.CallAsync<int, int>("Sink", 1, default));
        Assert.That((e2!.Status, e2.ErrorMessage), Is.EqualTo((Status.RequestError, "wrong DataType for endpoint Sink (has DataTypeOctets, you provided DataTypeMarshaledJSON)")));
        var e3 = await Assert.ThrowsAsync<RpcStatusException>(async () => await client.CallAsync<int, int>("Source", 1, default));
        Assert.That((e3!.Status, e3.ErrorMessage), Is.EqualTo((Status.RequestError, "wrong Accept for endpoint Source (has DataTypeOctets, you provided DataTypeMarshaledJSON)")));
        var e4 = await Assert.ThrowsAsync<RpcStatusException>(async () => await client.CallAsync<int, Stream>("Source", -1, default));
        Assert.That(e4!.Status, Is.EqualTo(Status.RequestError));
        Assert.That(e4.ErrorMessage, Does.StartWith("cannot decode marshaled JSON"));
    }

    [Test, Category("CTS-6"), Category("MSG-6")]
    public async Task HundredMiB_SourceAndSink_StreamInBoundedMemory()
    {
        const ulong size = 100UL * 1024 * 1024;
        var (client, serving) = Remote();
        await using (client)
        {
            // Warm up pools and JIT so that the measurement sees steady-state allocation only.
            await using (var warm = await client.CallAsync<object, Stream>("Source", new { Length = 9_000_000UL }, default))
            {
                await warm.CopyToAsync(Stream.Null);
            }

            await client.CallAsync<Stream, ConformanceService.SinkResponse>("Sink", new PatternStream(9_000_000), default);

            long before = GC.GetTotalAllocatedBytes(precise: true);
            long received = 0;
            await using (var body = await client.CallAsync<object, Stream>("Source", new { Length = size }, default))
            {
                byte[] chunk = new byte[256 * 1024];
                ulong index = 0;
                int n;
                while ((n = await body.ReadAsync(chunk)) > 0)
                {
                    if (chunk[0] != PatternStream.ByteAt(index) || chunk[n - 1] != PatternStream.ByteAt(index + (ulong)n - 1))
                    {
                        Assert.Fail($"wrong content near offset {index}");
                    }

                    index += (ulong)n;
                    received += n;
                }
            }

            var sunk = await client.CallAsync<Stream, ConformanceService.SinkResponse>("Sink", new PatternStream(size), default).WaitAsync(Patience);
            long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;

            Assert.That(received, Is.EqualTo((long)size));
            Assert.That(sunk.Length, Is.EqualTo(size));
            // 200 MiB went through; buffering either body would allocate at least 100 MiB.
            Assert.That(allocated, Is.LessThan(40L * 1024 * 1024), $"allocated {allocated} bytes");
        }

        await serving.WaitAsync(Patience);
    }
}
