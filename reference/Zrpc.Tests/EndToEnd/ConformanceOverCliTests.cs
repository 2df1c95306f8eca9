using System.Text.Json;
using System.Text.Json.Nodes;
using NUnit.Framework;

namespace Zrpc.Tests.EndToEnd;

/// <summary>
/// `zrpc call` against `zrpc serve` as real processes, for the four conformance endpoints (CTS-2..CTS-5)
/// over one transport. One server process per fixture; the stdio fixture starts one per call.
/// </summary>
[Category("EndToEnd")]
public abstract class ConformanceOverCliTests
{
    private const int MiB = 1024 * 1024;

    /// <summary>The --connect value for the calls.</summary>
    protected abstract string Connect { get; }

    [Test]
    public async Task Echo_returns_the_same_JSON_value_CTS_2()
    {
        const string value = """{"text":"grüße <&> \"q\"","n":[0,-1,2.5,1e3,18446744073709551615],"nested":{"t":true,"f":false,"z":null},"empty":[]}""";
        var result = await CliProcess.RunAsync("call", "--connect", Connect, "Echo", "--json", value);

        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        Assert.That(JsonNode.DeepEquals(JsonNode.Parse(result.StdoutText), JsonNode.Parse(value)), Is.True,
            $"echoed {result.StdoutText}");
        Assert.That(result.StdoutText, Does.Contain("\n  "), "the JSON response is printed indented");
    }

    [Test]
    public async Task Echo_reads_the_request_JSON_from_stdin()
    {
        var result = await CliProcess.RunAsync(["call", "--connect", Connect, "Echo"], "[1, \"two\", {\"three\": 3}]\n"u8.ToArray());

        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        Assert.That(JsonNode.DeepEquals(JsonNode.Parse(result.StdoutText), JsonNode.Parse("""[1,"two",{"three":3}]""")), Is.True);
    }

