using NUnit.Framework;
using Zrpc.Transport;

namespace Zrpc.Tests.Transport;

[TestFixture]
public class DuplexStreamTests
{
    [Test]
    public async Task Reads_come_from_the_read_side_and_writes_go_to_the_write_side()
    {
        var readSide = new MemoryStream([1, 2, 3]);
        var writeSide = new MemoryStream();
        await using var duplex = new DuplexStream(readSide, writeSide, leaveOpen: true);

        var got = new byte[8];
        int n = await duplex.ReadAsync(got);
        await duplex.WriteAsync(new byte[] { 9, 8 });

        Assert.That(got[..n], Is.EqualTo(new byte[] { 1, 2, 3 }));
        Assert.That(writeSide.ToArray(), Is.EqualTo(new byte[] { 9, 8 }));
        Assert.That(duplex.CanSeek, Is.False);
    }

    [Test]
    public async Task Dispose_closes_both_sides_and_reports_once()
    {
        var readSide = new MemoryStream([1]);
        var writeSide = new MemoryStream();
        int reports = 0;
        var duplex = new DuplexStream(readSide, writeSide, onDisposed: () =>
        {
            reports++;
            return ValueTask.CompletedTask;
        });

        await duplex.DisposeAsync();
        duplex.Dispose();

        Assert.That(readSide.CanRead, Is.False);
        Assert.That(writeSide.CanWrite, Is.False);
        Assert.That(reports, Is.EqualTo(1));
        Assert.That(duplex.CanRead, Is.False);
    }

    [Test]
    public void Rejects_a_write_side_that_cannot_be_written()
    {
        var readOnly = new MemoryStream([1], writable: false);
        Assert.Throws<ArgumentException>(() => _ = new DuplexStream(new MemoryStream(), readOnly));
    }
}
