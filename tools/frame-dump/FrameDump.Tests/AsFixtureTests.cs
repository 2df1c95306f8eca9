using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Zrpc.Fixtures.Tests.Loading;
using Zrpc.Fixtures.Tests.Schema;
using Zrpc.Frames;
using Zrpc.Messages;
using Zrpc.Rpc;

namespace FrameDump.Tests;

/// <summary>
/// --as-fixture turns captured exchanges into golden fixtures: the result must validate against
/// fixtures/schema.json (with the fixture project's validator), and the reference decoder must
/// make of each case's input bytes exactly the frames and messages the case expects.
/// </summary>
public class AsFixtureTests
{
    private static string Capture(string name) => Path.Combine(GoldenCaptureTests.CapturesDirectory(), name);

    private static JsonElement RunAsFixture(string capture, out string text)
    {
        text = Harness.RunToString(new DumpOptions { CaptureFile = Capture(capture), AsFixture = true });
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    [TestCase("conformance.pcap", 8)]
    [TestCase("conformance.pcapng", 8)]
    [TestCase("rst.pcap", 4)]
    [TestCase("large-octets.pcap", 2)]
    public void Fixture_ValidatesAgainstTheSchema_AndHasOneCasePerDirection(string capture, int directions)
    {
        var file = RunAsFixture(capture, out string text);
        var schema = JsonDocument.Parse(File.ReadAllText(Path.Combine(Harness.RepositoryRoot(), "fixtures", "schema.json"))).RootElement;

        Assert.That(new SchemaValidator(schema).Validate(file), Is.Empty);
        Assert.That(text.Length, Is.LessThan(64 * 1024), "periodic Octets bodies are written as repeat segments");
        var cases = file.GetProperty("fixtures").EnumerateArray().ToList();
        Assert.That(cases, Has.Count.EqualTo(directions));
        Assert.That(cases.Select(c => c.GetProperty("id").GetString()), Is.Unique);
        foreach (var c in cases)
        {
            foreach (string field in new[] { "id", "description", "requirements", "perspective", "receive", "input", "expect" })
            {
                Assert.That(c.TryGetProperty(field, out _), Is.True, $"{c.GetProperty("id")} lacks {field}");
            }

            Assert.That(c.GetProperty("perspective").GetString(), Is.EqualTo("receiver"));
        }
    }

    [TestCase("conformance.pcap")]
    [TestCase("rst.pcap")]
    [TestCase("large-octets.pcapng")]
    public async Task DecodingTheFixtureBytesWithTheReference_GivesTheExpectedFramesAndMessages(string capture)
    {
        var file = RunAsFixture(capture, out _);
        foreach (var c in file.GetProperty("fixtures").EnumerateArray())
        {
            string id = c.GetProperty("id").GetString()!;
            byte[] input = Segments.Decode(c.GetProperty("input"));
            var expect = c.GetProperty("expect");
            string outcome = expect.GetProperty("outcome").GetString()!;

            // Frame layer alone: every header up to the end or the RST.
            var frames = new List<(long, string, int, bool, int, long)>();
            using (var stream = new MemoryStream(input))
            {
                var reader = new FrameReader(stream);
                long offset = 0;
                while (await reader.ReadHeaderAsync(CancellationToken.None) is FrameHeader h)
                {
                    frames.Add((offset, h.Type == FrameType.Rst ? "RST" : h.Type.ToString(), h.RawType, h.End, h.RawEndFlag, h.Length));
                    if (h.Type == FrameType.Rst)
                    {
                        break;
                    }

                    await reader.SkipPayloadAsync(new byte[64 * 1024], CancellationToken.None);
                    offset = stream.Position;
                }

                Assert.That(stream.Position, Is.EqualTo(expect.GetProperty("consumed").GetInt64()), $"{id}: consumed");
                Assert.That(outcome, Is.EqualTo(h2o(frames)), id);
            }

            var expectedFrames = expect.GetProperty("frames").EnumerateArray().Select(f => (
                f.GetProperty("offset").GetInt64(), f.GetProperty("type").GetString()!, f.GetProperty("type_byte").GetInt32(),
                f.GetProperty("end").GetBoolean(), f.GetProperty("end_byte").GetInt32(), f.GetProperty("length").GetInt64())).ToList();
            Assert.That(frames, Is.EqualTo(expectedFrames), $"{id}: frames");

            // Message layer: the receive list read with MessageReader, each Header parsed as an RPC header.
            var expectedMessages = expect.GetProperty("messages").EnumerateArray().ToList();
            var kinds = c.GetProperty("receive").EnumerateArray().Select(k => k.GetString()).ToList();
            Assert.That(kinds, Has.Count.EqualTo(expectedMessages.Count), id);
            using var messageStream = new MemoryStream(input);
            var messages = new MessageReader(new FrameReader(messageStream));
            for (int i = 0; i < kinds.Count; i++)
            {
                byte[] content;
                if (kinds[i] == "Header")
                {
                    content = (await messages.ReadHeaderMessageAsync(CancellationToken.None))!.Value.ToArray();
                    var header = RpcHeader.Parse(content);
                    var expected = expectedMessages[i].GetProperty("header");
                    Assert.That(
                        (header.Endpoint, header.DataType, header.Accept, header.Error, header.ErrorMessage),
                        Is.EqualTo((expected.GetProperty("Endpoint").GetString(), expected.GetProperty("DataType").GetByte(), expected.GetProperty("Accept").GetByte(),
                            expected.GetProperty("Error").GetUInt64(), expected.GetProperty("ErrorMessage").GetString())), $"{id}: header {i}");
                }
                else
                {
                    using var body = new MemoryStream();
                    await messages.OpenDataMessage().CopyToAsync(body);
                    content = body.ToArray();
                }

                var m = expectedMessages[i];
                Assert.That(content.LongLength, Is.EqualTo(m.GetProperty("length").GetInt64()), $"{id}: message {i} length");
                if (m.TryGetProperty("sha256", out var sha))
                {
                    Assert.That(Convert.ToHexStringLower(SHA256.HashData(content)), Is.EqualTo(sha.GetString()), $"{id}: message {i}");
                }
                else if (m.TryGetProperty("utf8", out var utf8))
                {
                    Assert.That(Encoding.UTF8.GetString(content), Is.EqualTo(utf8.GetString()), $"{id}: message {i}");
                }
                else
                {
                    Assert.That(content, Is.EqualTo(Segments.ParseHex(m.GetProperty("hex").GetString()!)), $"{id}: message {i}");
                }
            }
        }

        static string h2o(List<(long, string, int, bool, int, long)> frames) => frames.Count > 0 && frames[^1].Item2 == "RST" ? "rst" : "eof";
    }

    [Test]
    public void ConformanceFixture_MatchesTheCheckedInFile()
    {
        RunAsFixture("conformance.pcap", out string text);
        Assert.That(text, Is.EqualTo(File.ReadAllText(Capture("conformance.fixture.json"))));
    }

    [Test]
    public void RstFixture_EndsTheRequestDirectionWithRst()
    {
        var file = RunAsFixture("rst.pcap", out _);
        var requests = file.GetProperty("fixtures").EnumerateArray().Single(c => c.GetProperty("id").GetString() == "capture-rst-1-c2s");
        Assert.That(requests.GetProperty("expect").GetProperty("outcome").GetString(), Is.EqualTo("rst"));
        Assert.That(requests.GetProperty("expect").GetProperty("consumed").GetInt64(), Is.EqualTo(98), "the RST frame at offset 92, its 6 header bytes");
        Assert.That(requests.GetProperty("requirements").EnumerateArray().Select(r => r.GetString()), Does.Contain("CONN-3"));
    }

    [Test]
    public void DirectionsWithBytesMissing_AreLeftOutWithAReason()
    {
        using var output = new MemoryStream();
        var error = new StringWriter();
        int code = Dumper.Run(new DumpOptions { CaptureFile = Capture("damaged-dropped-segment.pcap"), AsFixture = true }, output, error);

        Assert.That(code, Is.EqualTo(0));
        var ids = JsonDocument.Parse(output.ToArray()).RootElement.GetProperty("fixtures").EnumerateArray().Select(c => c.GetProperty("id").GetString()).ToList();
        Assert.That(ids, Does.Not.Contain("capture-damaged-dropped-segment-4-c2s"));
        Assert.That(ids, Does.Contain("capture-damaged-dropped-segment-4-s2c"));
        Assert.That(error.ToString(), Does.Contain("connection 4 c2s: 3006 bytes are missing"));
    }
}
