using System.Net.Sockets;
using NUnit.Framework;
using Zrpc.Transport;

namespace Zrpc.Tests.Transport;

[TestFixture]
public class SocketTransportTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Test]
    public async Task Tcp_connection_carries_bytes_both_ways()
    {
        await using var listener = (TcpConnectionListener)Listeners.Listen(TransportAddress.Parse("tcp://127.0.0.1:0"));
        Assert.That(listener.LocalEndPoint.Port, Is.Not.Zero, "port 0 is replaced by the real port");

        var accept = listener.AcceptAsync(CancellationToken.None).AsTask();
        await using var client = await Connector.ConnectAsync(listener.Address, CancellationToken.None);
        await using var server = (await accept.WaitAsync(Patience))!;

        await AssertBytesFlowBothWaysAsync(client, server);
        Assert.That(((NetworkStream)server).Socket.NoDelay, Is.True, "accepted TCP sockets disable Nagle");
        Assert.That(((NetworkStream)client).Socket.NoDelay, Is.True, "connected TCP sockets disable Nagle");
    }

    [Test]
    public async Task Tcp_listener_on_ipv6_loopback_accepts()
    {
        if (!Socket.OSSupportsIPv6) Assert.Ignore("no IPv6 on this machine");
        IConnectionListener listener;
        try
        {
            listener = Listeners.Listen(TransportAddress.Parse("tcp://[::1]:0"));
        }
        catch (SocketException e)
        {
            Assert.Ignore($"IPv6 loopback unavailable: {e.Message}");
            return;
        }
        await using var _ = listener;
        var address = ((TcpConnectionListener)listener).Address;
        Assert.That(address.ToString(), Does.StartWith("tcp://[::1]:"));

        var accept = listener.AcceptAsync(CancellationToken.None).AsTask();
        await using var client = await Connector.ConnectAsync(address, CancellationToken.None);
        await using var server = (await accept.WaitAsync(Patience))!;
        await AssertBytesFlowBothWaysAsync(client, server);
    }

    [Test]
    public async Task Unix_connection_carries_bytes_both_ways_and_dispose_removes_the_socket_file()
    {
        string path = TransportTestData.TempSocketPath();
        var listener = Listeners.Listen(TransportAddress.Unix(path));
        Assert.That(File.Exists(path), Is.True);

        var accept = listener.AcceptAsync(CancellationToken.None).AsTask();
        await using (var client = await Connector.ConnectAsync(TransportAddress.Unix(path), CancellationToken.None))
        await using (var server = (await accept.WaitAsync(Patience))!)
        {
            await AssertBytesFlowBothWaysAsync(client, server);
        }

        await listener.DisposeAsync();
        Assert.That(File.Exists(path), Is.False, "the listener deletes its socket file");
    }

    [Test]
    public async Task Unix_listener_replaces_a_stale_socket_file()
    {
        string path = TransportTestData.TempSocketPath();
        using (var dead = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            // What a crashed server leaves behind: a socket file nobody listens on. .NET unlinks the
            // file it bound when the socket is disposed, so the file is moved away from that name first.
            string boundAt = path + ".bound";
            dead.Bind(new UnixDomainSocketEndPoint(boundAt));
            File.Move(boundAt, path);
        }
        Assert.That(File.Exists(path), Is.True);

        await using var listener = Listeners.Listen(TransportAddress.Unix(path));
        var accept = listener.AcceptAsync(CancellationToken.None).AsTask();
        await using var client = await Connector.ConnectAsync(TransportAddress.Unix(path), CancellationToken.None);
        await using var server = (await accept.WaitAsync(Patience))!;
        await AssertBytesFlowBothWaysAsync(client, server);
    }

    [Test]
    public async Task Unix_listener_refuses_a_path_where_a_server_is_live()
    {
        string path = TransportTestData.TempSocketPath();
        await using var first = Listeners.Listen(TransportAddress.Unix(path));
        var error = Assert.Throws<IOException>(() => Listeners.Listen(TransportAddress.Unix(path)));
        Assert.That(error!.Message, Does.Contain("another server"));

        // The live server's socket must still work. The liveness probe itself reached the live
        // server as one connection that ends at once (a quiet close, CONN-3): skip it.
        await using var client = await Connector.ConnectAsync(TransportAddress.Unix(path), CancellationToken.None);
        await client.WriteAsync(new byte[] { 42 });
        var buffer = new byte[1];
        int acceptedEmpty = 0;
        while (true)
        {
            await using var server = (await first.AcceptAsync(CancellationToken.None).AsTask().WaitAsync(Patience))!;
            if (await server.ReadAsync(buffer).AsTask().WaitAsync(Patience) == 1)
            {
                Assert.That(buffer[0], Is.EqualTo(42));
                break;
            }
            Assert.That(++acceptedEmpty, Is.EqualTo(1), "only the probe may arrive empty");
        }
    }

    [Test]
    public void Unix_listener_never_deletes_a_regular_file()
    {
        string path = TransportTestData.TempSocketPath();
        File.WriteAllText(path, "precious");
        try
        {
            var error = Assert.Throws<IOException>(() => Listeners.Listen(TransportAddress.Unix(path)));
            Assert.That(error!.Message, Does.Contain("regular file"));
            Assert.That(File.ReadAllText(path), Is.EqualTo("precious"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestCase("empty regular file")]
    [TestCase("fifo")]
    [TestCase("symlink to /dev/null")]
    [TestCase("character device")]
    public void Unix_listener_deletes_nothing_that_is_not_a_socket(string kind)
    {
        // Each of these has length 0 and refuses a connect, which once passed for a stale socket.
        string path = TransportTestData.TempSocketPath();
        try
        {
            switch (kind)
            {
                case "empty regular file":
                    File.WriteAllBytes(path, []);
                    break;
                case "fifo":
                    RunTool("mkfifo", path);
                    break;
                case "symlink to /dev/null":
                    File.CreateSymbolicLink(path, "/dev/null");
                    break;
                case "character device":
                    // The same major/minor as /dev/null; creating one needs CAP_MKNOD.
                    if (!TryRunTool("mknod", path, "c", "1", "3")) Assert.Ignore("mknod is not permitted here");
                    break;
            }
            FileKind before = FileKinds.Of(path, followLinks: false);
            Assert.That(before, Is.Not.EqualTo(FileKind.Missing).And.Not.EqualTo(FileKind.Socket));

            var error = Assert.Throws<IOException>(() => Listeners.Listen(TransportAddress.Unix(path)));

            Assert.That(error!.Message, Does.Contain("only a stale socket file is ever removed"));
            Assert.That(FileKinds.Of(path, followLinks: false), Is.EqualTo(before), "the file is still there, unchanged in kind");
            Assert.That(FileKinds.Of("/dev/null", followLinks: false), Is.EqualTo(FileKind.CharacterDevice));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public async Task Unix_listener_leaves_a_file_that_replaced_its_socket_on_dispose()
    {
        string path = TransportTestData.TempSocketPath();
        var listener = Listeners.Listen(TransportAddress.Unix(path));
        File.Delete(path);
        File.WriteAllText(path, "someone else's");
        try
        {
            await listener.DisposeAsync();
            Assert.That(File.ReadAllText(path), Is.EqualTo("someone else's"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static void RunTool(string tool, params string[] arguments)
    {
        if (!TryRunTool(tool, arguments)) Assert.Fail($"{tool} {string.Join(' ', arguments)} failed");
    }

    private static bool TryRunTool(string tool, params string[] arguments)
    {
        var info = new System.Diagnostics.ProcessStartInfo(tool) { RedirectStandardError = true };
        foreach (var a in arguments) info.ArgumentList.Add(a);
        using var process = System.Diagnostics.Process.Start(info)!;
        process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0;
    }

    [TestCase("tcp")]
    [TestCase("unix")]
    public async Task Disposing_the_listener_ends_a_pending_accept_with_null(string kind)
    {
        var listener = kind == "tcp"
            ? Listeners.Listen(TransportAddress.Parse("tcp://127.0.0.1:0"))
            : Listeners.Listen(TransportAddress.Unix(TransportTestData.TempSocketPath()));
        var pending = listener.AcceptAsync(CancellationToken.None).AsTask();
        Assert.That(pending.IsCompleted, Is.False);

        await listener.DisposeAsync();

        Assert.That(await pending.WaitAsync(Patience), Is.Null);
        Assert.That(await listener.AcceptAsync(CancellationToken.None), Is.Null, "a disposed listener yields no more connections");
    }

    [Test]
    public async Task Disposed_tcp_listener_refuses_new_connections()
    {
        var listener = (TcpConnectionListener)Listeners.Listen(TransportAddress.Parse("tcp://127.0.0.1:0"));
        var address = listener.Address;
        await listener.DisposeAsync();
        await Assert.ThrowsAsync(Is.InstanceOf<SocketException>(), async () => await Connector.ConnectAsync(address, CancellationToken.None));
    }

    [Test]
    public async Task Cancelling_accept_throws_OperationCanceled_and_the_listener_stays_usable()
    {
        await using var listener = (TcpConnectionListener)Listeners.Listen(TransportAddress.Parse("tcp://127.0.0.1:0"));
        using var cts = new CancellationTokenSource();
        var pending = listener.AcceptAsync(cts.Token).AsTask();
        cts.Cancel();
        await Assert.ThrowsAsync(Is.InstanceOf<OperationCanceledException>(), async () => await pending.WaitAsync(Patience));

        var accept = listener.AcceptAsync(CancellationToken.None).AsTask();
        await using var client = await Connector.ConnectAsync(listener.Address, CancellationToken.None);
        await using var server = (await accept.WaitAsync(Patience))!;
        await AssertBytesFlowBothWaysAsync(client, server);
    }

    [Test]
    public async Task Closing_one_side_gives_the_other_end_of_stream()
    {
        await using var listener = (TcpConnectionListener)Listeners.Listen(TransportAddress.Parse("tcp://127.0.0.1:0"));
        var accept = listener.AcceptAsync(CancellationToken.None).AsTask();
        var client = await Connector.ConnectAsync(listener.Address, CancellationToken.None);
        await using var server = (await accept.WaitAsync(Patience))!;
        await client.WriteAsync(new byte[] { 42 });
        await client.DisposeAsync();

        var buffer = new byte[4];
        Assert.That(await server.ReadAsync(buffer), Is.EqualTo(1));
        Assert.That(buffer[0], Is.EqualTo(42));
        Assert.That(await server.ReadAsync(buffer), Is.Zero);
    }

    [Test]
    public void Listening_on_exec_is_refused()
    {
        Assert.Throws<ArgumentException>(() => Listeners.Listen(TransportAddress.Parse("exec:cat")));
    }

    [Test]
    public async Task Connecting_to_stdio_is_refused()
    {
        await Assert.ThrowsAsync<ArgumentException>(async () => await Connector.ConnectAsync(TransportAddress.Stdio, CancellationToken.None));
    }

    private static async Task AssertBytesFlowBothWaysAsync(Stream client, Stream server)
    {
        // Larger than the socket buffers, so both directions must be drained concurrently.
        var request = TransportTestData.Pattern(3 * 1024 * 1024 + 17, seed: 1);
        var response = TransportTestData.Pattern(2 * 1024 * 1024 + 5, seed: 2);

        var serverSide = Task.Run(async () =>
        {
            var sending = server.WriteAsync(response).AsTask();
            var got = await TransportTestData.ReadExactlyAsync(server, request.Length);
            await sending;
            return got;
        });
        var clientSending = client.WriteAsync(request).AsTask();
        var clientGot = await TransportTestData.ReadExactlyAsync(client, response.Length);
        await clientSending;
        var serverGot = await serverSide.WaitAsync(Patience);

        Assert.That(serverGot, Is.EqualTo(request));
        Assert.That(clientGot, Is.EqualTo(response));
    }
}
