using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Zrpc.Cli;

/// <summary>Turns user JSON into a request body and a response body into readable JSON.</summary>
internal static class JsonBodies
{
    /// <summary>Largest JSON response body the CLI pretty-prints; it must be held whole to be re-indented.</summary>
    public const int MaxResponseJson = 256 * 1024 * 1024;

    private static readonly JsonDocumentOptions ReadOptions = new() { MaxDepth = 1024 };

    /// <summary>
    /// Validates <paramref name="utf8"/> as one JSON value and re-encodes it compactly with a trailing
    /// line feed (RPC-7, RPC-8). Invalid JSON is a usage error naming <paramref name="origin"/>.
    /// </summary>
    public static byte[] ToRequestBody(ReadOnlyMemory<byte> utf8, string origin)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8, ReadOptions);
        }
        catch (JsonException e)
        {
            throw new UsageException($"{origin} is not valid JSON: {e.Message}");
        }
        using (document)
        {
            var output = new MemoryStream(utf8.Length + 1);
            using (var writer = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = false, SkipValidation = true }))
            {
                document.RootElement.WriteTo(writer);
            }
            output.WriteByte((byte)'\n');
            return output.ToArray();
        }
    }

    /// <summary>Reads a JSON response body to its end (bounded) and returns it indented; null if it is not valid JSON (RPC-7).</summary>
    public static async Task<string?> ReadPrettyAsync(Stream body, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int n;
        while ((n = await body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + n > MaxResponseJson)
                throw new LocalLimitException($"the JSON response body exceeds the CLI's {MaxResponseJson}-byte limit");
            buffer.Write(chunk, 0, n);
        }

        try
        {
            using var document = JsonDocument.Parse(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), ReadOptions);
            var output = new MemoryStream();
            using (var writer = new Utf8JsonWriter(output, new JsonWriterOptions
            {
                Indented = true,
                // Show text as text: the output is for people, not for another JSON parser's escaping rules.
                Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            }))
            {
                document.RootElement.WriteTo(writer);
            }
            return Encoding.UTF8.GetString(output.GetBuffer(), 0, (int)output.Length);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
