using System.Buffers;
using System.Text.Json;

namespace Zrpc.Rpc;

/// <summary>Checks on a MarshaledJSON request body that run before it is decoded.</summary>
internal static class JsonBodyChecks
{
    /// <summary>
    /// A hostile body can nest far deeper than any real request; checking the depth with a
    /// token scan first bounds the decoder's work and stack.
    /// </summary>
    public static bool TooDeep(ReadOnlySpan<byte> json, int maxDepth)
    {
        if (json.Length <= maxDepth)
        {
            return false; // every level takes at least one byte
        }

        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = int.MaxValue, AllowTrailingCommas = false });
        try
        {
            while (reader.Read())
            {
                if (reader.CurrentDepth >= maxDepth)
                {
                    return true;
                }
            }
        }
        catch (JsonException)
        {
            // Malformed JSON is the decoder's to report, with its own message.
        }

        return false;
    }

    /// <summary>
    /// The first string of <paramref name="json"/> (as written, quoted) with an escaped surrogate
    /// that is not part of a pair (\uD800), or null. Such a string decodes to no valid text, and the
    /// decoder would let it through to fail only when the response is encoded: a client's bad
    /// body reported as the server's fault (RPC-13).
    /// </summary>
    public static string? LoneSurrogateEscape(ReadOnlySpan<byte> json)
    {
        if (json.IndexOf("\\u"u8) < 0)
        {
            return null; // no \u escape at all: the common case costs one scan
        }

        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = int.MaxValue });
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType is JsonTokenType.String or JsonTokenType.PropertyName && reader.ValueIsEscaped)
                {
                    try
                    {
                        reader.GetString();
                    }
                    catch (InvalidOperationException)
                    {
                        return Quoted(reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan);
                    }
                }
            }
        }
        catch (JsonException)
        {
            // Malformed JSON is the decoder's to report, with its own message.
        }

        return null;
    }

    private static string Quoted(ReadOnlySpan<byte> raw) =>
        "\"" + System.Text.Encoding.UTF8.GetString(raw.Length <= 40 ? raw : raw[..40]) + (raw.Length <= 40 ? "\"" : "…\"");
}
