using NUnit.Framework;
using Zrpc.Rpc;
using Zrpc.TestService;

namespace Zrpc.Tests.Rpc;

/// <summary>
/// A connection that has ended leaves nothing armed in the runtime's timer queue: its last read
/// timer would otherwise stay there until it fired, 30 s later by default, one per connection.
/// </summary>
[NonParallelizable]
public sealed class ConnectionTimerTests
{
    private const int Connections = 100;

    [Test]
    public async Task Ended_connections_leave_no_read_timer_armed()
    {
        // A body larger than the read-ahead buffer: the client reads it in several reads bounded
        // by the read timeout, as any bulk body is.
        const int bodyBytes = 100_000;
        byte[] chunk = new byte[bodyBytes];
        long before = Timer.ActiveCount;
        for (int i = 0; i < Connections; i++)
        {
            var (clientEnd, serverEnd) = PipeEnd.CreatePair();
            var server = new RpcServer();
            ConformanceService.Register(server);
            var serving = server.ServeConnectionAsync(serverEnd, CancellationToken.None);
            await using (var client = new RpcClient(clientEnd))
            {
                await using var body = await client.CallAsync<ConformanceService.SourceRequest, Stream>(
                    ConformanceService.Source, new ConformanceService.SourceRequest { Length = bodyBytes }, CancellationToken.None);
                int total = 0, n;
                while ((n = await body.ReadAsync(chunk, CancellationToken.None)) > 0) total += n;
                Assert.That(total, Is.EqualTo(bodyBytes));
            }

            await serving;
        }

        long armed = Timer.ActiveCount - before;
        TestContext.Out.WriteLine($"{armed} more timers armed after {Connections} connections");
        // Timers of other work may come and go meanwhile; one per connection is what must not stay.
        Assert.That(armed, Is.LessThan(Connections / 5), $"timers still armed after {Connections} connections ended");
    }
}
