using System.Globalization;
using System.Text;
using System.Text.Json;
using Zrpc.Frames;

namespace Zrpc.Fuzz.Rpc;

/// <summary>
/// An independent reading of HDR-4..HDR-7 on top of System.Text.Json's JsonDocument: decides
/// whether a header must be accepted and with which field values. RpcHeader.Parse is written on
/// Utf8JsonReader by hand; the two must agree.
/// </summary>
public static class HeaderOracle
{
    public sealed record Verdict(string? ErrorId, string? Endpoint, byte DataType, byte Accept, ulong Error, string? ErrorMessage, string Reason);

    private static readonly JsonDocumentOptions Options = new()
    {
        AllowTrailingCommas = false,
        CommentHandling = JsonCommentHandling.Disallow,
        MaxDepth = FrameLimits.MaxHeaderMessage,
    };

    /// <summary>
    /// Endpoint/ErrorMessage are null in the verdict when their text is not comparable (a lone
    /// surrogate escape, which HDR-6 lets the parser replace by U+FFFD).
    /// </summary>
    public static Verdict Judge(byte[] utf8)
    {
        if (!System.Text.Unicode.Utf8.IsValid(utf8))
        {
            // HDR-6: reject or replace; the reference rejects, with id HDR-6.
            return Reject("HDR-6", "invalid UTF-8");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8, Options);
        }
        catch (JsonException ex)
        {
            return Reject("HDR-5", "not JSON: " + ex.Message);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return Reject("HDR-5", $"a JSON {document.RootElement.ValueKind}, not an object");
            }

            string? endpoint = "", errorMessage = "";
            byte dataType = 0, accept = 0;
            ulong error = 0;
            foreach (var property in document.RootElement.EnumerateObject())
            {
                string? name = TryName(property);
                switch (Classify(name))
                {
                    case "Endpoint":
                        if (!TryText(property.Value, out endpoint))
                        {
                            return Reject("HDR-5", "Endpoint is not a string");
                        }

                        break;
                    case "ErrorMessage":
                        if (!TryText(property.Value, out errorMessage))
                        {
                            return Reject("HDR-5", "ErrorMessage is not a string");
                        }

                        break;
                    case "DataType":
                        if (!TryUnsigned(property.Value, byte.MaxValue, out ulong d))
                        {
                            return Reject("HDR-5", "DataType is not an integer 0..255");
                        }

                        dataType = (byte)d;
                        break;
                    case "Accept":
                        if (!TryUnsigned(property.Value, byte.MaxValue, out ulong a))
                        {
                            return Reject("HDR-5", "Accept is not an integer 0..255");
                        }

                        accept = (byte)a;
                        break;
                    case "Error":
                        if (!TryUnsigned(property.Value, ulong.MaxValue, out error))
                        {
                            return Reject("HDR-5", "Error is not an integer 0..2^64-1");
                        }

                        break;
                }
            }

            return new Verdict(null, endpoint, dataType, accept, error, errorMessage, "well-formed");
        }
    }

    private static Verdict Reject(string id, string reason) => new(id, null, 0, 0, 0, null, reason);

    private static string? TryName(JsonProperty property)
    {
        try
        {
            return property.Name;
        }
        catch (InvalidOperationException)
        {
            // A lone surrogate escape: the name cannot be one of the five ASCII names anyway.
            return null;
        }
    }

    // HDR-4: ASCII letters only are folded ("ENDPOINT" matches, a dotless ı does not).
    private static string? Classify(string? name)
    {
        if (name is null)
        {
            return null;
        }

        foreach (string known in new[] { "Endpoint", "DataType", "Accept", "Error", "ErrorMessage" })
        {
            if (name.Length == known.Length && Ascii.EqualsIgnoreCase(name, known))
            {
                return known;
            }
        }

        return null;
    }

    private static bool TryText(JsonElement value, out string? text)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Null:
                text = "";
                return true;
            case JsonValueKind.String:
                try
                {
                    text = value.GetString();
                }
                catch (InvalidOperationException)
                {
                    text = null;
                }

                return true;
            default:
                text = null;
                return false;
        }
    }

    private static bool TryUnsigned(JsonElement value, ulong max, out ulong result)
    {
        result = 0;
        if (value.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        if (value.ValueKind != JsonValueKind.Number)
        {
            return false;
        }

        string raw = value.GetRawText();
        foreach (char c in raw)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }

        return ulong.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out result) && result <= max;
    }
}
