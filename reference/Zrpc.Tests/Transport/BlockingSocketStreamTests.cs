using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using NUnit.Framework;
using Zrpc.Frames;
using Zrpc.Transport;

namespace Zrpc.Tests.Transport;

[TestFixture]
[Category("TRANS-1")]
public sealed class BlockingSocketStreamTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    /// <summary>A blocking client connected to the reference TCP listener, and the accepted end as a plain socket stream.</summary>
    private sealed class Connection : IAsyncDisposable
    {
        public required Stream Blocking { get; init; }
        public required Stream Peer { get; init; }
        public required TcpConnectionListener Listener { get; init; }

        public static async Task<Connection> OpenAsync()
        {
            var listener = new TcpConnectionListener(new IPEndPoint(IPAddress.Loopback, 0));
            var accept = listener.AcceptAsync(default).AsTask();
            var blocking = await Connector.ConnectBlockingAsync(listener.Address, default);
            var peer = await accept ?? throw new IOException("no connection");
            return new Connection { Blocking = blocking, Peer = peer, Listener = listener };
        }

        public async ValueTask DisposeAsync()
        {
            Blocking.Dispose();
            await Peer.DisposeAsync();
            await Listener.DisposeAsync();
        }
    }

    [Test]
    public async Task Carries_bytes_both_ways_in_full()
    {
        await using var connection = await Connection.OpenAsync();
        var (blocking, peer) = (connection.Blocking, connection.Peer);
        Assert.That(blocking, Is.InstanceOf<BlockingSocketStream>());

        var body = RandomNumberGenerator.GetBytes(6 << 20); // more than the socket buffers hold
        var reading = Task.Run(async () =>
        {
            var got = new byte[body.Length];
            await peer.ReadExactlyAsync(got);
            return got;
        });
        await Task.Run(async () => await blocking.WriteAsync(body));
        Assert.That(await reading.WaitAsync(Patience), Is.EqualTo(body));

        await peer.WriteAsync(new byte[] { 9, 8, 7 });
        var back = new byte[3];
        await Task.Run(async () => await blocking.ReadExactlyAsync(back)).WaitAsync(Patience);
        Assert.That(back, Is.EqualTo(new byte[] { 9, 8, 7 }));
    }

    [Test]
    public async Task A_cancelled_read_ends_and_the_sending_side_still_works()
    {
        await using var connection = await Connection.OpenAsync();
        var (blocking, peer) = (connection.Blocking, connection.Peer);

        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var read = Task.Run(async () => await blocking.ReadAsync(new byte[8], cancel.Token));
        await Assert.ThatAsync(async () => await read.WaitAsync(Patience), Throws.InstanceOf<OperationCanceledException>());

        // What a server does after a read timeout: an RST frame, then the close (CONN-1).
        await blocking.WriteAsync(new byte[] { 0xFF, 1, 0, 0, 0, 0 });
        blocking.Dispose();
        var received = new MemoryStream();
        await peer.CopyToAsync(received).WaitAsync(Patience);
        Assert.That(received.ToArray(), Is.EqualTo(new byte[] { 0xFF, 1, 0, 0, 0, 0 }));
    }

    [Test]
    [Category("CONN-5")]
    public async Task A_frame_reader_on_it_reports_a_stalled_frame_as_conn5()
    {
        await using var connection = await Connection.OpenAsync();
        var (blocking, peer) = (connection.Blocking, connection.Peer);
        await peer.WriteAsync(new byte[] { 2, 0, 10, 0, 0, 0, 0xAA });
        var reader = new FrameReader(blocking) { ReadTimeout = TimeSpan.FromMilliseconds(300) };

        var ex = await Task.Run(async () =>
        {
            await reader.ReadHeaderAsync(default);
            return await Assert.ThrowsAsync<ProtocolException>(async () => await reader.ReadPayloadExactlyAsync(new byte[10], default));
        }).WaitAsync(Patience);
        Assert.That(ex!.RequirementId, Is.EqualTo("CONN-5"));
    }

    [Test]
    public void Blocking_connections_are_for_sockets_only()
    {
        var exec = TransportAddress.Exec("true", []);
        Assert.ThrowsAsync<ArgumentException>(async () => await Connector.ConnectBlockingAsync(exec, default));
    }

    [Test]
    public async Task A_refused_connect_fails_with_a_socket_error()
    {
        // A port just released by a listener: nothing accepts there any more.
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        await Assert.ThatAsync(async () => await Connector.ConnectBlockingAsync(TransportAddress.Tcp("127.0.0.1", port), default),
            Throws.InstanceOf<SocketException>());
    }
}
