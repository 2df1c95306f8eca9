using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using Zrpc.Frames;

namespace Zrpc.Rpc;

/// <summary>
/// The RPC header, the content of a Header message (HDR-1). Fields keep the raw numbers so that
/// unknown DataType/status values can be represented and reported.
/// </summary>
/// <remarks>
/// Parsing is lenient where HDR-4/HDR-7 ask (any letter case, unknown fields ignored, null or
/// absent means zero, last duplicate wins) and strict where HDR-5 asks. Invalid UTF-8 anywhere in
/// the header is rejected as malformed (the HDR-6 "reject" choice): the 2017 sender never produces
/// it, so a peer that does is broken. Lone surrogate escapes such as "\ud800" are valid JSON syntax
/// and decode to U+FFFD, as Go's decoder does.
/// </remarks>
public sealed partial record RpcHeader(string Endpoint, byte DataType, byte Accept, ulong Error, string ErrorMessage)
{
    private static readonly JsonReaderOptions ReaderOptions = new()
    {
        CommentHandling = JsonCommentHandling.Disallow,
        AllowTrailingCommas = false,
        // A 4096-byte header cannot nest deeper than this; no reason to reject deep unknown fields.
        MaxDepth = FrameLimits.MaxHeaderMessage,
    };

    public Status Status => (Status)Error;

    public DataType BodyType => (DataType)DataType;

    public DataType AcceptType => (DataType)Accept;

    public static RpcHeader Request(string endpoint, DataType body, DataType accept)
        => new(endpoint, (byte)body, (byte)accept, 0, "");

    /// <summary>An OK response header (RPC-4).</summary>
    public static RpcHeader Ok(DataType body) => new("", (byte)body, 0, (ulong)Status.Ok, "");

    /// <summary>
    /// An error response header (RPC-5) whose ErrorMessage is shortened, at a character boundary
    /// and never inside an escape, so that the canonical encoding fits in 4096 bytes (HDR-8).
    /// </summary>
    public static RpcHeader Failure(Status status, string message)
    {
        message ??= "";
        var header = new RpcHeader("", 0, 0, (ulong)status, message);
        int full = header.CanonicalLength();
        if (full <= FrameLimits.MaxHeaderMessage)
        {
            return header;
        }

        int budget = FrameLimits.MaxHeaderMessage - (full - EscapedLength(message));
        int used = 0;
        int cut = 0;
        foreach (var rune in EnumerateRunes(message))
        {
            int cost = EscapedLength(rune.Rune);
            if (used + cost > budget)
            {
                break;
            }

            used += cost;
            cut = rune.End;
        }

        return header with { ErrorMessage = message[..cut] };
    }

    /// <summary>Parses a header (HDR-4..HDR-7); throws <see cref="ProtocolException"/> HDR-5/HDR-6 when malformed.</summary>
    public static RpcHeader Parse(ReadOnlySpan<byte> utf8)
    {
        if (!Utf8.IsValid(utf8))
        {
            throw new ProtocolException(RequirementId.Hdr6, "malformed RPC header: it is not valid UTF-8, rejected as HDR-5 requires");
        }

        try
        {
            return ParseValidUtf8(utf8);
        }
        catch (JsonException ex)
        {
            throw new ProtocolException(RequirementId.Hdr5, $"malformed RPC header: {ex.Message}", ex);
        }
    }

