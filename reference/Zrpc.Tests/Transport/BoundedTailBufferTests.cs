using System.Text;
using NUnit.Framework;
using Zrpc.Transport;

namespace Zrpc.Tests.Transport;

[TestFixture]
public class BoundedTailBufferTests
{
    [Test]
    public void Keeps_everything_below_capacity()
    {
        var buffer = new BoundedTailBuffer(16);
        buffer.Append("hello "u8);
        buffer.Append("world"u8);
        Assert.That(buffer.ToText(), Is.EqualTo("hello world"));
        Assert.That(buffer.TotalBytes, Is.EqualTo(11));
    }

    [TestCase(1)]
    [TestCase(3)]
    [TestCase(7)]
    [TestCase(10)]
    [TestCase(25)]
    public void Keeps_only_the_most_recent_bytes_whatever_the_chunk_size(int chunk)
    {
        var buffer = new BoundedTailBuffer(10);
        var all = new StringBuilder();
        for (int i = 0; all.Length < 100; i++)
        {
            string piece = new string((char)('a' + i % 26), chunk);
            all.Append(piece);
            buffer.Append(Encoding.ASCII.GetBytes(piece));
        }
        string expected = all.ToString()[^10..];
        Assert.That(buffer.ToText(), Is.EqualTo(expected));
        Assert.That(buffer.TotalBytes, Is.EqualTo(all.Length));
    }
}
