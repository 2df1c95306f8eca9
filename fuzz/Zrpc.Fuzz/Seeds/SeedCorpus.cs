using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text.Json;

namespace Zrpc.Fuzz.Seeds;

/// <summary>
/// The starting corpus of each target, taken from the golden fixtures: the received byte streams
/// of fixtures/frames/*.json (frames, messages, dump-stream), the Header message contents in them
/// (header), and the small captures of fixtures/captures/ (pcap).
/// </summary>
public static class SeedCorpus
{
    public const long MaxCaptureBytes = 64 * 1024;

    public sealed record Seed(string Name, byte[] Bytes);

    public static IReadOnlyList<Seed> For(string target, string fixturesRoot)
    {
        IEnumerable<Seed> seeds = target switch
        {
            "frames" or "messages" or "dump-stream" => Streams(fixturesRoot),
            "header" => HeaderContents(fixturesRoot),
            "pcap" => Captures(fixturesRoot),
            "tcp" => TcpConversations(fixturesRoot),
            _ => throw new ArgumentException($"unknown fuzz target '{target}'", nameof(target)),
        };

        // Identical inputs add nothing to a corpus; keep the first name for each.
        var seen = new HashSet<string>();
        return seeds.Where(s => seen.Add(Convert.ToHexString(SHA256.HashData(s.Bytes)))).ToList();
    }

    /// <summary>Finds fixtures/ by walking up from <paramref name="start"/> (the repository root holds it).</summary>
    public static string FindFixtures(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "fixtures");
            if (Directory.Exists(Path.Combine(candidate, "frames")))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException($"no fixtures/frames above {start}");
    }

    private static IEnumerable<(string Id, byte[] Input)> FixtureInputs(string fixturesRoot)
    {
        foreach (string file in Directory.GetFiles(Path.Combine(fixturesRoot, "frames"), "*.json").Order(StringComparer.Ordinal))
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(file));
            foreach (var fixture in document.RootElement.GetProperty("fixtures").EnumerateArray())
            {
                if (fixture.TryGetProperty("input", out var input))
                {
                    yield return (fixture.GetProperty("id").GetString()!, FixtureBytes.Decode(input));
                }
            }
        }
    }

    private static IEnumerable<Seed> Streams(string fixturesRoot)
        => FixtureInputs(fixturesRoot).Where(f => f.Input.Length > 0).Select(f => new Seed(f.Id, f.Input));

    private static IEnumerable<Seed> HeaderContents(string fixturesRoot)
    {
        foreach (var (id, input) in FixtureInputs(fixturesRoot))
        {
            int index = 0;
            foreach (byte[] content in HeaderMessages(input))
            {
                yield return new Seed($"{id}-{index++}", content);
            }
        }
    }

    /// <summary>The contents of the Header messages in a stream, as far as it is well-formed.</summary>
    private static IEnumerable<byte[]> HeaderMessages(byte[] stream)
    {
        var content = new List<byte>();
        bool inHeader = false;
        int pos = 0;
        while (stream.Length - pos >= 6)
        {
            byte type = stream[pos];
            bool end = stream[pos + 1] != 0;
            uint length = BinaryPrimitives.ReadUInt32LittleEndian(stream.AsSpan(pos + 2, 4));
            if (type is not (1 or 2) || length > stream.Length - pos - 6)
            {
                break;
            }

            if (type == 1)
            {
                inHeader = true;
                content.AddRange(stream.AsSpan(pos + 6, (int)length));
                if (end)
                {
                    yield return content.ToArray();
                    content.Clear();
                    inHeader = false;
                }
            }

            pos += 6 + (int)length;
        }

        if (inHeader && content.Count > 0)
        {
            yield return content.ToArray();
        }
    }

    /// <summary>
    /// Fixture requests carried over a synthesised TCP connection (see SegmentScript): handshake,
    /// data in 200-byte segments acknowledged by the server, FIN from both sides; variants with
    /// two segments swapped, one retransmitted, and detection by port instead of content.
    /// </summary>
    private static IEnumerable<Seed> TcpConversations(string fixturesRoot)
    {
        const byte Syn = 1, Ack = 2, Fin = 4, FromServer = 16, ByPort = 128;
        foreach (var (id, input) in FixtureInputs(fixturesRoot).Where(f => f.Input.Length is > 0 and <= 4096).Take(40))
        {
            var chunks = input.Chunk(200).ToList();
            foreach (string variant in new[] { "in-order", "swapped", "retransmitted", "by-port" })
            {
                var records = new List<byte[]>
                {
                    Capture.SegmentScript.Record(variant == "by-port" ? (byte)(Syn | ByPort) : Syn, 0, 0, []),
                    Capture.SegmentScript.Record(Syn | Ack | FromServer, 0, 1, []),
                };
                int sent = 0;
                for (int i = 0; i < chunks.Count; i++)
                {
                    if (variant == "swapped" && i + 1 < chunks.Count && i == 0)
                    {
                        // The second segment first, then the first one: moves undo the running sequence number.
                        records.Add(Capture.SegmentScript.Record(Ack, (short)(1 + chunks[0].Length), 1, chunks[1]));
                        records.Add(Capture.SegmentScript.Record(Ack, (short)-(chunks[0].Length + chunks[1].Length), 1, chunks[0]));
                        records.Add(Capture.SegmentScript.Record(Ack, (short)chunks[1].Length, 1, []));
                        sent += chunks[0].Length + chunks[1].Length;
                        i++;
                        continue;
                    }

                    records.Add(Capture.SegmentScript.Record(Ack, (short)(i == 0 ? 1 : 0), 1, chunks[i]));
                    if (variant == "retransmitted" && i == 0)
                    {
                        records.Add(Capture.SegmentScript.Record(Ack, (short)-chunks[0].Length, 1, chunks[0]));
                    }

                    sent += chunks[i].Length;
                    records.Add(Capture.SegmentScript.Record(Ack | FromServer, 1, (short)(sent + 1), []));
                }

                records.Add(Capture.SegmentScript.Record(Ack | Fin, 0, 1, []));
                records.Add(Capture.SegmentScript.Record(Ack | Fin | FromServer, 0, 2, []));
                yield return new Seed($"{id}-{variant}", records.SelectMany(r => r).ToArray());
            }
        }
    }

    private static IEnumerable<Seed> Captures(string fixturesRoot)
    {
        string dir = Path.Combine(fixturesRoot, "captures");
        if (!Directory.Exists(dir))
        {
            yield break;
        }

        foreach (string file in Directory.GetFiles(dir).Order(StringComparer.Ordinal))
        {
            string name = Path.GetFileName(file);
            if ((name.EndsWith(".pcap", StringComparison.Ordinal) || name.EndsWith(".pcapng", StringComparison.Ordinal))
                && new FileInfo(file).Length <= MaxCaptureBytes)
            {
                yield return new Seed(name, File.ReadAllBytes(file));
            }
        }
    }
}
