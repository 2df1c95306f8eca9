using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using System.Text.Unicode;
using Zrpc.TestService;

namespace Zrpc.Rpc;

/// <summary>
/// MarshaledJSON bodies (RPC-7/RPC-8) with settings close to Go's encoding/json defaults: field
/// names matched in any case on input, compact output followed by one line feed, non-ASCII text
/// written as UTF-8 while HTML-sensitive characters stay escaped.
/// </summary>
public static class RpcJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.General)
    {
        PropertyNameCaseInsensitive = true,
        WriteIndented = false,
        Encoder = JavaScriptEncoder.Create(UnicodeRanges.All),
        MaxDepth = 10000,
        TypeInfoResolver = Resolver(),
    };

    // The Conformance Test Service's bodies from generated code, so that a Native AOT build of the
    // tools (no reflection, no code generation at run time) serves and calls it; any other type
    // through reflection where the runtime allows it. The feature switch is a constant in a
    // trimmed build, which drops the reflection branch there.
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Reached only where reflection-based serialization is enabled, i.e. not in a trimmed or AOT build.")]
    [UnconditionalSuppressMessage("AOT", "IL3050", Justification = "Reached only where reflection-based serialization is enabled, i.e. not in a trimmed or AOT build.")]
    private static IJsonTypeInfoResolver Resolver() => JsonSerializer.IsReflectionEnabledByDefault
        ? JsonTypeInfoResolver.Combine(ConformanceJsonContext.Default, new DefaultJsonTypeInfoResolver())
        : ConformanceJsonContext.Default;

    /// <summary>True when the CLR type travels as Octets (a stream) rather than JSON.</summary>
    public static bool IsOctets(Type type) => typeof(Stream).IsAssignableFrom(type);

    public static DataType DataTypeOf(Type type) => IsOctets(type) ? DataType.Octets : DataType.MarshaledJson;

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = Options.Encoder, Indented = false, SkipValidation = false, MaxDepth = 10000 };

    // One writer per thread, reset after each body: a fresh Utf8JsonWriter and buffer per call
    // are a good share of a small call's allocation. Bodies that grew the buffer
    // beyond KeepCapacity do not keep it.
    private const int KeepCapacity = 64 * 1024;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    /// <summary>Compact JSON plus '\n' (RPC-8).</summary>
    public static byte[] Serialize(object? value, Type type)
    {
        var buffer = t_buffer ?? new ArrayBufferWriter<byte>(256);
        var writer = t_writer ?? new Utf8JsonWriter(buffer, WriterOptions);
        // Taken out of the slots while in use, so a converter that serializes again gets its own.
        t_buffer = null;
        t_writer = null;
        try
        {
            JsonSerializer.Serialize(writer, value, Options.GetTypeInfo(type));
            writer.Flush();
            buffer.Write("\n"u8);
            return buffer.WrittenSpan.ToArray();
        }
        finally
        {
            if (buffer.Capacity <= KeepCapacity)
            {
                buffer.ResetWrittenCount();
                writer.Reset(buffer);
                t_buffer = buffer;
                t_writer = writer;
            }
        }
    }

    /// <summary>
    /// Decodes exactly one JSON value with optional surrounding whitespace; anything else after
    /// it makes the body undecodable (RPC-7). Throws <see cref="JsonException"/>.
    /// </summary>
    public static object? Deserialize(ReadOnlySpan<byte> utf8, Type type) => JsonSerializer.Deserialize(utf8, Options.GetTypeInfo(type));
}

/// <summary>Generated JSON metadata of the Conformance Test Service's bodies (see <see cref="RpcJson"/>).</summary>
[JsonSerializable(typeof(JsonElement))]
[JsonSerializable(typeof(ConformanceService.FailRequest))]
[JsonSerializable(typeof(ConformanceService.SourceRequest))]
[JsonSerializable(typeof(ConformanceService.SinkResponse))]
internal sealed partial class ConformanceJsonContext : JsonSerializerContext;
