using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Bogus;
using Zrpc.Conformance.Steps.Wire;

namespace Zrpc.Conformance.Fuzz;

/// <summary>
/// Seeded generator of fuzz cases: the same seed and case index always give the same bytes, so
/// every failure can be replayed exactly.
/// </summary>
public sealed class FuzzGenerator(int seed)
{
    static readonly string[] Mutations =
        ["none", "bad-type", "huge-length", "wrong-type-in-message", "truncated", "malformed-header", "oversize-header", "garbage", "rst", "trailer"];

    public FuzzCase Generate(int index)
    {
        // One randomizer per case, derived from the seed and the index, so cases are independent.
        var r = new Randomizer(HashCode.Combine(seed, index, 0x5a17));
        var requests = Enumerable.Range(0, r.Number(0, 3)).Select(_ => Request(r)).ToList();
        var mutation = r.ArrayElement(Mutations);
        return FuzzCase.FromRequests(seed, index, requests, Tail(r, mutation), mutation);
    }

    FuzzRequest Request(Randomizer r)
    {
        switch (r.Number(0, 5))
        {
            case 0:
                {
                    var json = RandomJson(r, 0);
                    return Build(r, "Echo", 2, 2, Encoding.UTF8.GetBytes(json + "\n"), $"Echo {Short(json)}", new ExpectedResponse(WireConstants.StatusOk, Json: json));
                }
            case 1:
                {
                    var message = r.String2(r.Number(0, 40), "abcdefghij XYZ-_.<>&é");
                    var json = JsonSerializer.Serialize(new { Message = message });
                    return Build(r, "Fail", 2, 2, Encoding.UTF8.GetBytes(json + "\n"), $"Fail \"{message}\"", new ExpectedResponse(WireConstants.StatusError, ErrorMessage: message));
                }
            case 2:
                {
                    var n = r.Number(0, 20000);
                    return Build(r, "Source", 2, 3, Encoding.UTF8.GetBytes($"{{\"Length\":{n}}}\n"), $"Source {n}", new ExpectedResponse(WireConstants.StatusOk, SourceLength: n));
                }
            case 3:
                {
                    var body = r.Bytes(r.Number(0, 20000));
                    var json = $"{{\"Length\":{body.Length},\"SHA256\":\"{Convert.ToHexStringLower(SHA256.HashData(body))}\"}}";
                    return Build(r, "Sink", 3, 2, body, $"Sink {body.Length} bytes", new ExpectedResponse(WireConstants.StatusOk, Json: json));
                }
            case 4:
                {
                    var name = r.String2(r.Number(1, 12), "abcdefghijklmnopqrstuvwxyz");
                    return Build(r, "x" + name, 2, 2, "{}\n"u8.ToArray(), $"unknown endpoint x{name}", new ExpectedResponse(WireConstants.StatusRequestError));
                }
            default:
                return Build(r, "Echo", 2, 3, "[1]\n"u8.ToArray(), "Echo with Accept Octets", new ExpectedResponse(WireConstants.StatusRequestError));
        }
    }

    /// <summary>A request in a random but legal framing (MSG-2, FRAME-4, FRAME-7).</summary>
    static FuzzRequest Build(Randomizer r, string endpoint, int dataType, int accept, byte[] body, string describe, ExpectedResponse expect)
    {
        var header = HeaderJson.CanonicalRequest(endpoint, dataType, accept);
        var bytes = RandomFraming(r, WireConstants.Header, header).Concat(RandomFraming(r, WireConstants.Data, body)).ToArray();
        return new FuzzRequest(describe, Convert.ToHexString(bytes), expect);
    }

