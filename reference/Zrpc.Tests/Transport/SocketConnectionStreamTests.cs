using NUnit.Framework;
using Zrpc.Transport;

namespace Zrpc.Tests.Transport;

/// <summary>The socket stream the listeners and the connector hand out: a NetworkStream whose waiting reads spin first.</summary>
[TestFixture]
[Category("TRANS-1")]
public sealed class SocketConnectionStreamTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Test]
    public async Task Both_ends_of_a_tcp_connection_are_spinning_socket_streams_that_deliver_every_byte()
    {
        await using var listener = (TcpConnectionListener)Listeners.Listen(TransportAddress.Parse("tcp://127.0.0.1:0"));
        var accept = listener.AcceptAsync(default).AsTask();
        await using var client = await Connector.ConnectAsync(listener.Address, default);
        await using var server = (await accept.WaitAsync(Patience))!;
        Assert.That(client, Is.InstanceOf<SocketConnectionStream>());
        Assert.That(server, Is.InstanceOf<SocketConnectionStream>());

        // Replies that come while the reader spins, and ones that come after it has gone to wait.
        var buffer = new byte[1];
        for (int i = 0; i < 200; i++)
        {
            var read = server.ReadAsync(buffer).AsTask();
            if (i % 50 == 0) await Task.Delay(5);
            await client.WriteAsync(new[] { (byte)i });
            Assert.That(await read.WaitAsync(Patience), Is.EqualTo(1));
            Assert.That(buffer[0], Is.EqualTo((byte)i));
        }
    }

    [Test]
    public async Task A_waiting_read_still_ends_on_cancellation_and_on_the_peer_s_close()
    {
        await using var listener = (TcpConnectionListener)Listeners.Listen(TransportAddress.Parse("tcp://127.0.0.1:0"));
        var accept = listener.AcceptAsync(default).AsTask();
        var client = await Connector.ConnectAsync(listener.Address, default);
        await using var server = (await accept.WaitAsync(Patience))!;

        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        await Assert.ThatAsync(async () => await server.ReadAsync(new byte[4], cancel.Token).AsTask().WaitAsync(Patience),
            Throws.InstanceOf<OperationCanceledException>());

        var end = server.ReadAsync(new byte[4]).AsTask();
        await client.DisposeAsync();
        Assert.That(await end.WaitAsync(Patience), Is.EqualTo(0));
    }
}
