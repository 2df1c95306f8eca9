using System.Text.Json;
using Zrpc.Fuzz.Frames;
using Zrpc.Fuzz.Messages;
using Zrpc.Fuzz.Rpc;
using Zrpc.Fuzz.Seeds;

namespace Zrpc.Fuzz.Tests;

/// <summary>
/// The fuzz targets judge the decoders against independent models; these tests judge the models
/// against the golden fixtures (fixtures/frames/*.json), so that a wrong model cannot hide a
/// decoder bug or invent one.
/// </summary>
[TestFixture]
public sealed class ModelTests
{
    private sealed record Case(string Id, string[] Receive, byte[] Input, JsonElement Expect);

    private static IEnumerable<Case> ReceiverCases()
    {
        foreach (string file in Directory.GetFiles(Path.Combine(Paths.Fixtures, "frames"), "*.json").Order(StringComparer.Ordinal))
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(file));
            foreach (var fixture in document.RootElement.GetProperty("fixtures").EnumerateArray())
            {
                if (fixture.GetProperty("perspective").GetString() != "receiver" || !fixture.TryGetProperty("input", out var input)
                    || !fixture.TryGetProperty("receive", out var receive))
                {
                    continue;
                }

                yield return new Case(
                    fixture.GetProperty("id").GetString()!,
                    receive.EnumerateArray().Select(r => r.GetString()!).ToArray(),
                    FixtureBytes.Decode(input),
                    fixture.GetProperty("expect").Clone());
            }
        }
    }

    private static string? ExpectedError(Case c)
        => c.Expect.TryGetProperty("outcome", out var o) && o.GetString() == "error"
            ? c.Expect.GetProperty("error").GetProperty("requirement").GetString()
            : null;

    [Test]
    public void Frame_model_reports_the_frame_error_of_every_fixture_that_expects_one()
    {
        int checkedCases = 0;
        foreach (var c in ReceiverCases())
        {
            string? error = ExpectedError(c);
            if (error is null || !error.StartsWith("FRAME-", StringComparison.Ordinal))
            {
                continue;
            }

            checkedCases++;
            Assert.That(FrameModel.Expected(c.Input).Lines[^1], Is.EqualTo("error " + error), c.Id);
        }

        Assert.That(checkedCases, Is.GreaterThanOrEqualTo(10));
    }

    [Test]
    public void Message_model_agrees_with_the_request_fixtures()
    {
        int checkedCases = 0;
        foreach (var c in ReceiverCases())
        {
            // The message model reads requests: Header then Data, repeated, to the end of the input.
            bool requests = c.Receive.Length % 2 == 0 && c.Receive.Select((r, i) => r == (i % 2 == 0 ? "Header" : "Data")).All(x => x);
            string? outcome = c.Expect.TryGetProperty("outcome", out var o) ? o.GetString() : null;
            if (!requests || outcome is not ("error" or "eof"))
            {
                continue;
            }

            checkedCases++;
            var lines = MessageModel.Expected(c.Input).Lines;
            Assert.That(lines[^1], Is.EqualTo(outcome == "eof" ? "end" : "error " + ExpectedError(c)), c.Id);
            if (outcome == "eof")
            {
                int headers = c.Expect.GetProperty("messages").EnumerateArray().Count(m => m.GetProperty("type").GetString() == "Header");
                Assert.That(lines.Count(l => l.StartsWith("header ", StringComparison.Ordinal)), Is.EqualTo(headers), c.Id);
            }
        }

        Assert.That(checkedCases, Is.GreaterThanOrEqualTo(10));
    }

    [Test]
    public void Header_oracle_rejects_the_malformed_headers_and_accepts_the_decoded_ones()
    {
        int rejected = 0, accepted = 0;
        foreach (var c in ReceiverCases())
        {
            if (c.Receive is not ["Header"])
            {
                continue;
            }

            byte[]? content = SingleHeaderContent(c.Input);
            if (content is null)
            {
                continue;
            }

            if (ExpectedError(c) is "HDR-5")
            {
                rejected++;
                Assert.That(HeaderOracle.Judge(content).ErrorId, Is.Not.Null, c.Id);
            }
            else if (c.Expect.TryGetProperty("messages", out var messages) && messages.GetArrayLength() == 1
                     && messages[0].TryGetProperty("header", out var header))
            {
                accepted++;
                var verdict = HeaderOracle.Judge(content);
                Assert.That(verdict.ErrorId, Is.Null, c.Id + ": " + verdict.Reason);
                Assert.That(verdict.DataType, Is.EqualTo(header.GetProperty("DataType").GetInt32()), c.Id);
                Assert.That(verdict.Error, Is.EqualTo(header.GetProperty("Error").GetUInt64()), c.Id);
                Assert.That(verdict.Endpoint, Is.EqualTo(header.GetProperty("Endpoint").GetString()), c.Id);
            }
        }

        Assert.That(rejected, Is.GreaterThanOrEqualTo(10));
        Assert.That(accepted, Is.GreaterThanOrEqualTo(10));
    }

    /// <summary>The content of a stream holding exactly one well-framed Header message, else null.</summary>
    private static byte[]? SingleHeaderContent(byte[] input)
    {
        var content = new List<byte>();
        int pos = 0;
        while (input.Length - pos >= 6 && input[pos] == 0x01)
        {
            int length = BitConverter.ToInt32(input, pos + 2);
            if (length < 0 || length > input.Length - pos - 6)
            {
                return null;
            }

            content.AddRange(input.AsSpan(pos + 6, length));
            pos += 6 + length;
            if (input[pos - length - 5] != 0)
            {
                return pos == input.Length ? content.ToArray() : null;
            }
        }

        return null;
    }
}
