using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Zrpc.Conformance.Steps.Wire;

/// <summary>An RPC header as a receiver reads it (HDR-4: any letter case, unknown fields ignored).</summary>
public sealed record ReceivedHeader(string Endpoint, ulong DataType, ulong Accept, ulong Status, string ErrorMessage, string Text);

/// <summary>The kit's own encoder and checkers for the header JSON (spec section HDR).</summary>
public static class HeaderJson
{
    public static readonly string[] FieldOrder = ["Endpoint", "DataType", "Accept", "Error", "ErrorMessage"];

    /// <summary>A request header in the canonical form of HDR-2.</summary>
    public static byte[] CanonicalRequest(string endpoint, int dataType, int accept) =>
        Encoding.UTF8.GetBytes(
            $"{{\"Endpoint\":{Quote(endpoint)},\"DataType\":{dataType},\"Accept\":{accept},\"Error\":0,\"ErrorMessage\":\"\"}}\n");

    /// <summary>JSON string literal with the escapes HDR-3 lists.</summary>
    public static string Quote(string value)
    {
        var sb = new StringBuilder(value.Length + 2).Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '<' or '>' or '&' or '\u2028' or '\u2029':
                    sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture)); break;
                case < ' ':
                    sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture)); break;
                default: sb.Append(c); break;
            }
        }
        return sb.Append('"').ToString();
    }

    /// <summary>
    /// Reads a received header the way HDR-4 tells a receiver to; returns null with a reason when
    /// the bytes are not a usable header at all.
    /// </summary>
    public static ReceivedHeader? TryRead(byte[] content, out string problem) => TryRead(content, out problem, out _);

    /// <summary>
    /// As <see cref="TryRead(byte[], out string)"/>; <paramref name="requirement"/> names what the
    /// sender of unusable bytes broke: HDR-6 (invalid UTF-8), HDR-11 (an escaped lone surrogate),
    /// otherwise HDR-1. Whatever the bytes are, the result is a reason, never an exception.
    /// </summary>
    public static ReceivedHeader? TryRead(byte[] content, out string problem, out string requirement)
    {
        problem = "";
        requirement = "HDR-1";
        string text;
        try { text = new UTF8Encoding(false, true).GetString(content); }
        catch (DecoderFallbackException) { problem = "the header is not valid UTF-8 (HDR-6)"; requirement = "HDR-6"; return null; }
        JsonDocument doc;
        try { doc = JsonDocument.Parse(content); }
        catch (JsonException e) { problem = $"the header is not valid JSON (HDR-1): {e.Message}"; return null; }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                problem = $"the header is a JSON {doc.RootElement.ValueKind}, not an object (HDR-1)";
                return null;
            }
            string endpoint = "", message = "";
            ulong dataType = 0, accept = 0, status = 0;
            try
            {
                foreach (var p in doc.RootElement.EnumerateObject())
                {
                    var name = p.Name.ToLowerInvariant();
                    if (p.Value.ValueKind == JsonValueKind.Null) continue;
                    switch (name)
                    {
                        case "endpoint": if (!TryString(p, out endpoint, out problem)) return null; break;
                        case "errormessage": if (!TryString(p, out message, out problem)) return null; break;
                        case "datatype": if (!TryInteger(p, 255, out dataType, out problem)) return null; break;
                        case "accept": if (!TryInteger(p, 255, out accept, out problem)) return null; break;
                        case "error": if (!TryInteger(p, ulong.MaxValue, out status, out problem)) return null; break;
                    }
                }
            }
            catch (InvalidOperationException)
            {
                // The decoder refuses a string holding an escaped surrogate that is not part of a pair.
                problem = "the header contains an escaped surrogate that is not part of a valid pair; a sender must not send one (HDR-11)";
                requirement = "HDR-11";
                return null;
            }
            return new ReceivedHeader(endpoint, dataType, accept, status, message, text);
        }
    }

    static bool TryString(JsonProperty p, out string value, out string problem)
    {
        value = "";
        problem = "";
        if (p.Value.ValueKind != JsonValueKind.String)
        {
            problem = $"header field {p.Name} is a JSON {p.Value.ValueKind}, not a string (HDR-1)";
            return false;
        }
        value = p.Value.GetString()!;
        return true;
    }

    static bool TryInteger(JsonProperty p, ulong max, out ulong value, out string problem)
    {
        value = 0;
        problem = "";
        var raw = p.Value.ValueKind == JsonValueKind.Number ? p.Value.GetRawText() : null;
        if (raw is null || !raw.All(char.IsAsciiDigit) || !ulong.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out value) || value > max)
        {
            problem = $"header field {p.Name} is {p.Value.GetRawText()}, not an integer from 0 to {max} (HDR-1)";
            return false;
        }
        return true;
    }

    /// <summary>
    /// Checks the canonical form of HDR-2 on the raw bytes a sender produced; returns what is wrong,
    /// or null when the bytes are canonical. String escaping is HDR-3 (a SHOULD) and is not judged here.
    /// </summary>
    public static string? CanonicalFormProblem(byte[] content)
    {
        if (content.Length == 0 || content[^1] != (byte)'\n')
            return "it does not end with exactly one line feed";
        if (content.Length >= 2 && content[^2] is (byte)'\n' or (byte)' ' or (byte)'\r' or (byte)'\t')
            return "there is whitespace before the final line feed";
        var reader = new Utf8JsonReader(content.AsSpan(0, content.Length - 1));
        var names = new List<string>();
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return "it is not a JSON object";
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                names.Add(reader.GetString()!);
                reader.Read();
                if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
                    return $"field {names[^1]} is not a string or an integer";
                if (reader.TokenType == JsonTokenType.Number)
                {
                    var raw = Encoding.UTF8.GetString(reader.ValueSpan);
                    if (!raw.All(char.IsAsciiDigit) || (raw.Length > 1 && raw[0] == '0'))
                        return $"field {names[^1]} is written as {raw}, not as a plain decimal integer";
                }
            }
            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
                return "there is something after the object";
        }
        catch (JsonException e) { return $"it is not valid JSON: {e.Message}"; }
        catch (InvalidOperationException) { return "a field name holds an escaped surrogate that is not part of a valid pair (HDR-11)"; }
        if (!names.SequenceEqual(FieldOrder))
            return $"its fields are [{string.Join(", ", names)}], not exactly [{string.Join(", ", FieldOrder)}] in that order";
        if (HasWhitespaceOutsideStrings(content.AsSpan(0, content.Length - 1)))
            return "it is not compact: it has whitespace outside strings";
        return null;
    }

    static bool HasWhitespaceOutsideStrings(ReadOnlySpan<byte> json)
    {
        var inString = false;
        for (var i = 0; i < json.Length; i++)
        {
            var b = json[i];
            if (inString)
            {
                if (b == '\\') i++;
                else if (b == '"') inString = false;
            }
            else if (b == '"') inString = true;
            else if (b is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t') return true;
        }
        return false;
    }
}
