using System.Diagnostics;
using System.Net.Sockets;
using NUnit.Framework;
using Zrpc.Frames;
using Zrpc.Tests.EndToEnd;
using Zrpc.Tests.Frames;
using Zrpc.Tests.Rpc;
using Zrpc.Transport;

namespace Zrpc.Tests.Reliability;

/// <summary>
/// The hostile peers of the reliability report against `zrpc serve` and `zrpc call` exactly as a
/// user starts them: no option but the address. Each test name is a row of docs/reliability.md.
/// </summary>
[TestFixture]
[Category("Reliability")]
[Category("EndToEnd")]
[NonParallelizable]
public sealed class CliDefaultsTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private ServeProcess? _server;

    [OneTimeSetUp]
    public async Task StartServer() => _server = await ServeProcess.StartAsync("tcp://127.0.0.1:0");

    [OneTimeTearDown]
    public async Task StopServer()
    {
        if (_server is not null) await _server.DisposeAsync();
    }

    private async Task<Socket> ConnectAsync(int receiveBuffer = 0)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        if (receiveBuffer > 0) socket.ReceiveBufferSize = receiveBuffer;
        await socket.ConnectAsync(_server!.Address.Host, _server.Address.Port);
        return socket;
    }

    private async Task<bool> LogShowsAsync(string fragment, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (DateTime.UtcNow < deadline)
        {
            if (_server!.Stderr.Contains(fragment)) return true;
            await Task.Delay(100);
        }
        return false;
    }

    [Test]
    public async Task Silent_connections_1024_of_them_do_not_lock_out_a_zrpc_call()
    {
        var silent = new List<Socket>();
        try
        {
            for (int i = 0; i < 1024; i++) silent.Add(await ConnectAsync());
            await Task.Delay(TimeSpan.FromSeconds(2)); // all accepted, and idle for more than a second

            var call = await CliProcess.RunAsync("call", "--connect", _server!.Address.ToString(), "Echo", "--json", "\"served\"");

            Assert.That(call.ExitCode, Is.Zero, call + "\n" + _server.Stderr[^Math.Min(2000, _server.Stderr.Length)..]);
            Assert.That(call.StdoutText.Trim(), Is.EqualTo("\"served\""));
            // The rest are closed by the first-request timeout (CONN-7), 10 s by default.
            Assert.That(await LogShowsAsync("of connecting (CONN-7)", Patience), Is.True);
        }
        finally
        {
            foreach (var s in silent) s.Dispose();
        }
    }

    [Test]
    public async Task Non_reading_client_asking_for_a_1_GiB_Source_is_cut_off_by_the_send_timeout()
    {
        using var socket = await ConnectAsync(receiveBuffer: 4096);
        await socket.SendAsync(RawRequests.JsonRequest("Source", "{\"Length\":1073741824}", accept: 3));
        var clock = Stopwatch.StartNew();

        Assert.That(await LogShowsAsync("longer than the send timeout (CONN-8)", Patience), Is.True, _server!.Stderr);
        Assert.That(clock.Elapsed, Is.GreaterThan(TimeSpan.FromSeconds(20)), "not before the 30 s default");
    }

    [Test]
    public async Task Sink_body_of_endless_empty_frames_ends_the_connection()
    {
        using var socket = await ConnectAsync();
        await socket.SendAsync(RawRequests.Header("Sink", 3, 2));
        var empty = Wire.Concat(Enumerable.Repeat(Wire.Frame(FrameType.Data, false, []), 4096).ToArray());
        var clock = Stopwatch.StartNew();
        try
        {
            while (clock.Elapsed < Patience) await socket.SendAsync(empty);
        }
        catch (SocketException)
        {
            // The server ended the connection.
        }

        Assert.That(clock.Elapsed, Is.LessThan(Patience), "the server kept reading empty frames");
        Assert.That(await LogShowsAsync("(MSG-7)", Patience), Is.True);
    }

    [Test]
    public async Task Zrpc_call_against_a_server_sending_endless_empty_header_frames_fails()
    {
        var clock = Stopwatch.StartNew();
        var result = await CliProcess.RunAsync("call", "--connect",
            TransportAddress.Exec("sh", ["-c", "while printf '\\001\\000\\000\\000\\000\\000\\001\\000\\000\\000\\000\\000'; do :; done"]).ToString(),
            "Echo", "--json", "1");

        Assert.That(result.ExitCode, Is.EqualTo(3), result.ToString());
        Assert.That(result.Stderr, Does.Contain("MSG-7"));
        Assert.That(clock.Elapsed, Is.LessThan(Patience));
    }
}
