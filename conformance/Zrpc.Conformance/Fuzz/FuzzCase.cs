using System.Text.Json.Serialization;
using Zrpc.Conformance.Steps.Wire;

namespace Zrpc.Conformance.Fuzz;

/// <summary>What the kit knows a well-formed request must get back.</summary>
public sealed record ExpectedResponse(
    [property: JsonPropertyName("status")] ulong Status,
    [property: JsonPropertyName("json")] string? Json = null,
    [property: JsonPropertyName("octets")] long? SourceLength = null,
    [property: JsonPropertyName("message")] string? ErrorMessage = null);

/// <summary>
/// One request of the valid prefix: its exact bytes (random, legal framing) and the response
/// the spec requires for it.
/// </summary>
public sealed record FuzzRequest(
    [property: JsonPropertyName("describe")] string Describe,
    [property: JsonPropertyName("hex")] string Hex,
    [property: JsonPropertyName("expect")] ExpectedResponse Expect)
{
    [JsonIgnore] public byte[] Bytes => Convert.FromHexString(Hex);
}

/// <summary>
/// A generated input: valid requests whose responses are known, then a tail of pieces that may
/// break the protocol (about which the kit only knows that the implementation must stay sane).
/// </summary>
public sealed record FuzzCase(
    [property: JsonPropertyName("seed")] int Seed,
    [property: JsonPropertyName("case")] int Index,
    [property: JsonPropertyName("requests")] IReadOnlyList<FuzzRequest> Requests,
    [property: JsonPropertyName("tail")] IReadOnlyList<string> TailHex,
    [property: JsonPropertyName("mutation")] string Mutation)
{
    [JsonIgnore] public int Length => Requests.Sum(r => r.Hex.Length / 2) + TailHex.Sum(t => t.Length / 2);

    public byte[] AllBytes() =>
        Requests.SelectMany(r => r.Bytes).Concat(TailHex.SelectMany(Convert.FromHexString)).ToArray();

    public string Describe() =>
        $"{Requests.Count} valid request(s) [{string.Join("; ", Requests.Select(r => r.Describe))}], then {Mutation} ({TailHex.Sum(t => t.Length / 2)} bytes)";

    /// <summary>The bytes as an annotated hex script, one line per request or tail piece.</summary>
    public string AnnotatedHex()
    {
        var lines = Requests.Select(r => $"{Spaced(r.Hex)}  # {r.Describe}")
            .Concat(TailHex.Select(t => $"{Spaced(t)}  # tail: {Mutation}"));
        return string.Join('\n', lines);
    }

    static string Spaced(string hex) => hex.Length <= 192
        ? string.Join(' ', Enumerable.Range(0, hex.Length / 2).Select(i => hex.Substring(i * 2, 2))).ToLowerInvariant()
        : string.Join(' ', Enumerable.Range(0, 96).Select(i => hex.Substring(i * 2, 2))).ToLowerInvariant() + $" … ({hex.Length / 2} bytes)";

    public static FuzzCase FromRequests(int seed, int index, IEnumerable<FuzzRequest> requests, IEnumerable<byte[]> tail, string mutation) =>
        new(seed, index, requests.ToList(), tail.Select(Convert.ToHexString).ToList(), mutation);

    internal static string Frame(byte type, byte end, ReadOnlySpan<byte> payload) =>
        Convert.ToHexString(FrameBytes.Frame(type, end, payload));
}