    private static RpcHeader ParseValidUtf8(ReadOnlySpan<byte> utf8)
    {
        var reader = new Utf8JsonReader(utf8, isFinalBlock: true, new JsonReaderState(ReaderOptions));
        if (!reader.Read())
        {
            throw Malformed("it is empty");
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw Malformed($"it is a JSON {reader.TokenType}, not an object");
        }

        string endpoint = "", errorMessage = "";
        byte dataType = 0, accept = 0;
        ulong error = 0;

        while (true)
        {
            reader.Read();
            if (reader.TokenType == JsonTokenType.EndObject)
            {
                break;
            }

            var field = Classify(ref reader);
            reader.Read();
            switch (field)
            {
                case Field.Endpoint:
                    endpoint = ReadString(ref reader, "Endpoint");
                    break;
                case Field.ErrorMessage:
                    errorMessage = ReadString(ref reader, "ErrorMessage");
                    break;
                case Field.DataType:
                    dataType = (byte)ReadUnsigned(ref reader, "DataType", byte.MaxValue);
                    break;
                case Field.Accept:
                    accept = (byte)ReadUnsigned(ref reader, "Accept", byte.MaxValue);
                    break;
                case Field.Error:
                    error = ReadUnsigned(ref reader, "Error", ulong.MaxValue);
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        // Only whitespace may follow the object: the reader throws on anything else.
        if (reader.Read())
        {
            throw Malformed($"a {reader.TokenType} follows the object");
        }

        return new RpcHeader(endpoint, dataType, accept, error, errorMessage);
    }

    private enum Field
    {
        Unknown,
        Endpoint,
        DataType,
        Accept,
        Error,
        ErrorMessage,
    }

    private static Field Classify(ref Utf8JsonReader reader)
    {
        if (reader.ValueIsEscaped || reader.HasValueSequence)
        {
            string name = DecodeString(ref reader);
            return ClassifyName(Encoding.UTF8.GetBytes(name));
        }

        return ClassifyName(reader.ValueSpan);
    }

    // ASCII-only case folding (HDR-4): "ENDPOINT" matches, "Endpoınt" does not.
    private static Field ClassifyName(ReadOnlySpan<byte> name)
    {
        if (Ascii.EqualsIgnoreCase(name, "Endpoint"u8)) return Field.Endpoint;
        if (Ascii.EqualsIgnoreCase(name, "DataType"u8)) return Field.DataType;
        if (Ascii.EqualsIgnoreCase(name, "Accept"u8)) return Field.Accept;
        if (Ascii.EqualsIgnoreCase(name, "Error"u8)) return Field.Error;
        if (Ascii.EqualsIgnoreCase(name, "ErrorMessage"u8)) return Field.ErrorMessage;
        return Field.Unknown;
    }

    private static string ReadString(ref Utf8JsonReader reader, string field)
    {
        return reader.TokenType switch
        {
            JsonTokenType.Null => "",
            JsonTokenType.String => DecodeString(ref reader),
            _ => throw Malformed($"field {field} is a JSON {reader.TokenType}, not a string"),
        };
    }

    private static ulong ReadUnsigned(ref Utf8JsonReader reader, string field, ulong max)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return 0;
        }

        if (reader.TokenType != JsonTokenType.Number)
        {
            throw Malformed($"field {field} is a JSON {reader.TokenType}, not a number");
        }

        ReadOnlySpan<byte> raw = reader.ValueSpan;
        foreach (byte b in raw)
        {
            if (b is < (byte)'0' or > (byte)'9')
            {
                throw Malformed($"field {field} is {Encoding.ASCII.GetString(raw)}, not an unsigned integer (no sign, fraction or exponent)");
            }
        }

        if (!ulong.TryParse(raw, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out ulong value) || value > max)
        {
            throw Malformed($"field {field} is {Encoding.ASCII.GetString(raw)}, out of range 0..{max}");
        }

        return value;
    }

    // Decodes a string token; unlike Utf8JsonReader.GetString it turns lone surrogate escapes into U+FFFD.
    private static string DecodeString(ref Utf8JsonReader reader)
    {
        ReadOnlySpan<byte> raw = reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan;
        if (!reader.ValueIsEscaped)
        {
            return Encoding.UTF8.GetString(raw);
        }

        var sb = new StringBuilder(raw.Length);
        int i = 0;
        while (i < raw.Length)
        {
            int backslash = raw[i..].IndexOf((byte)'\\');
            if (backslash < 0)
            {
                sb.Append(Encoding.UTF8.GetString(raw[i..]));
                break;
            }

            sb.Append(Encoding.UTF8.GetString(raw.Slice(i, backslash)));
            i += backslash + 1;
            byte kind = raw[i++];
            switch (kind)
            {
                case (byte)'"': sb.Append('"'); break;
                case (byte)'\\': sb.Append('\\'); break;
                case (byte)'/': sb.Append('/'); break;
                case (byte)'b': sb.Append('\b'); break;
                case (byte)'f': sb.Append('\f'); break;
                case (byte)'n': sb.Append('\n'); break;
                case (byte)'r': sb.Append('\r'); break;
                case (byte)'t': sb.Append('\t'); break;
                case (byte)'u':
                    char c = (char)int.Parse(Encoding.ASCII.GetString(raw.Slice(i, 4)), System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
                    i += 4;
                    if (char.IsHighSurrogate(c) && i + 6 <= raw.Length && raw[i] == '\\' && raw[i + 1] == 'u')
                    {
                        char low = (char)int.Parse(Encoding.ASCII.GetString(raw.Slice(i + 2, 4)), System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
                        if (char.IsLowSurrogate(low))
                        {
                            sb.Append(c).Append(low);
                            i += 6;
                            break;
                        }
                    }

                    sb.Append(char.IsSurrogate(c) ? '\uFFFD' : c);
                    break;
                default:
                    throw Malformed($"invalid escape \\{(char)kind}");
            }
        }

        return sb.ToString();
    }

    private static ProtocolException Malformed(string what)
        => new(RequirementId.Hdr5, $"malformed RPC header: {what}");
}
