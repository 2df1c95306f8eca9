using NUnit.Framework;
using Zrpc.Transport;

namespace Zrpc.Tests.EndToEnd;

/// <summary>Exit codes and shutdown of the CLI that do not depend on one transport.</summary>
[TestFixture]
[Category("EndToEnd")]
public sealed class CliBehaviourTests
{
    [TestCase("missing ':port'", new[] { "call", "--connect", "tcp://127.0.0.1", "Echo", "--json", "1" })]
    [TestCase("unknown scheme", new[] { "call", "--connect", "ftp://x:1", "Echo", "--json", "1" })]
    [TestCase("allowed here", new[] { "call", "--connect", "stdio", "Echo", "--json", "1" })]
    [TestCase("not valid JSON", new[] { "call", "--connect", "tcp://127.0.0.1:1", "Echo", "--json", "{oops" })]
    [TestCase("at most one", new[] { "call", "--connect", "tcp://127.0.0.1:1", "Echo", "--json", "1", "--octets-in", "-" })]
    [TestCase("xml", new[] { "call", "--connect", "tcp://127.0.0.1:1", "Echo", "--json", "1", "--accept", "xml" })]
    [TestCase("does not exist", new[] { "call", "--connect", "tcp://127.0.0.1:1", "Sink", "--octets-in", "/nonexistent/zrpc-input" })]
    [TestCase("ENDPOINT", new[] { "call", "--connect", "tcp://127.0.0.1:1" })]
    [TestCase("allowed here", new[] { "serve", "--listen", "exec:cat" })]
    [TestCase("--listen", new[] { "serve" })]
    [TestCase("--threaded-connections must be at least 1, not 0", new[] { "serve", "--listen", "tcp://127.0.0.1:0", "--threaded-connections", "0" })]
    [TestCase("--thread-per-connection contradicts --connection-threading async", new[] { "serve", "--listen", "tcp://127.0.0.1:0", "--thread-per-connection", "--connection-threading", "async" })]
    [TestCase("sometimes", new[] { "serve", "--listen", "tcp://127.0.0.1:0", "--connection-threading", "sometimes" })]
    [TestCase("frobnicate", new[] { "frobnicate" })]
    public async Task Usage_errors_exit_2_and_say_what_is_wrong(string expectedFragment, string[] arguments)
    {
        var result = await CliProcess.RunAsync(arguments);
        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
        Assert.That(result.Stderr, Does.Contain(expectedFragment));
        Assert.That(result.Stdout, Is.Empty, "diagnostics go to stderr");
    }

    [TestCase(new string[0], true)]
    [TestCase(new[] { "--connection-threading", "auto", "--threaded-connections", "1" }, true)]
    [TestCase(new[] { "--thread-per-connection" }, true)]
    [TestCase(new[] { "--connection-threading", "async" }, false)]
    public async Task Serve_gives_the_first_connections_a_thread_of_their_own_unless_told_otherwise(string[] options, bool threaded)
    {
        await using var server = await ServeProcess.StartAsync("tcp://127.0.0.1:0", options);
        var call = await CliProcess.RunAsync("call", "--connect", server.Address.ToString(), "Echo", "--json", "5");
        Assert.That(call.ExitCode, Is.Zero, call.ToString());
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!server.Stderr.Contains("connection 1: open") && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.That(server.Stderr.Contains("connection 1: open (thread of its own)"), Is.EqualTo(threaded), server.Stderr);
    }

    [Test]
    public async Task Connection_refused_exits_3()
    {
        // Bind and close a listener to get a port nobody listens on.
        int port;
        await using (var listener = (TcpConnectionListener)Listeners.Listen(TransportAddress.Parse("tcp://127.0.0.1:0")))
        {
            port = listener.LocalEndPoint.Port;
        }
        var result = await CliProcess.RunAsync("call", "--connect", $"tcp://127.0.0.1:{port}", "Echo", "--json", "1");
        Assert.That(result.ExitCode, Is.EqualTo(3), result.ToString());
        Assert.That(result.Stderr, Does.Contain("transport error"));
    }

    [Test]
    public async Task A_peer_that_is_not_a_server_is_a_protocol_error_exit_3_CLI_2()
    {
        // cat sends our own request back: a header with status 0, which no response may carry.
        var result = await CliProcess.RunAsync("call", "--connect", "exec:cat", "Echo", "--json", "1");
        Assert.That(result.ExitCode, Is.EqualTo(3), result.ToString());
        Assert.That(result.Stderr, Does.Contain("CLI-2"));
    }

    [Test]
    public async Task An_exec_server_that_dies_exits_3_and_its_stderr_is_shown()
    {
        var result = await CliProcess.RunAsync("call", "--connect", "exec:sh -c 'echo the-server-died-here >&2; exit 1'", "Echo", "--json", "1");
        Assert.That(result.ExitCode, Is.EqualTo(3), result.ToString());
        Assert.That(result.Stderr, Does.Contain("the-server-died-here"));
    }

    [Test]
    public async Task Serve_stops_cleanly_on_SIGTERM_and_removes_its_unix_socket()
    {
        string socket = Path.Combine(EndToEndFiles.Directory, "sigterm.sock");
        await using var server = await ServeProcess.StartAsync("unix://" + socket);
        var call = await CliProcess.RunAsync("call", "--connect", server.Address.ToString(), "Echo", "--json", "\"up\"");
        Assert.That(call.ExitCode, Is.Zero, call.ToString());
        Assert.That(File.Exists(socket), Is.True);

        int exitCode = await server.StopAsync();

        Assert.That(exitCode, Is.Zero, server.Stderr);
        Assert.That(File.Exists(socket), Is.False, "the socket file is removed on shutdown");
        Assert.That(server.Stderr, Does.Contain("connection"), "connections are logged to stderr");
    }

    [Test]
    public async Task Serve_stops_cleanly_on_SIGTERM_over_tcp()
    {
        await using var server = await ServeProcess.StartAsync("tcp://127.0.0.1:0");
        Assert.That(server.Address.Port, Is.Not.Zero);
        Assert.That(await server.StopAsync(), Is.Zero, server.Stderr);
    }

    [Test]
    public async Task Help_documents_the_exit_codes()
    {
        var result = await CliProcess.RunAsync("call", "--help");
        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        Assert.That(result.StdoutText, Does.Contain("2 usage error").And.Contain("3 protocol or transport error").And.Contain("1 the server answered"));
    }
}
