using NUnit.Framework;
using Zrpc.TestService;

namespace Zrpc.Tests.TestService;

[Category("CTS-4")]
public sealed class PatternStreamTests
{
    // Read sizes that cross the pattern's period and the table's run length at every phase.
    [TestCase(1)]
    [TestCase(250)]
    [TestCase(251)]
    [TestCase(252)]
    [TestCase(65_536)]
    [TestCase(65_537)]
    [TestCase(200_003)]
    public void Every_byte_is_its_offset_mod_251_whatever_the_read_size(int readSize)
    {
        const ulong length = 600_011;
        var stream = new PatternStream(length);
        var buffer = new byte[readSize];
        ulong offset = 0;
        int n;
        while ((n = stream.Read(buffer)) > 0)
        {
            for (int i = 0; i < n; i++)
            {
                if (buffer[i] != (byte)((offset + (ulong)i) % 251))
                {
                    Assert.Fail($"byte {offset + (ulong)i} is {buffer[i]}, expected {(offset + (ulong)i) % 251} (read size {readSize})");
                }
            }

            offset += (ulong)n;
        }

        Assert.That(offset, Is.EqualTo(length), "the stream must end after exactly its length");
    }
}
