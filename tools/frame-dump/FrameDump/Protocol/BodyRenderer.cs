using System.Text.Json;
using FrameDump.Output;

namespace FrameDump.Protocol;

/// <summary>Interprets a Data message's kept bytes according to the DataType its header announced.</summary>
public static class BodyRenderer
{
    /// <summary>
    /// Pretty-prints a complete JSON body held within the display limit; returns an error text
    /// (RPC-7) when the body is complete but not exactly one JSON value.
    /// </summary>
    public static string? Render(MessageRecord body, out string? jsonError)
    {
        jsonError = null;
        if (body.BodyType != Names.JsonType(body.Profile) || !body.Complete || body.LostBytes > 0 || body.BodyHead is null || body.BodyHead.Length < body.Length)
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(body.BodyHead);
            return JsonSerializer.Serialize(document.RootElement, new JsonSerializerOptions { WriteIndented = true });
        }
        catch (JsonException ex)
        {
            jsonError = ex.Message;
            return null;
        }
    }
}