    static IEnumerable<byte> RandomFraming(Randomizer r, byte type, byte[] content)
    {
        var output = new List<byte>();
        var offset = 0;
        var style = r.Number(0, 3); // 0: one frame, 1: small pieces, 2: 1-byte frames, 3: pieces with empty frames
        while (true)
        {
            var left = content.Length - offset;
            var size = style switch
            {
                0 => left,
                1 => Math.Min(left, r.Number(1, 64)),
                2 => Math.Min(left, 1),
                _ => r.Bool(0.3f) ? 0 : Math.Min(left, r.Number(1, 200)),
            };
            var last = offset + size == content.Length && (style != 3 || r.Bool(0.7f));
            var end = last ? (byte)(r.Bool(0.8f) ? 1 : r.Number(2, 255)) : (byte)0;
            output.AddRange(FrameBytes.Frame(type, end, content.AsSpan(offset, size)));
            offset += size;
            if (last) return output;
        }
    }

    static IEnumerable<byte[]> Tail(Randomizer r, string mutation)
    {
        var header = HeaderJson.CanonicalRequest("Echo", 2, 2);
        switch (mutation)
        {
            case "none":
                yield break;
            case "bad-type":
                var type = r.ArrayElement(new byte[] { 0x00, 0x04, 0x10, 0x7F, 0x80, 0xFE });
                yield return FrameBytes.Frame(type, 1, r.Bytes(r.Number(0, 16)));
                break;
            case "huge-length":
                var huge = new byte[6];
                FrameBytes.WriteHeader(huge, r.Bool() ? WireConstants.Header : WireConstants.Data, (byte)r.Number(0, 1),
                    (uint)r.Number(WireConstants.MaxPayload + 1, int.MaxValue));
                yield return huge;
                break;
            case "wrong-type-in-message":
                yield return FrameBytes.Frame(WireConstants.Header, 0, header.AsSpan(0, 10));
                yield return FrameBytes.Frame(WireConstants.Data, 1, header.AsSpan(10));
                break;
            case "truncated":
                var frame = FrameBytes.Frame(WireConstants.Header, 1, header);
                yield return frame[..r.Number(1, frame.Length - 1)];
                break;
            case "malformed-header":
                var text = r.ArrayElement(new[] { "{", "[]", "{\"Endpoint\":1}", "{\"DataType\":-1}", "{\"Accept\":2.5}", "nul", "{\"Endpoint\":\"Echo\"} x" });
                yield return FrameBytes.Frame(WireConstants.Header, 1, Encoding.UTF8.GetBytes(text));
                yield return FrameBytes.Frame(WireConstants.Data, 1, "{}\n"u8);
                break;
            case "oversize-header":
                var size = r.Number(WireConstants.MaxHeaderMessage + 1, 6000);
                yield return FrameBytes.Frame(WireConstants.Header, 1, Enumerable.Repeat((byte)' ', size).ToArray());
                break;
            case "garbage":
                yield return r.Bytes(r.Number(1, 64));
                break;
            case "rst":
                var rst = new byte[6];
                FrameBytes.WriteHeader(rst, WireConstants.Rst, (byte)r.Number(0, 255), (uint)r.Number(0, 1000));
                yield return rst;
                break;
            case "trailer":
                yield return FrameBytes.Frame(WireConstants.Trailer, 1, r.Bytes(r.Number(0, 8)));
                break;
        }
    }

    static string RandomJson(Randomizer r, int depth) => r.Number(0, depth > 2 ? 3 : 5) switch
    {
        0 => r.Number(-100000, 100000).ToString(System.Globalization.CultureInfo.InvariantCulture),
        1 => JsonSerializer.Serialize(r.String2(r.Number(0, 20), "abcxyz ÄÖ€\"\\/")),
        2 => r.Bool() ? "true" : "null",
        3 => "false",
        4 => "[" + string.Join(",", Enumerable.Range(0, r.Number(0, 4)).Select(_ => RandomJson(r, depth + 1))) + "]",
        _ => "{" + string.Join(",", Enumerable.Range(0, r.Number(0, 4)).Select(i => $"\"k{i}{r.String2(2, "ab")}\":{RandomJson(r, depth + 1)}")) + "}",
    };

    static string Short(string text) => text.Length <= 40 ? text : text[..40] + "…";
}