    [Test]
    public async Task Fail_exits_1_naming_the_status_and_the_message_CTS_3()
    {
        var result = await CliProcess.RunAsync("call", "--connect", Connect, "Fail", "--json", """{"Message":"deliberate failure ✓"}""");

        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.Stderr, Does.Contain("Error (4)"));
        Assert.That(result.Stderr, Does.Contain("deliberate failure ✓"));
        Assert.That(result.Stdout, Is.Empty, "an error response has no body (RPC-3)");
    }

    [Test]
    public async Task Unknown_endpoint_exits_1_with_RequestError_SRV_1()
    {
        var result = await CliProcess.RunAsync("call", "--connect", Connect, "NoSuchEndpoint", "--json", "{}");

        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.Stderr, Does.Contain("RequestError (2)"));
    }

    [Test]
    public async Task Verbose_shows_the_canonical_response_header_on_stderr()
    {
        var result = await CliProcess.RunAsync("call", "-v", "--connect", Connect, "Echo", "--json", "7");

        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        Assert.That(result.Stderr, Does.Contain("""> {"Endpoint":"Echo","DataType":2,"Accept":2,"Error":0,"ErrorMessage":""}"""));
        Assert.That(result.Stderr, Does.Contain("""< {"Endpoint":"","DataType":2,"Accept":0,"Error":1,"ErrorMessage":""}"""));
        Assert.That(result.StdoutText.Trim(), Is.EqualTo("7"), "stdout holds only the body");
    }

    [Test]
    public async Task Source_to_stdout_writes_the_raw_octets()
    {
        var result = await CliProcess.RunAsync("call", "--connect", Connect, "Source", "--json", """{"Length":100000}""", "--accept", "octets");

        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        Assert.That(result.Stdout, Has.Length.EqualTo(100000));
        Assert.That(FirstPatternMismatch(new MemoryStream(result.Stdout)), Is.EqualTo(-1));
    }

    // Exact multiples of the 4 MiB frame limit end with an empty end frame (MSG-4); 100 MiB is bulk streaming.
    [TestCase(0L)]
    [TestCase(4L * MiB)]
    [TestCase(8L * MiB)]
    [TestCase(100L * MiB)]
    public async Task Source_to_a_file_yields_i_mod_251_CTS_4(long length)
    {
        string output = EndToEndFiles.NewPath("source.bin");
        var result = await CliProcess.RunAsync("call", "--connect", Connect, "Source", "--json", $$"""{"Length":{{length}}}""", "--octets-out", output);

        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        Assert.That(new FileInfo(output).Length, Is.EqualTo(length));
        using (var file = File.OpenRead(output))
        {
            Assert.That(FirstPatternMismatch(file), Is.EqualTo(-1), "index of the first byte that is not i mod 251");
        }
        Assert.That(result.Stdout, Is.Empty);
        File.Delete(output);
    }

    [TestCase(0L)]
    [TestCase(4L * MiB)]
    [TestCase(8L * MiB)]
    [TestCase(100L * MiB)]
    public async Task Sink_of_a_file_reports_its_length_and_SHA256_CTS_5(long length)
    {
        var (input, sha256) = EndToEndFiles.SinkInput(length);
        var result = await CliProcess.RunAsync("call", "--connect", Connect, "Sink", "--octets-in", input);

        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        using var answer = JsonDocument.Parse(result.StdoutText);
        Assert.That(answer.RootElement.GetProperty("Length").GetInt64(), Is.EqualTo(length));
        Assert.That(answer.RootElement.GetProperty("SHA256").GetString(), Is.EqualTo(sha256));
    }

    [Test]
    public async Task Sink_reads_octets_from_stdin()
    {
        var body = new byte[300_001];
        new Random(7).NextBytes(body);
        var result = await CliProcess.RunAsync(["call", "--connect", Connect, "Sink", "--octets-in", "-"], body);

        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        using var answer = JsonDocument.Parse(result.StdoutText);
        Assert.That(answer.RootElement.GetProperty("Length").GetInt64(), Is.EqualTo(body.Length));
        Assert.That(answer.RootElement.GetProperty("SHA256").GetString(),
            Is.EqualTo(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(body))));
    }

    [Test]
    public async Task Wrong_accept_is_a_RequestError_and_no_output_file_is_left_SRV_3()
    {
        string output = EndToEndFiles.NewPath("never.bin");
        var result = await CliProcess.RunAsync("call", "--connect", Connect, "Echo", "--json", "1", "--octets-out", output);

        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.Stderr, Does.Contain("RequestError (2)"));
        Assert.That(File.Exists(output), Is.False);
    }

    /// <summary>-1 when every byte i of the stream is i mod 251, else the first index that is not.</summary>
    private static long FirstPatternMismatch(Stream stream)
    {
        var buffer = new byte[MiB];
        long index = 0;
        int n;
        while ((n = stream.Read(buffer, 0, buffer.Length)) > 0)
        {
            for (int i = 0; i < n; i++, index++)
            {
                if (buffer[i] != (byte)(index % 251)) return index;
            }
        }
        return -1;
    }
}

[TestFixture]
[Category("EndToEnd")]
public sealed class ConformanceOverCliTcpTests : ConformanceOverCliTests
{
    private ServeProcess? _server;

    protected override string Connect => _server!.Address.ToString();

    [OneTimeSetUp]
    public async Task StartServer() => _server = await ServeProcess.StartAsync("tcp://127.0.0.1:0");

    [OneTimeTearDown]
    public async Task StopServer()
    {
        if (_server is not null) await _server.DisposeAsync();
    }
}

[TestFixture]
[Category("EndToEnd")]
public sealed class ConformanceOverCliUnixTests : ConformanceOverCliTests
{
    private ServeProcess? _server;

    protected override string Connect => _server!.Address.ToString();

    [OneTimeSetUp]
    public async Task StartServer() =>
        _server = await ServeProcess.StartAsync("unix://" + Path.Combine(EndToEndFiles.Directory, "serve.sock"));

    [OneTimeTearDown]
    public async Task StopServer()
    {
        if (_server is not null) await _server.DisposeAsync();
    }
}

/// <summary>The client starts `zrpc serve --listen stdio` itself for every call (exec: transport).</summary>
[TestFixture]
[Category("EndToEnd")]
public sealed class ConformanceOverCliStdioTests : ConformanceOverCliTests
{
    protected override string Connect => CliProcess.StdioServerAddress.ToString();
}
