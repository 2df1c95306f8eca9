using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using NUnit.Framework;
using Zrpc.Rpc;
using Zrpc.Tests.Rpc;
using Zrpc.TestService;

namespace Zrpc.Tests.Examples;

/// <summary>
/// The byte-exact examples of spec/protocol.md (fenced blocks with info string
/// <c>hex example=NAME</c>) must be exactly what the reference client and server write.
/// A missing spec file or block fails the test: the examples are part of the contract.
/// </summary>
public class SpecExamplesTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private static string FindSpec()
    {
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Conformance.sln")))
            {
                string spec = Path.Combine(dir.FullName, "spec", "protocol.md");
                if (!File.Exists(spec))
                {
                    Assert.Fail($"spec/protocol.md not found at {spec}: the byte-exact examples cannot be checked");
                }

                return spec;
            }
        }

        Assert.Fail($"no folder containing Conformance.sln above {TestContext.CurrentContext.TestDirectory}");
        return null!;
    }

    /// <summary>Parses every ```hex example=NAME block: hex pairs, '#' comments to end of line.</summary>
    internal static Dictionary<string, byte[]> ParseExamples(string markdown)
    {
        var result = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var block = new Regex(@"^```hex example=(?<name>[A-Za-z0-9_.-]+)[ \t]*\r?\n(?<body>.*?)^```[ \t]*\r?$", RegexOptions.Multiline | RegexOptions.Singleline);
        foreach (Match m in block.Matches(markdown))
        {
            var bytes = new List<byte>();
            foreach (string rawLine in m.Groups["body"].Value.Split('\n'))
            {
                int hash = rawLine.IndexOf('#');
                string line = hash >= 0 ? rawLine[..hash] : rawLine;
                foreach (string token in line.Split([' ', '\t', '\r'], StringSplitOptions.RemoveEmptyEntries))
                {
                    if (token.Length != 2 || !byte.TryParse(token, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out byte b))
                    {
                        throw new FormatException($"example {m.Groups["name"].Value}: '{token}' is not a hex byte pair");
                    }

                    bytes.Add(b);
                }
            }

            result[m.Groups["name"].Value] = bytes.ToArray();
        }

        return result;
    }

    private static byte[] Example(string name)
    {
        var examples = ParseExamples(File.ReadAllText(FindSpec()));
        if (!examples.TryGetValue(name, out var bytes))
        {
            Assert.Fail($"spec/protocol.md has no ```hex example={name} block (found: {string.Join(", ", examples.Keys)})");
        }

        return bytes!;
    }

    /// <summary>Runs one call through a real client and server, recording what each side wrote.</summary>
    private static async Task<(byte[] Request, byte[] Response)> RecordAsync(Func<RpcClient, Task> call)
    {
        var server = new RpcServer();
        ConformanceService.Register(server);
        var (clientEnd, serverEnd) = PipeEnd.CreatePair();
        clientEnd.Record = true;
        serverEnd.Record = true;
        var serving = server.ServeConnectionAsync(serverEnd, CancellationToken.None);
        var client = new RpcClient(clientEnd);
        await call(client).WaitAsync(Patience);
        byte[] request = clientEnd.Written;
        byte[] response = serverEnd.Written;
        await client.DisposeAsync();
        await serving.WaitAsync(Patience);
        return (request, response);
    }

    private static string Hex(byte[] b) => Convert.ToHexString(b);

    [Test, Category("RPC-1"), Category("RPC-3"), Category("HDR-2"), Category("RPC-8"), Category("CTS-2")]
    public async Task Echo()
    {
        byte[] expectedRequest = Example("echo-request"), expectedResponse = Example("echo-response");
        var (request, response) = await RecordAsync(c => c.CallAsync<JsonElement, JsonElement>("Echo", JsonDocument.Parse("{\"a\":1}").RootElement, default));
        Assert.That(Hex(request), Is.EqualTo(Hex(expectedRequest)), "echo-request");
        Assert.That(Hex(response), Is.EqualTo(Hex(expectedResponse)), "echo-response");
    }

    [Test, Category("SRV-5"), Category("RPC-5"), Category("CTS-3")]
    public async Task Fail()
    {
        byte[] expectedRequest = Example("fail-request"), expectedResponse = Example("fail-response");
        var (request, response) = await RecordAsync(async c =>
        {
            var ex = await Assert.ThrowsAsync<RpcStatusException>(async () =>
                await c.CallAsync<ConformanceService.FailRequest, JsonElement>("Fail", new ConformanceService.FailRequest { Message = "boom" }, default));
            Assert.That(ex!.ErrorMessage, Is.EqualTo("boom"));
        });
        Assert.That(Hex(request), Is.EqualTo(Hex(expectedRequest)), "fail-request");
        Assert.That(Hex(response), Is.EqualTo(Hex(expectedResponse)), "fail-response");
    }

    [Test, Category("RPC-9"), Category("MSG-4"), Category("CTS-4")]
    public async Task Source()
    {
        byte[] expectedRequest = Example("source-request"), expectedResponse = Example("source-response");
        var (request, response) = await RecordAsync(async c =>
        {
            await using var body = await c.CallAsync<ConformanceService.SourceRequest, Stream>("Source", new ConformanceService.SourceRequest { Length = 10 }, default);
            await body.CopyToAsync(Stream.Null);
        });
        Assert.That(Hex(request), Is.EqualTo(Hex(expectedRequest)), "source-request");
        Assert.That(Hex(response), Is.EqualTo(Hex(expectedResponse)), "source-response");
    }

    [Test, Category("FRAME-9"), Category("CONN-3")]
    public async Task Rst()
    {
        byte[] expected = Example("rst");
        var (clientEnd, serverEnd) = PipeEnd.CreatePair();
        clientEnd.Record = true;
        await new RpcClient(clientEnd).DisposeAsync();
        Assert.That(Hex(clientEnd.Written), Is.EqualTo(Hex(expected)), "rst: what the client's Close writes");
        serverEnd.Dispose();
    }

    [Test, Category("SRV-1"), Category("SRV-7")]
    public async Task UnregisteredEndpoint()
    {
        byte[] expected = Example("unregistered-endpoint-response");
        var (_, response) = await RecordAsync(async c =>
        {
            var ex = await Assert.ThrowsAsync<RpcStatusException>(async () =>
                await c.CallAsync<JsonElement, JsonElement>("Nope", JsonDocument.Parse("{\"a\":1}").RootElement, default));
            Assert.That(ex!.Status, Is.EqualTo(Status.RequestError));
        });
        Assert.That(Hex(response), Is.EqualTo(Hex(expected)), "unregistered-endpoint-response");
    }

    [Test, Category("RPC-9"), Category("CTS-5")]
    public async Task Sink()
    {
        byte[] expectedRequest = Example("sink-request"), expectedResponse = Example("sink-response");
        var (request, response) = await RecordAsync(async c =>
        {
            await using var answer = await c.CallRawAsync("Sink", DataType.Octets, DataType.MarshaledJson, Enumerable.Range(0, 10).Select(i => (byte)i).ToArray(), default);
            Assert.That(answer.IsOk, Is.True);
            await answer.Body.CopyToAsync(Stream.Null);
        });
        Assert.That(Hex(request), Is.EqualTo(Hex(expectedRequest)), "sink-request");
        Assert.That(Hex(response), Is.EqualTo(Hex(expectedResponse)), "sink-response");
    }

    [Test, Category("RPC-11"), Category("SRV-1"), Category("SRV-7")]
    public async Task NoneBody()
    {
        byte[] expectedRequest = Example("none-request"), expectedResponse = Example("unregistered-endpoint-response");
        var (request, response) = await RecordAsync(async c =>
        {
            await using var answer = await c.CallRawAsync("Nope", DataType.None, DataType.None, ReadOnlyMemory<byte>.Empty, default);
            Assert.That(answer.Header.Error, Is.EqualTo((ulong)Status.RequestError));
        });
        Assert.That(Hex(request), Is.EqualTo(Hex(expectedRequest)), "none-request");
        Assert.That(Hex(response), Is.EqualTo(Hex(expectedResponse)), "unregistered-endpoint-response after none-request");
    }

    [Test]
    public void HexBlockParser_HandlesCommentsAndRejectsGarbage()
    {
        var parsed = ParseExamples("x\n```hex example=a\n01 0a # c 99\nFF\n```\n```hex example=b\n```\n");
        Assert.That(parsed["a"], Is.EqualTo(new byte[] { 0x01, 0x0A, 0xFF }));
        Assert.That(parsed["b"], Is.Empty);
        Assert.Throws<FormatException>(() => ParseExamples("```hex example=c\n0G\n```\n"));
    }
}
