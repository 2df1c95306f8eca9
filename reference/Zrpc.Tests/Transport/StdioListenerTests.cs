using NUnit.Framework;
using Zrpc.Transport;

namespace Zrpc.Tests.Transport;

[TestFixture]
public class StdioListenerTests
{
    [Test]
    public async Task Yields_one_connection_then_null_once_it_is_disposed()
    {
        var input = new MemoryStream([7, 7]);
        var output = new MemoryStream();
        await using var listener = new StdioConnectionListener(() => input, () => output);

        var connection = await listener.AcceptAsync(CancellationToken.None);
        Assert.That(connection, Is.Not.Null);
        var buffer = new byte[2];
        await connection!.ReadExactlyAsync(buffer);
        await connection.WriteAsync(new byte[] { 1, 2, 3 });
        Assert.That(buffer, Is.EqualTo(new byte[] { 7, 7 }));
        Assert.That(output.ToArray(), Is.EqualTo(new byte[] { 1, 2, 3 }));

        var second = listener.AcceptAsync(CancellationToken.None).AsTask();
        Assert.That(second.IsCompleted, Is.False, "the second accept waits while the one connection is in use");

        await connection.DisposeAsync();
        Assert.That(await second.WaitAsync(TimeSpan.FromSeconds(30)), Is.Null);
        Assert.That(await listener.AcceptAsync(CancellationToken.None), Is.Null);
    }

    [Test]
    public async Task Disposing_the_listener_releases_a_waiting_accept()
    {
        var listener = new StdioConnectionListener(() => new MemoryStream(), () => new MemoryStream());
        await using var connection = await listener.AcceptAsync(CancellationToken.None);
        var second = listener.AcceptAsync(CancellationToken.None).AsTask();
        await listener.DisposeAsync();
        Assert.That(await second.WaitAsync(TimeSpan.FromSeconds(30)), Is.Null);
    }

    [Test]
    public async Task Cancelling_a_waiting_accept_throws_OperationCanceled()
    {
        await using var listener = new StdioConnectionListener(() => new MemoryStream(), () => new MemoryStream());
        await using var connection = await listener.AcceptAsync(CancellationToken.None);
        using var cts = new CancellationTokenSource();
        var second = listener.AcceptAsync(cts.Token).AsTask();
        cts.Cancel();
        await Assert.ThrowsAsync(Is.InstanceOf<OperationCanceledException>(), async () => await second);
    }
}
