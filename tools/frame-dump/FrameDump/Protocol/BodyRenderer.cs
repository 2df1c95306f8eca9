using System.Buffers;
using System.Text;
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
            // A writer, not JsonSerializer: no reflection, so the Native AOT build renders bodies too.
            var output = new ArrayBufferWriter<byte>(body.BodyHead.Length * 2 + 16);
            using (var writer = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true }))
            {
                document.RootElement.WriteTo(writer);
            }
            return Encoding.UTF8.GetString(output.WrittenSpan);
        }
        catch (JsonException ex)
        {
            jsonError = ex.Message;
            return null;
        }
    }
}
