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

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    public void Random_lengths_read_in_random_sizes_are_the_pattern_to_the_last_byte(int seed)
    {
        var random = new Random(seed);
        for (int stream = 0; stream < 20; stream++)
        {
            ulong length = (ulong)random.Next(0, 400_000);
            var pattern = new PatternStream(length);
            // Reads land at odd offsets into a buffer with a guard byte after them: nothing may be
            // written past the read's count.
            byte[] buffer = new byte[140_000];
            ulong offset = 0;
            while (true)
            {
                int size = random.Next(3) == 0 ? random.Next(1, 300) : random.Next(1, 130_000);
                int at = random.Next(0, 1000);
                buffer[at + size] = 0xEE;
                int n = pattern.Read(buffer.AsSpan(at, size));
                if (n == 0)
                {
                    break;
                }

                Assert.That(buffer[at + size], Is.EqualTo(0xEE), $"seed {seed}: a read of {size} wrote past its buffer");
                for (int i = 0; i < n; i++)
                {
                    if (buffer[at + i] != PatternStream.ByteAt(offset + (ulong)i))
                    {
                        Assert.Fail($"seed {seed}: byte {offset + (ulong)i} of {length} is {buffer[at + i]} (read of {size})");
                    }
                }

                offset += (ulong)n;
            }

            Assert.That(offset, Is.EqualTo(length), $"seed {seed}");
        }
    }
}
